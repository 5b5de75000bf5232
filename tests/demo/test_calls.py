from __future__ import annotations

import bisect
import subprocess
from pathlib import Path

import pysam
import pytest

from genomdb.demo import DemoCohort
from genomdb.demo.regions import GRCH38_CONTIG_LENGTHS
from genomdb.ingest.manifest import FileFormat, parse_manifest

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
CONTIG_ORDER = {name: i for i, name in enumerate(GRCH38_CONTIG_LENGTHS)}


def _call_files(cohort: DemoCohort) -> list[tuple[Path, str, FileFormat]]:
    """(path, sample id, format) of every gVCF/VCF in the manifests."""
    found: list[tuple[Path, str, FileFormat]] = []
    for manifest_path in cohort.manifest_paths:
        manifest = parse_manifest(manifest_path)
        formats = {f.id: f for f in manifest.files}
        for analysis in manifest.analyses:
            for output in analysis.outputs:
                entry = formats[output]
                if entry.format in (FileFormat.GVCF, FileFormat.VCF):
                    assert entry.path is not None
                    found.append((manifest_path.parent / entry.path, analysis.samples[0], entry.format))
    return found


def test_bcftools_reads_every_call_file(demo_cohort: DemoCohort) -> None:
    for path, _, _ in _call_files(demo_cohort):
        result = subprocess.run(
            ["bcftools", "view", "-Ou", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0 and not result.stderr, result.stderr
        assert path.read_bytes()[-28:] == BGZF_EOF
        assert Path(f"{path}.tbi").exists()


def test_headers_name_grch38_contigs_and_the_sample(demo_cohort: DemoCohort) -> None:
    for path, sample_id, file_format in _call_files(demo_cohort):
        with pysam.VariantFile(str(path)) as vcf:
            assert list(vcf.header.samples) == [sample_id]
            assert {name: vcf.header.contigs[name].length for name in vcf.header.contigs} == GRCH38_CONTIG_LENGTHS
            assert any(r.key == "reference" and r.value == "GRCh38" for r in vcf.header.records)
            assert ("NON_REF" in vcf.header.alts) == (file_format is FileFormat.GVCF)


def test_records_are_sorted_and_gvcfs_have_blocks(demo_cohort: DemoCohort) -> None:
    callable_bases = set()
    for path, _, file_format in _call_files(demo_cohort):
        previous: tuple[int, int] = (-1, 0)
        previous_end = 0
        n_blocks = n_variants = 0
        covered = 0
        with pysam.VariantFile(str(path)) as vcf:
            for record in vcf:
                key = (CONTIG_ORDER[record.chrom], record.pos)
                assert key > previous
                assert key[0] != previous[0] or record.pos > previous_end, "records overlap"
                previous, previous_end = key, record.stop
                is_block = record.alts == ("<NON_REF>",)
                if is_block:
                    n_blocks += 1
                    assert f"END={record.stop}" in str(record)
                    assert record.samples[0]["GT"] == (0, 0) and record.samples[0]["MIN_DP"] <= record.samples[0]["DP"]
                    covered += record.stop - record.start
                else:
                    n_variants += 1
                    assert ((record.alts or ())[-1] == "<NON_REF>") == (file_format is FileFormat.GVCF)
                    sample = record.samples[0]
                    assert sum(sample["AD"]) == sample["DP"]
                    n_alleles = len(record.alleles or ())
                    assert len(sample["PL"]) == n_alleles * (n_alleles + 1) // 2
        assert n_variants > 50
        if file_format is FileFormat.GVCF:
            assert n_blocks > 50
            callable_bases.add(covered)
        else:
            assert n_blocks == 0
    assert len(callable_bases) > 1, "callable stretches should differ between samples"


def test_some_calls_are_low_quality(demo_cohort: DemoCohort) -> None:
    low_gq = low_dp = skewed = low_blocks = 0
    for path, _, _ in _call_files(demo_cohort):
        with pysam.VariantFile(str(path)) as vcf:
            for record in vcf:
                sample = record.samples[0]
                if record.alts == ("<NON_REF>",):
                    low_blocks += sample["GQ"] < 20
                    continue
                low_gq += sample["GQ"] < 20
                low_dp += sample["DP"] < 10
                ad = sample["AD"]
                if sample["GT"] == (0, 1) and sum(ad):
                    skewed += ad[1] / sum(ad) < 0.2
    assert min(low_gq, low_dp, skewed, low_blocks) > 0


Site = tuple[str, int]
Genotype = tuple[str, str]
SampleCalls = tuple[dict[Site, Genotype], dict[str, list[tuple[int, int]]]]


def _genotypes(path: Path) -> SampleCalls:
    """Variant genotypes as allele strings by (chrom, pos), and reference blocks by contig (1-based)."""
    calls: dict[Site, Genotype] = {}
    blocks: dict[str, list[tuple[int, int]]] = {}
    with pysam.VariantFile(str(path)) as vcf:
        for record in vcf:
            if record.alts == ("<NON_REF>",):
                blocks.setdefault(record.chrom, []).append((record.pos, record.stop))
            else:
                alleles = record.alleles or ()
                first, second = record.samples[0]["GT"]
                calls[(record.chrom, record.pos)] = (alleles[first], alleles[second])
    return calls, blocks


def _genotype_at(sample: SampleCalls, site: Site, ref: str) -> Genotype | None:
    calls, blocks = sample
    if site in calls:
        return calls[site]
    spans = blocks.get(site[0], [])
    i = bisect.bisect_right(spans, (site[1], 1 << 40)) - 1
    if i >= 0 and spans[i][0] <= site[1] <= spans[i][1]:
        return (ref, ref)
    return None


def test_trio_children_are_mendelian_consistent(demo_cohort: DemoCohort) -> None:
    files = {sample_id: path for path, sample_id, _ in _call_files(demo_cohort)}
    n_trios = n_checked = n_consistent = 0
    for manifest_path in demo_cohort.manifest_paths:
        manifest = parse_manifest(manifest_path)
        sample_of = {sample.individual: sample.id for sample in manifest.samples}
        for individual in manifest.individuals:
            parents = {
                r.relation.value: r.individual for r in individual.relatives if r.relation.value in ("mother", "father")
            }
            if len(parents) != 2:
                continue
            n_trios += 1
            child = _genotypes(files[sample_of[individual.id]])
            mother = _genotypes(files[sample_of[parents["mother"]]])
            father = _genotypes(files[sample_of[parents["father"]]])
            sites = set(child[0]) | set(mother[0]) | set(father[0])
            with pysam.FastaFile(str(demo_cohort.reference_fasta)) as reference:
                for site in sorted(sites):
                    alleles = next(member[0][site] for member in (child, mother, father) if site in member[0])
                    ref = reference.fetch(site[0], site[1] - 1, site[1])
                    child_gt, mother_gt, father_gt = (_genotype_at(m, site, ref) for m in (child, mother, father))
                    if child_gt is None or mother_gt is None or father_gt is None or len(alleles[0]) != 1:
                        continue  # a no-call, or an indel whose REF a block cannot state
                    c1, c2 = child_gt
                    n_checked += 1
                    n_consistent += (c1 in mother_gt and c2 in father_gt) or (c2 in mother_gt and c1 in father_gt)
    assert n_trios >= 1
    assert n_checked > 100
    assert n_consistent / n_checked >= 0.99


@pytest.mark.parametrize("label", ["singleton", "rare", "common"])
def test_example_variants_are_in_the_files(demo_cohort: DemoCohort, label: str) -> None:
    example = next(e for e in demo_cohort.example_variants if e.label == label and e.region == "LDLR")
    chrom, pos, ref, alt = example.key.split("-")
    n_alleles = 0
    for path, _, _ in _call_files(demo_cohort):
        with pysam.VariantFile(str(path)) as vcf:
            for record in vcf.fetch(chrom, int(pos) - 1, int(pos)):
                alleles = record.alleles or ()
                if record.pos == int(pos) and record.ref == ref and alt in alleles[1:]:
                    index = alleles.index(alt)
                    n_alleles += list(record.samples[0]["GT"]).count(index)
    if label == "common":
        assert n_alleles >= 0.8 * example.allele_count
    else:
        assert n_alleles == example.allele_count
