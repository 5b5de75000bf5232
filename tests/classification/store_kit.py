"""Real catalog rows (through data-in) and a real variant-store batch (Parquet, docs/variant-store.md) for
recontact tests, plus a carrier source that reads that Parquet the way the contract defines it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import yaml

from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters
from tests.identities import fake_cpr
from tests.ingest import formats_factory as ff

CALLS_SCHEMA = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("pos", pa.int32()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("alt_count", pa.int8()),
        ("called_alleles", pa.int8()),
        ("phased", pa.bool_()),
        ("gq", pa.int16()),
        ("dp", pa.int16()),
        ("ad_ref", pa.int32()),
        ("ad_alt", pa.int32()),
        ("passes", pa.bool_()),
    ]
)
"""The ``calls`` columns of docs/variant-store.md (``chrom`` is the hive partition)."""


@dataclass(frozen=True)
class Person:
    individual: str
    sample: str
    cpr: str


def submit_department(instance: Instance, folder: Path, department: str, people: Sequence[Person]) -> dict[str, int]:
    """Submit one VCF per person through data-in; return submitter sample id → catalog sample (version) id."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    analyses: list[dict[str, Any]] = []
    for person in people:
        path = ff.write_vcf(
            folder / f"{person.sample}.vcf.gz",
            [ff.vcf_line("chr19", 5_000, "A", "G")],
            contigs=ff.grch38_vcf_contigs(),
            samples=(person.sample,),
        )
        files.append(
            {
                "id": person.sample,
                "path": path.name,
                "format": "VCF",
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        )
        analyses.append(
            {
                "id": f"a-{person.sample}",
                "samples": [person.sample],
                "pipeline": {"name": "gatk", "version": "4.5.0"},
                "reference_build": "GRCh38",
                "outputs": [person.sample],
            }
        )
    document = {
        "schema_version": 1,
        "submitter": {"department": department},
        "title": f"{department} recontact test",
        "individuals": [{"id": p.individual, "cpr": p.cpr} for p in people],
        "samples": [{"id": p.sample, "individual": p.individual, "tissue": "blood"} for p in people],
        "files": files,
        "analyses": analyses,
    }
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    submit_manifest(instance, manifest)
    return sample_ids(instance, department)


def sample_ids(instance: Instance, department: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for summary in instance.catalog.search(SearchFilters(department=department)):
        detail = instance.catalog.sample(summary.sample_key)
        found[summary.submitter_sample_id] = detail.version_ids[-1][2]
    return found


def people(prefix: str, n: int, *, year2: int) -> list[Person]:
    return [
        Person(f"{prefix}-person{i}", f"{prefix}-S{i:03d}", fake_cpr(10 + i, 3, year2, 1000 + 2 * i)) for i in range(n)
    ]


@dataclass(frozen=True)
class Call:
    sample_id: int
    key: str
    alt_count: int = 1
    passes: bool = True


def write_batch(home: Path, batch_id: str, calls: Sequence[Call]) -> Path:
    """One batch of the variant store: ``calls/chrom=<chrom>/part-0.parquet`` sorted by position."""
    by_chrom: dict[str, list[Call]] = {}
    for call in calls:
        by_chrom.setdefault(call.key.split("-")[0], []).append(call)
    root = home / "variants" / "batches" / batch_id
    for chrom, chrom_calls in by_chrom.items():
        ordered = sorted(chrom_calls, key=lambda c: (int(c.key.split("-")[1]), c.sample_id))
        columns: dict[str, list[Any]] = {name: [] for name in CALLS_SCHEMA.names}
        for call in ordered:
            _, pos, ref, alt = call.key.split("-")
            row = {
                "sample_id": call.sample_id,
                "pos": int(pos),
                "ref": ref,
                "alt": alt,
                "alt_count": call.alt_count,
                "called_alleles": 2,
                "phased": False,
                "gq": 99 if call.passes else 5,
                "dp": 30,
                "ad_ref": 15 if call.alt_count == 1 else 0,
                "ad_alt": 15 if call.alt_count == 1 else 30,
                "passes": call.passes,
            }
            for name, value in row.items():
                columns[name].append(value)
        target = root / "calls" / f"chrom={chrom}" / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns, schema=CALLS_SCHEMA), target)
    return root


class ParquetCarriers:
    """``carriers(variant_key)`` over every batch's ``calls`` Parquet: passing calls only, as the contract says."""

    def __init__(self, home: Path) -> None:
        self._home = home

    def carriers(self, variant_key: str) -> list[tuple[int, int]]:
        chrom, pos, ref, alt = variant_key.split("-")
        parts = sorted((self._home / "variants" / "batches").glob(f"*/calls/chrom={chrom}/*.parquet"))
        if not parts:
            return []
        with duckdb.connect() as con:
            rows = con.execute(
                "SELECT sample_id, alt_count FROM read_parquet($parts) "
                "WHERE pos = $pos AND ref = $ref AND alt = $alt AND passes ORDER BY sample_id",
                {"parts": [str(p) for p in parts], "pos": int(pos), "ref": ref, "alt": alt},
            ).fetchall()
        return [(int(sample_id), int(alt_count)) for sample_id, alt_count in rows]
