"""The same input gives the same batch: no duplicated callable block at a split multi-allelic site, whatever
order DuckDB's threads hand rows over in, and byte-identical Parquet parts from two runs side by side (issue 11)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from genomdb.config import Settings
from genomdb.demo import DemoCohort
from genomdb.demo.load import load_demo
from genomdb.demo.users import STEWARD, ensure_demo_users
from genomdb.harmonize.blocks import create_blocks
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance, init_instance
from genomdb.variants.repository import sample_qc_records
from genomdb.variants.store import BatchWriter, VariantStore
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    CallFileSpec,
    SmallReference,
    allele_number,
    block,
    call,
    sample_names,
    stored_blocks,
    stored_calls,
    submit_calls,
)
from tests.processes import genomdb_command, start_in_own_session

N_SAMPLES = 20_000
"""Enough rows that DuckDB splits the evidence between threads, and ties land on both sides of a split."""
ROUNDS = 3


def _gvcf_like_genotypes(con: duckdb.DuckDBPyConnection, *, seed: float) -> None:
    """Per sample, as a gVCF splits: block 1000-2099; a 1/2 at 2100 split into two passing 0/1 records (a tie);
    block 2101-3000; a 0/1 at 3001 of a three-ALT site, split into one passing call and two hom-ref records (a
    tie); block 3002-4000. Rows in a shuffled order."""
    con.execute(f"SELECT setseed({seed})")
    rows = [
        (1000, 2099, "reference", 0, 60),
        (2100, 2100, "allele", 1, 50),
        (2100, 2100, "allele", 1, 50),
        (2101, 3000, "reference", 0, 60),
        (3001, 3001, "allele", 1, 45),
        (3001, 3001, "allele", 0, 45),
        (3001, 3001, "allele", 0, 45),
        (3002, 4000, "reference", 0, 60),
    ]
    selects = " UNION ALL ".join(
        f"SELECT i AS sample_id, 'chr10' AS chrom, {s} AS pos, {e} AS end_pos, 2 AS called_raw, {gq} AS gq, "
        f"'{kind}' AS kind, 25 AS min_dp, 30 AS dp, {alt} AS alt_raw, true AS passes, 'XX' AS ploidy_sex "
        f"FROM range({N_SAMPLES}) AS t(i)"
        for s, e, kind, alt, gq in rows
    )
    con.execute(f"CREATE OR REPLACE TABLE genotypes AS SELECT * FROM ({selects}) ORDER BY random()")


def test_a_split_multi_allelic_site_gets_one_block_whatever_the_row_order() -> None:
    """The regression of issue 11 (AN 1,820 instead of 1,818 at a split site): groups of overlapping evidence
    were numbered with a running sum in one sort and opened in another, so of two tied split records the one
    without the "opens a group" mark could fall into the previous group, and each group emitted the site."""
    con = duckdb.connect(config={"threads": 4, "preserve_insertion_order": False})
    for round_number in range(ROUNDS):
        _gvcf_like_genotypes(con, seed=round_number / ROUNDS)
        create_blocks(con)
        per_site = con.execute(
            """
            SELECT s.pos, count(b.sample_id), coalesce(sum(b.callable_alleles), 0), count(DISTINCT b.sample_id)
            FROM (VALUES (2100), (3001), (2099), (3002)) AS s(pos)
            LEFT JOIN blocks AS b ON b.start_1based <= s.pos AND b.end_1based >= s.pos
            GROUP BY s.pos ORDER BY s.pos
            """
        ).fetchall()
        assert per_site == [(pos, N_SAMPLES, 2 * N_SAMPLES, N_SAMPLES) for pos in (2099, 2100, 3001, 3002)]
        shapes = con.execute(
            "SELECT start_1based, end_1based, callable_alleles, min_gq, count(*) FROM blocks GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert shapes == [
            (1000, 2099, 2, 60, N_SAMPLES),
            (2100, 2100, 2, 50, N_SAMPLES),
            (2101, 3000, 2, 60, N_SAMPLES),
            (3001, 3001, 2, 45, N_SAMPLES),
            (3002, 4000, 2, 60, N_SAMPLES),
        ]


def test_split_multi_allelic_sites_beside_reference_blocks(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    """Real gVCFs through harmonisation: a 1/2 and a 0/1 of a three-ALT site, each between two reference blocks,
    and a sample whose block spans the site: one block per sample there, AN = 6, AC per ALT as written."""
    r = small_reference
    site = next(
        p for p in range(WINDOW_START + 5_000, WINDOW_START + 6_000) if len(set(r.bases(AUTOSOME, p - 1, 3))) == 3
    )
    ref = r.bases(AUTOSOME, site)
    alts = [b for b in "ACGT" if b != ref]

    def between_blocks(record: str) -> list[str]:
        return [block(r, AUTOSOME, site - 500, site - 1), record, block(r, AUTOSOME, site + 1, site + 500)]

    specs = [
        CallFileSpec(
            "RH-KG-T0001", between_blocks(call(AUTOSOME, site, ref, ",".join(alts[:2]), "1/2", gvcf=True)), person=1
        ),
        CallFileSpec(
            "RH-KG-T0002", between_blocks(call(AUTOSOME, site, ref, ",".join(alts), "0/1", gvcf=True)), person=2
        ),
        CallFileSpec("RH-KG-T0003", [block(r, AUTOSOME, site - 500, site + 500)], person=3),
    ]
    submit_calls(ready, tmp_path / "calls", specs, r)
    harmonize(ready, workers=1)
    blocks = stored_blocks(ready)
    names = sample_names(ready)
    at_site = sorted(names[b["sample_id"]] for b in blocks if b["start_1based"] <= site <= b["end_1based"])
    assert at_site == ["RH-KG-T0001", "RH-KG-T0002", "RH-KG-T0003"]
    assert allele_number(blocks, AUTOSOME, site) == 6
    carried = sorted((c["alt"], c["alt_count"]) for c in stored_calls(ready) if c["pos"] == site and c["passes"])
    assert carried == sorted([(alts[0], 1), (alts[1], 1), (alts[0], 1)])


def _parts(home: Path) -> dict[str, str]:
    """Path (below the batch) → sha256 of every part of the home's one batch."""
    (batch,) = list((home / "variants" / "batches").iterdir())
    manifest = json.loads((batch / "batch.json").read_text())
    return {part["path"]: part["sha256"] for part in manifest["parts"]}


