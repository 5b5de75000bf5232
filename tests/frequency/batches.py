"""A small simulated cohort written two ways: variant-store batches (docs/variant-store.md) and one VCF.

The truth is per sample: which positions are callable, and the alleles on each haplotype at each site. From it
``write_batch`` writes ``calls``/``blocks`` Parquet parts and ``batch.json`` exactly as harmonisation does, and
``write_vcf`` the same genotypes as a multi-sample, biallelic-split VCF with GQ/DP, so that bcftools can apply
the genotype filter as missing calls and compute AC/AN itself.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pysam

from genomdb.frequency.records import BatchSource, CohortMember
from genomdb.frequency.strata import SampleLabels, is_hemizygous, stratum_slug
from genomdb.refdata.builds import get_build
from genomdb.variants import layout

MIN_GQ = 20
MIN_DP = 10
WINDOWS: tuple[tuple[str, int, int], ...] = (
    ("chr1", 100_000, 101_500),
    ("chr19", 11_089_000, 11_090_000),
    ("chrX", 2_000_000, 2_000_400),
    ("chrX", 3_000_000, 3_001_000),
)
"""Simulated windows (1-based, inclusive): autosomes, a chrX PAR stretch and a chrX stretch outside the PARs."""

# The contract's own schemas: a fixture that wrote its own copy could drift from what harmonisation writes.
CALLS_SCHEMA = layout.CALLS_SCHEMA
BLOCKS_SCHEMA = layout.BLOCKS_SCHEMA
CALLABLE_SCHEMA = layout.CALLABLE_SCHEMA


@dataclass(frozen=True)
class Site:
    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]


@dataclass
class SimSample:
    sample_id: int
    name: str
    person: str
    labels: SampleLabels
    covered: dict[str, set[int]] = field(default_factory=dict)
    """Positions with a genotype call before filtering (everything else is a no-call gap)."""
    genotypes: dict[int, tuple[tuple[int | None, ...], int, int]] = field(default_factory=dict)
    """Site index → (allele index per haplotype, None for a missing half; GQ; DP)."""

    def ploidy(self, chrom: str, pos: int) -> int:
        return 1 if self.labels.sex == "XY" and is_hemizygous(chrom, pos) else 2


@dataclass
class SimCohort:
    sites: list[Site]
    samples: list[SimSample]
    filters: bool

    def passes(self, sample: SimSample, site_index: int) -> bool:
        _, gq, dp = sample.genotypes[site_index]
        return not self.filters or (gq >= MIN_GQ and dp >= MIN_DP)

    def callable_alleles(self, sample: SimSample, chrom: str, pos: int) -> int:
        """Alleles of ``sample`` callable at a position, after the genotype filter (the truth AN uses)."""
        if pos not in sample.covered.get(chrom, set()):
            return 0
        for index in self.sites_at(chrom, pos):
            if index in sample.genotypes:
                if not self.passes(sample, index):
                    return 0
                return sum(1 for h in sample.genotypes[index][0] if h is not None)
        return sample.ploidy(chrom, pos)

    def sites_at(self, chrom: str, pos: int) -> list[int]:
        return [i for i, s in enumerate(self.sites) if s.chrom == chrom and s.pos == pos]


def _random_site(rng: random.Random, chrom: str, pos: int) -> Site:
    bases = "ACGT"
    ref = rng.choice(bases)
    kind = rng.random()
    if kind < 0.1:
        return Site(chrom, pos, ref, (ref + rng.choice(bases),))
    if kind < 0.18:
        return Site(chrom, pos, ref + rng.choice(bases), (ref,))
    if kind < 0.3:
        first, second = rng.sample([b for b in bases if b != ref], 2)
        return Site(chrom, pos, ref, (first, second))
    return Site(chrom, pos, ref, (rng.choice([b for b in bases if b != ref]),))


def simulate_cohort(
    labels: Sequence[SampleLabels],
    *,
    seed: int = 7,
    filters: bool = True,
    first_sample_id: int = 1,
    persons: Sequence[str] | None = None,
    sites_per_window: int = 40,
    half_missing: float = 0.02,
) -> SimCohort:
    """Genotypes for ``len(labels)`` samples at random sites of :data:`WINDOWS`, with gaps, filters and ploidy."""
    rng = random.Random(seed)
    sites: list[Site] = []
    for chrom, start, end in WINDOWS:
        for pos in sorted(rng.sample(range(start + 5, end - 5), sites_per_window)):
            sites.append(_random_site(rng, chrom, pos))
    frequencies = [[rng.choice([0.005, 0.02, 0.05, 0.2, 0.45]) for _ in s.alts] for s in sites]
    samples: list[SimSample] = []
    for i, label in enumerate(labels):
        sample_id = first_sample_id + i
        person = persons[i] if persons else f"P{sample_id:04d}"
        sample = SimSample(sample_id, f"S{sample_id:04d}", person, label)
        for chrom, start, end in WINDOWS:
            covered = set(range(start, end + 1))
            for _ in range(rng.randint(0, 3)):
                gap_start = rng.randint(start, end)
                covered -= set(range(gap_start, gap_start + rng.randint(1, 150)))
            sample.covered.setdefault(chrom, set()).update(covered)
        for index, site in enumerate(sites):
            if site.pos not in sample.covered[site.chrom]:
                continue
            ploidy = sample.ploidy(site.chrom, site.pos)
            alleles: list[int | None] = []
            for _ in range(ploidy):
                draw, allele = rng.random(), 0
                for a, af in enumerate(frequencies[index], start=1):
                    if draw < af:
                        allele = a
                        break
                    draw -= af
                alleles.append(allele)
            if ploidy == 2 and any(alleles) and rng.random() < half_missing and site.chrom != "chrX":
                alleles[0] = None
            gq = rng.randint(0, 19) if rng.random() < 0.1 else rng.randint(20, 99)
            dp = rng.randint(1, 9) if rng.random() < 0.07 else rng.randint(10, 60)
            sample.genotypes[index] = (tuple(alleles), gq, dp)
        samples.append(sample)
    return SimCohort(sites, samples, filters)


def _call_rows(cohort: SimCohort, sample: SimSample) -> list[dict[str, object]]:
    rows = []
    for index, (alleles, gq, dp) in sorted(sample.genotypes.items()):
        site = cohort.sites[index]
        called = sum(1 for h in alleles if h is not None)
        for a, alt in enumerate(site.alts, start=1):
            count = sum(1 for h in alleles if h == a)
            if count:
                rows.append(
                    {
                        "sample_id": sample.sample_id,
                        "chrom": site.chrom,
                        "pos": site.pos,
                        "ref": site.ref,
                        "alt": alt,
                        "alt_count": count,
                        "called_alleles": called,
                        "phased": False,
                        "gq": gq,
                        "dp": dp,
                        "ad_ref": None,
                        "ad_alt": None,
                        "passes": cohort.passes(sample, index),
                    }
                )
    return rows


def _block_rows(cohort: SimCohort, sample: SimSample, rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for chrom, start, end in WINDOWS:
        run: tuple[int, int, int] | None = None
        for pos in range(start, end + 2):
            alleles = cohort.callable_alleles(sample, chrom, pos) if pos <= end else 0
            if run is not None and (alleles != run[2] or rng.random() < 0.01):
                rows.append(
                    {
                        "sample_id": sample.sample_id,
                        "chrom": chrom,
                        "start_1based": run[0],
                        "end_1based": run[1],
                        "callable_alleles": run[2],
                        "min_gq": MIN_GQ,
                        "min_dp": MIN_DP,
                    }
                )
                run = None
            if alleles:
                run = (run[0], pos, alleles) if run is not None else (pos, pos, alleles)
    return rows


def _write_parts(rows: list[dict[str, object]], schema: pa.Schema, folder: Path, sort_key: str) -> dict[str, str]:
    checksums: dict[str, str] = {}
    for chrom in sorted({str(r["chrom"]) for r in rows}):
        part = folder / f"chrom={chrom}" / "part-0.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        chosen = sorted((r for r in rows if r["chrom"] == chrom), key=lambda r: (r[sort_key], r["sample_id"]))
        pq.write_table(pa.Table.from_pylist(chosen, schema=schema), part)
        checksums[str(part.relative_to(folder.parent))] = hashlib.sha256(part.read_bytes()).hexdigest()
    return checksums


def merged_runs(blocks: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """The ``callable`` table's definition, written plainly: each sample's abutting blocks of equal callable alleles
    as one run."""
    keys = ("sample_id", "chrom", "start_1based", "end_1based", "callable_alleles")
    runs: list[dict[str, object]] = []
    for block in sorted(blocks, key=lambda b: (b["sample_id"], b["chrom"], b["start_1based"])):  # type: ignore[arg-type, return-value]
        last = runs[-1] if runs else None
        if (
            last is not None
            and (last["sample_id"], last["chrom"], last["callable_alleles"])
            == (block["sample_id"], block["chrom"], block["callable_alleles"])
            and last["end_1based"] + 1 == block["start_1based"]  # type: ignore[operator]
        ):
            last["end_1based"] = block["end_1based"]
        else:
            runs.append({key: block[key] for key in keys})
    return runs


def write_batch(
    cohort: SimCohort, samples: Iterable[SimSample], root: Path, batch_id: str, *, with_callable: bool = False
) -> BatchSource:
    """Write the samples as one variant-store batch under ``root/<batch_id>`` and describe it; ``with_callable``
    adds the ``callable`` table harmonisation writes since session 11 (without it, the batch is one written
    before)."""
    chosen = list(samples)
    folder = root / batch_id
    rng = random.Random(batch_id)
    calls = [row for s in chosen for row in _call_rows(cohort, s)]
    blocks = [row for s in chosen for row in _block_rows(cohort, s, rng)]
    parts = _write_parts(calls, CALLS_SCHEMA, folder / "calls", "pos")
    parts |= _write_parts(blocks, BLOCKS_SCHEMA, folder / "blocks", "start_1based")
    if with_callable:
        parts |= _write_parts(merged_runs(blocks), CALLABLE_SCHEMA, folder / "callable", "start_1based")
    filters = {"min_gq": MIN_GQ, "min_dp": MIN_DP} if cohort.filters else {}
    document = {
        "schema_version": 1,
        "batch_id": batch_id,
        "sample_ids": [s.sample_id for s in chosen],
        "n_calls": len(calls),
        "n_blocks": len(blocks),
        "filters": filters,
        "parts": parts,
    }
    (folder / "batch.json").write_text(json.dumps(document, indent=1, sort_keys=True))
    return BatchSource(
        batch_id=batch_id,
        path=folder,
        manifest_sha256=hashlib.sha256((folder / "batch.json").read_bytes()).hexdigest(),
        sample_ids=tuple(s.sample_id for s in chosen),
        filters=filters,
    )


def member(sample: SimSample, batch_id: str, **changes: object) -> CohortMember:
    """The cohort record of a simulated sample; ``changes`` override flags (opt-out, current, QC, …)."""
    values: dict[str, object] = {
        "sample_id": sample.sample_id,
        "sample_key": f"SMP-{sample.person}",
        "person": sample.person,
        "batch_id": batch_id,
        "labels": sample.labels,
        "submission_id": "SUB-TEST",
        "submission_version": 1,
        "call_rate": 0.99,
        "callable_bases": 1000,
    }
    values.update(changes)
    return CohortMember(**values)  # type: ignore[arg-type]


def _gt(alleles: tuple[int | None, ...], alt_index: int) -> str:
    return "/".join("." if h is None else ("1" if h == alt_index else "0") for h in alleles)


def write_vcf(cohort: SimCohort, samples: Sequence[SimSample], path: Path) -> Path:
    """The same genotypes as one bgzipped, indexed, biallelic-split multi-sample VCF (filters not applied)."""
    contigs = {c.name: c.length for c in get_build("GRCh38").contigs}
    header = [
        "##fileformat=VCFv4.2",
        *(f"##contig=<ID={name},length={contigs[name]}>" for name in dict.fromkeys(w[0] for w in WINDOWS)),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *(s.name for s in samples)]
        ),
    ]
    lines = []
    for index, site in enumerate(cohort.sites):
        for a, alt in enumerate(site.alts, start=1):
            columns = []
            for s in samples:
                if index in s.genotypes:
                    alleles, gq, dp = s.genotypes[index]
                    columns.append(f"{_gt(alleles, a)}:{gq}:{dp}")
                else:
                    columns.append(("./." if s.ploidy(site.chrom, site.pos) == 2 else ".") + ":.:.")
            lines.append(
                "\t".join([site.chrom, str(site.pos), ".", site.ref, alt, ".", ".", ".", "GT:GQ:DP", *columns])
            )
    plain = path.with_suffix("")
    plain.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_index(str(plain), preset="vcf", force=True)
    return path


def write_groups(samples: Sequence[SimSample], path: Path) -> Path:
    """bcftools +fill-tags ``-S`` file: each sample's strata other than ``all`` (as column-safe names)."""
    lines = []
    for s in samples:
        groups = [stratum_slug(name) for name in s.labels.strata[1:]]
        if groups:
            lines.append(f"{s.name}\t{','.join(groups)}")
    path.write_text("\n".join(lines) + "\n")
    return path
