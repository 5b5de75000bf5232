"""The demo cohort as harmonisation needs it: a sequencing run for every sample, and the optional chrX region where
XY people are haploid, with one deliberate declared/genetic sex mismatch."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pysam

from genomdb.demo import DemoCohort
from genomdb.demo.cohort import plan_cohort
from genomdb.demo.generate import sequencing_platform
from genomdb.demo.regions import CHRX_LENGTH
from genomdb.ingest.manifest import FileFormat, Platform, parse_manifest
from genomdb.pseudonyms import DeclaredSex, parse_cpr

INSTRUMENTS = {
    Platform.ILLUMINA: ("short", "NovaSeq 6000"),
    Platform.ONT: ("long", "PromethION"),
    Platform.PACBIO: ("long", "Revio"),
}
PIPELINES = {Platform.ONT: "Clair3", Platform.PACBIO: "DeepVariant"}


def test_every_sample_has_a_run_that_its_analysis_belongs_to(demo_x: DemoCohort) -> None:
    for path in demo_x.manifest_paths:
        manifest = parse_manifest(path)
        runs = {run.sample: run for run in manifest.runs}
        assert set(runs) == {sample.id for sample in manifest.samples}
        for run in manifest.runs:
            assert (run.read_type.value, run.instrument) == INSTRUMENTS[run.platform]
        for analysis in manifest.analyses:
            platform = runs[analysis.samples[0]].platform
            assert analysis.pipeline.name == PIPELINES.get(platform, analysis.pipeline.name)


def test_platform_shares() -> None:
    people = plan_cohort(2_000, np.random.default_rng(3), n_read_samples=0).people
    shares = Counter(sequencing_platform(person, 42) for person in people)
    assert 0.06 < shares[Platform.ONT] / len(people) < 0.10
    assert 0.035 < shares[Platform.PACBIO] / len(people) < 0.065


def test_chrx_is_haploid_in_xy_people(demo_x: DemoCohort) -> None:
    assert demo_x.sex_chromosomes and len(demo_x.sex_mismatch_sample_ids) == 1
    with pysam.FastaFile(str(demo_x.reference_fasta)) as reference:
        assert reference.get_reference_length("chrX") == CHRX_LENGTH
    ploidy_by_sex: dict[tuple[DeclaredSex, bool], set[int]] = {}
    for path in demo_x.manifest_paths:
        manifest = parse_manifest(path)
        cprs = {individual.id: individual.cpr for individual in manifest.individuals}
        files = {entry.id: entry for entry in manifest.files}
        for analysis in manifest.analyses:
            (sample_id,) = analysis.samples
            individual = next(s.individual for s in manifest.samples if s.id == sample_id)
            cpr = cprs[individual]
            assert cpr is not None
            declared = parse_cpr(cpr.get_secret_value())[1]
            entry = files[analysis.outputs[0]]
            assert entry.format in (FileFormat.GVCF, FileFormat.VCF) and entry.path
            with pysam.VariantFile(str(path.parent / entry.path)) as vcf:
                ploidies = {len(record.samples[0]["GT"]) for record in vcf.fetch("chrX")}
            key = (declared, sample_id in demo_x.sex_mismatch_sample_ids)
            ploidy_by_sex[key] = ploidy_by_sex.get(key, set()) | ploidies
    assert ploidy_by_sex[(DeclaredSex.MALE, False)] == {1}
    assert ploidy_by_sex[(DeclaredSex.FEMALE, False)] == {2}
    ((declared, _),) = [key for key in ploidy_by_sex if key[1]]
    assert ploidy_by_sex[(declared, True)] == ({2} if declared is DeclaredSex.MALE else {1})