def test_two_runs_side_by_side_write_byte_identical_batches(tmp_path: Path, demo_x: DemoCohort) -> None:
    homes = []
    for name in ("first", "second"):
        settings = Settings(home=tmp_path / name)
        init_instance(settings)
        with Instance.open(settings) as instance:
            load_demo(instance, demo_x)
            ensure_demo_users(instance)
        homes.append(settings.resolved_home())
    runs = [
        start_in_own_session(genomdb_command("--home", str(home), "harmonize", "--workers", "2", "--as", STEWARD))
        for home in homes
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, stderr.decode()
    first, second = (_parts(home) for home in homes)
    assert len(first) >= 4 and first == second
    for path in first:
        (one,) = (homes[0] / "variants" / "batches").iterdir()
        (other,) = (homes[1] / "variants" / "batches").iterdir()
        assert (one / path).read_bytes() == (other / path).read_bytes()
    with Instance.open(Settings(home=homes[0])) as instance:
        (batch,) = VariantStore.of(instance).batches()
        assert batch.n_samples == demo_x.n_samples


@pytest.mark.parametrize("threads", [1, 4])
def test_the_same_rows_give_the_same_part_bytes(tmp_path: Path, threads: int) -> None:
    """The batch writer's order is total and its row groups have a fixed size, so staged rows in any order and
    DuckDB's batches of any size give one file."""
    digests = set()
    for attempt in range(2):
        writer = BatchWriter(tmp_path / f"home-{attempt}", "VB-TEST", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        con = duckdb.connect(config={"threads": threads})
        con.execute(f"SELECT setseed({attempt / 2})")
        for chunk in range(2):
            target = writer.staging_dir("blocks") / f"chunk-{chunk}"
            con.execute(
                f"""
                COPY (
                    SELECT (i % 97)::BIGINT AS sample_id, 'chr1' AS chrom, (i // 1000)::INTEGER AS start_1based,
                           (i // 7 + i % 5)::INTEGER AS end_1based, 2::TINYINT AS callable_alleles,
                           (i % 3)::SMALLINT AS min_gq, 30::SMALLINT AS min_dp
                    FROM range({chunk}, 600000, 2) AS t(i) ORDER BY random()
                ) TO '{target}' (FORMAT parquet, PARTITION_BY (chrom))
                """
            )
        con.close()
        written = writer.finish(
            contig_order=["chr1"], reference_build="GRCh38", filters={}, sample_ids=[1], threads=threads
        )
        digests.add(tuple((p.path, p.sha256) for p in written.parts))
    assert len(digests) == 1


def _qc_rows(home: Path) -> list[tuple[object, ...]]:
    with Instance.open(Settings(home=home)) as instance:
        return [(r.department, r.submitter_sample_id, r.qc) for r in sample_qc_records(instance.db)]


def test_chunks_in_worker_processes_write_the_batch_of_one_chunk_here(tmp_path: Path, demo_x: DemoCohort) -> None:
    """Several chunks harmonised in two worker processes (a DuckDB of one thread each) give the same parts, byte
    for byte, and the same QC as the whole cohort as one chunk in this process."""
    homes: dict[str, Path] = {}
    for name, chunk_files, workers in (("one-chunk-here", 10_000, 1), ("chunks-in-workers", 3, 2)):
        settings = Settings(home=tmp_path / name, harmonize_chunk_files=chunk_files)
        init_instance(settings)
        with Instance.open(settings) as instance:
            load_demo(instance, demo_x)
            outcome = harmonize(instance, workers=workers)
            assert outcome.n_files > 2 * chunk_files if workers > 1 else outcome.n_files <= chunk_files
        homes[name] = settings.resolved_home()
    here, in_workers = (_parts(home) for home in homes.values())
    assert len(here) >= 4 and here == in_workers
    qc = _qc_rows(homes["one-chunk-here"])
    assert len(qc) == demo_x.n_samples and qc == _qc_rows(homes["chunks-in-workers"])
