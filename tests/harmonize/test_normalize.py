"""Normalised keys equal Debian ``bcftools norm -m-any -f REF`` on demo gVCFs/VCFs and on hand-made tricky cases."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from genomdb.harmonize.run import harmonize
from genomdb.ingest.manifest import FileFormat, parse_manifest
from genomdb.instance import Instance
from tests.harmonize.conftest import HarmonisedDemo
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    CallFileSpec,
    OracleCall,
    SmallReference,
    bcftools_norm_calls,
    block,
    call,
    stored_calls,
    submit_calls,
)


def _stored(instance: Instance) -> set[OracleCall]:
    return {(r["sample"], r["chrom"], r["pos"], r["ref"], r["alt"], r["alt_count"]) for r in stored_calls(instance)}


def test_demo_calls_equal_bcftools_norm(harmonised_demo: HarmonisedDemo) -> None:
    cohort = harmonised_demo.cohort
    expected: set[OracleCall] = set()
    raw_keys: set[tuple[str, int, str, str]] = set()
    for manifest_path in cohort.manifest_paths:
        for entry in parse_manifest(manifest_path).files:
            if entry.format in (FileFormat.VCF, FileFormat.GVCF):
                assert entry.path is not None
                path = manifest_path.parent / entry.path
                expected |= bcftools_norm_calls(path, cohort.reference_fasta)
                with pysam.VariantFile(str(path)) as vcf:
                    for record in vcf:
                        raw_keys.update(
                            (record.chrom, record.pos, record.ref or "", alt)
                            for alt in record.alts or ()
                            if not alt.startswith("<")
                        )
    stored = _stored(harmonised_demo.instance)
    assert stored == expected
    assert len(stored) > 1000
    moved = {key[1:5] for key in stored} - raw_keys
    assert moved, "some demo indels are written right-shifted and must have been left-aligned"
    assert any(key[1] == "chrX" for key in stored)


def _tricky_records(reference: SmallReference, *, gvcf: bool) -> tuple[list[str], list[tuple[int, int]]]:
    """Repeats, right-shifted indels, multi-allelics, overlapping indels with a ``*`` allele, padding to trim,
    half-missing and hom-alt genotypes. Returns the records and their REF spans."""
    r = reference
    lines: list[str] = []
    spans: list[tuple[int, int]] = []

    def add(pos: int, ref: str, alts: str, gt: str) -> None:
        lines.append(call(AUTOSOME, pos, ref, alts, gt, gvcf=gvcf))
        spans.append((pos, pos + len(ref) - 1))

    start, unit, copies = r.repeat(1, min_copies=6)  # homopolymer: delete one base, written at its right end
    end = start + copies - 1
    add(end - 1, r.bases(AUTOSOME, end - 1, 2), r.bases(AUTOSOME, end - 1), "0/1")
    start, unit, copies = r.repeat(2, min_copies=4)  # dinucleotide repeat: insert one unit after its last base
    end = start + 2 * copies - 1
    add(end, r.bases(AUTOSOME, end), r.bases(AUTOSOME, end) + unit, "1/1")
    start, unit, copies = r.repeat(3, min_copies=4)  # trinucleotide repeat: delete one unit, right-shifted
    end = start + 3 * copies - 1
    add(end - 3, r.bases(AUTOSOME, end - 3, 4), r.bases(AUTOSOME, end - 3), "0/1")

    p = WINDOW_START + 20_000  # multi-allelic: an SNV and a deletion sharing padding, heterozygous for both
    two = r.bases(AUTOSOME, p, 2)
    snv = "C" if two[0] != "C" else "G"
    add(p, two, f"{snv}{two[1]},{two[0]}", "1/2")
    p = WINDOW_START + 21_000  # overlapping: a 3-bp deletion on one haplotype, an SNV under it on the other
    add(p, r.bases(AUTOSOME, p, 4), r.bases(AUTOSOME, p), "0/1")
    under = r.bases(AUTOSOME, p + 2)
    add(p + 2, under, "*," + ("T" if under != "T" else "A"), "1/2")
    p = WINDOW_START + 22_000  # an MNP whose first and last bases agree: trimmed to one SNV
    three = r.bases(AUTOSOME, p, 3)
    middle = "G" if three[1] != "G" else "T"
    add(p, three, three[0] + middle + three[2], "0/1")
    p = WINDOW_START + 23_000  # an insertion written with a trailing padding base
    two = r.bases(AUTOSOME, p, 2)
    add(p, two, two[0] + "TTG" + two[1], "0/1")
    p = WINDOW_START + 24_000  # a multi-allelic site where the sample carries only the second ALT
    base = r.bases(AUTOSOME, p)
    first, second, _ = (b for b in "ACGT" if b != base)
    add(p, base, f"{first},{second}", "0/2")
    for p, gt in ((WINDOW_START + 25_000, "./1"), (WINDOW_START + 26_000, "1|0")):
        base = r.bases(AUTOSOME, p)
        add(p, base, "T" if base != "T" else "A", gt)
    if gvcf:
        cursor = WINDOW_START + 50
        for span_start, span_end in sorted(spans):
            if span_start > cursor:
                lines.append(block(reference, AUTOSOME, cursor, span_start - 1))
            cursor = max(cursor, span_end + 1)
        lines.append(block(reference, AUTOSOME, cursor, WINDOW_START + 39_000))
    return lines, spans


@pytest.mark.parametrize("gvcf", [True, False], ids=["gvcf", "vcf"])
def test_tricky_cases_equal_bcftools_norm(
    ready: Instance, small_reference: SmallReference, tmp_path: Path, gvcf: bool
) -> None:
    lines, _ = _tricky_records(small_reference, gvcf=gvcf)
    spec = CallFileSpec("RH-KG-T0001", lines, gvcf=gvcf)
    submit_calls(ready, tmp_path / "calls", [spec], small_reference)
    outcome = harmonize(ready)
    assert outcome.n_samples == 1
    suffix = ".g.vcf.gz" if gvcf else ".vcf.gz"
    expected = bcftools_norm_calls(tmp_path / "calls" / f"RH-KG-T0001{suffix}", small_reference.fasta)
    stored = _stored(ready)
    assert stored == expected
    alts = {(pos, ref, alt) for _, _, pos, ref, alt, _ in stored}
    assert not any(alt == "*" or alt.startswith("<") for _, _, alt in alts)
    homopolymer_start = small_reference.repeat(1, min_copies=6)[0]
    assert any(pos == homopolymer_start - 1 and len(ref) == 2 and len(alt) == 1 for pos, ref, alt in alts)
    mnp = WINDOW_START + 22_001
    assert any(pos == mnp and len(ref) == len(alt) == 1 for pos, ref, alt in alts), "the MNP is trimmed to an SNV"
