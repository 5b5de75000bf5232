"""Callable blocks: non-overlapping per sample, AN from blocks equals a direct count, AC never exceeds AN."""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path

import pysam

from genomdb.harmonize.run import harmonize
from genomdb.ingest.manifest import FileFormat, parse_manifest
from genomdb.instance import Instance
from genomdb.variants.store import VariantStore, connect_duckdb
from tests.harmonize.conftest import HarmonisedDemo
from tests.harmonize.kit import (
    AUTOSOME,
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

MIN_GQ, MIN_DP, MIN_AB = 20, 10, 0.2


def test_blocks_never_overlap_within_a_sample(harmonised_demo: HarmonisedDemo) -> None:
    store = VariantStore.of(harmonised_demo.instance)
    con = connect_duckdb(threads=1)
    overlaps = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT start_1based, lag(end_1based) OVER (PARTITION BY sample_id, chrom ORDER BY start_1based) AS prev
            FROM read_parquet({store.blocks_glob()!r}, hive_partitioning = true)
        ) WHERE start_1based <= prev
        """
    ).fetchone()
    assert overlaps == (0,)


def test_allele_count_never_exceeds_allele_number(harmonised_demo: HarmonisedDemo) -> None:
    store = VariantStore.of(harmonised_demo.instance)
    con = connect_duckdb(threads=1)
    rows = con.execute(
        f"""
        WITH calls AS (
            SELECT chrom, pos, ref, alt, sum(alt_count) AS ac
            FROM read_parquet({store.calls_glob()!r}, hive_partitioning = true) WHERE passes GROUP BY ALL
        ), blocks AS (SELECT * FROM read_parquet({store.blocks_glob()!r}, hive_partitioning = true))
        SELECT c.chrom, c.pos, c.ref, c.alt, c.ac, coalesce(sum(b.callable_alleles), 0) AS an
        FROM calls AS c LEFT JOIN blocks AS b
          ON b.chrom = c.chrom AND b.start_1based <= c.pos AND b.end_1based >= c.pos
        GROUP BY ALL
        """
    ).fetchall()
    assert len(rows) > 500
    assert [row for row in rows if row[4] > row[5]] == []


def _passes(sample: pysam.VariantRecordSample, *, block: bool) -> bool:
    gq, dp = sample.get("GQ"), sample.get("MIN_DP" if block else "DP")
    if gq is None or dp is None or gq < MIN_GQ or dp < MIN_DP:
        return False
    alleles = [a for a in sample["GT"] if a is not None]
    if not block and len(alleles) == 2 and sorted(alleles)[0] == 0 and alleles.count(0) == 1:
        ad = sample["AD"]
        return ad[1] / (ad[0] + ad[1]) >= MIN_AB if ad[0] + ad[1] else True
    return True


def _direct_allele_number(path: Path, chrom: str, pos: int) -> int:
    """Callable alleles of one sample at a position, read straight from its submitted file."""
    with pysam.VariantFile(str(path)) as vcf:
        for record in vcf.fetch(chrom, pos - 1, pos):
            sample = record.samples[0]
            is_block = record.alts == ("<NON_REF>",)
            if not _passes(sample, block=is_block):
                return 0
            return len([a for a in sample["GT"] if a is not None])
    return 0


def test_allele_number_from_blocks_equals_a_direct_count(harmonised_demo: HarmonisedDemo) -> None:
    """At SNV sites away from indels (where normalisation moves evidence), AN summed from blocks equals the count
    of callable alleles in the submitted files."""
    cohort = harmonised_demo.cohort
    files: dict[str, Path] = {}
    indels: dict[str, list[int]] = defaultdict(list)
    for manifest_path in cohort.manifest_paths:
        for entry in parse_manifest(manifest_path).files:
            if entry.format in (FileFormat.VCF, FileFormat.GVCF) and entry.path:
                files[entry.path.split(".")[0]] = manifest_path.parent / entry.path
    calls = stored_calls(harmonised_demo.instance)
    for row in calls:
        if len(row["ref"]) != len(row["alt"]):
            indels[row["chrom"]].append(row["pos"])
    for path in files.values():
        with pysam.VariantFile(str(path)) as vcf:
            for record in vcf:
                if any(len(a) != len(record.ref or "") for a in record.alts or () if not a.startswith("<")):
                    indels[record.chrom].append(record.pos)
    sites = sorted(
        {(r["chrom"], r["pos"]) for r in calls if len(r["ref"]) == len(r["alt"]) == 1}
        - {(c, p) for c, positions in indels.items() for i in positions for p in range(i - 30, i + 30)}
    )[::7]
    assert len(sites) > 60
    blocks = stored_blocks(harmonised_demo.instance)
    by_chrom: dict[str, list[dict[str, int]]] = defaultdict(list)
    for b in blocks:
        by_chrom[b["chrom"]].append(b)
    for chrom, pos in sites:
        direct = sum(_direct_allele_number(path, chrom, pos) for path in files.values())
        assert allele_number(by_chrom[chrom], chrom, pos) == direct, f"{chrom}:{pos}"
    assert any(chrom == "chrX" for chrom, _ in sites)


def test_a_left_aligned_indel_takes_its_bases_from_the_block_before_it(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    """A deletion written at the right end of a homopolymer moves left into the preceding block: the sample is
    callable there from the (passing) call, not twice; a failing deletion moved the same way cuts a hole."""
    r = small_reference
    start, _, copies = r.repeat(1, min_copies=6)
    end = start + copies - 1
    second, _, second_copies = r.repeat(1, min_copies=6, skip=1)
    second_end = second + second_copies - 1
    lines = [
        block(r, AUTOSOME, start - 200, end - 2),
        call(AUTOSOME, end - 1, r.bases(AUTOSOME, end - 1, 2), r.bases(AUTOSOME, end - 1), "0/1", gvcf=True),
        block(r, AUTOSOME, end + 1, second_end - 2),
        call(
            AUTOSOME,
            second_end - 1,
            r.bases(AUTOSOME, second_end - 1, 2),
            r.bases(AUTOSOME, second_end - 1),
            "0/1",
            gq=5,
            gvcf=True,
        ),
        block(r, AUTOSOME, second_end + 1, second_end + 300),
    ]
    submit_calls(ready, tmp_path / "calls", [CallFileSpec("RH-KG-T0001", lines)], r)
    harmonize(ready)
    calls = {row["pos"]: row for row in stored_calls(ready)}
    assert set(calls) == {start - 1, second - 1}, "both deletions are left-aligned to before their homopolymers"
    assert calls[start - 1]["passes"] and not calls[second - 1]["passes"]
    blocks = stored_blocks(ready)
    spans = sorted((b["start_1based"], b["end_1based"]) for b in blocks)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    assert allele_number(blocks, AUTOSOME, start - 1) == 2 and allele_number(blocks, AUTOSOME, start) == 2
    assert allele_number(blocks, AUTOSOME, start - 2) == 2
    assert allele_number(blocks, AUTOSOME, second - 1) == 0 and allele_number(blocks, AUTOSOME, second) == 0
    assert allele_number(blocks, AUTOSOME, second - 2) == 2
    assert sample_names(ready)[blocks[0]["sample_id"]] == "RH-KG-T0001"
