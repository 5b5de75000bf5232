from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from genomdb.demo import DemoCohort, generate_demo
from genomdb.ingest.manifest import FileFormat, parse_manifest
from genomdb.pseudonyms import DeclaredSex, parse_cpr

from .conftest import N_INDIVIDUALS

DEPARTMENTS = {"RH-KG", "RH-GM", "RSJ-KG", "RSD-KG-OUH", "RSD-KG-VEJ", "RM-KG", "RN-KG"}


def test_every_manifest_parses_and_every_department_submits(demo_cohort: DemoCohort) -> None:
    assert set(demo_cohort.manifest_by_department) == DEPARTMENTS
    n_samples = 0
    for department, path in demo_cohort.manifest_by_department.items():
        assert path == demo_cohort.out_dir / department / "manifest.yaml"
        manifest = parse_manifest(path)
        assert manifest.submitter.department == department
        sample_ids = [sample.id for sample in manifest.samples]
        assert len(set(sample_ids)) == len(sample_ids)
        assert all(sample_id.startswith(f"{department}-S") for sample_id in sample_ids)
        n_samples += len(sample_ids)
        file_ids = {f.id for f in manifest.files}
        for analysis in manifest.analyses:
            assert set(analysis.outputs) | set(analysis.inputs) <= file_ids
            assert analysis.reference_build == "GRCh38"
    assert n_samples == demo_cohort.n_samples == demo_cohort.n_individuals == N_INDIVIDUALS


def test_file_checksums_and_sizes_match(demo_cohort: DemoCohort) -> None:
    n_files = 0
    for path in demo_cohort.manifest_paths:
        for entry in parse_manifest(path).files:
            assert entry.path is not None
            data = (path.parent / entry.path).read_bytes()
            assert entry.size == len(data)
            assert entry.sha256 == hashlib.sha256(data).hexdigest()
            assert entry.md5 == hashlib.md5(data).hexdigest()
            n_files += 1
    assert n_files == demo_cohort.n_files


def test_every_sample_has_one_call_file_and_reads_where_planned(demo_cohort: DemoCohort) -> None:
    formats: dict[FileFormat, int] = {}
    for path in demo_cohort.manifest_paths:
        manifest = parse_manifest(path)
        runs = {run.id: run for run in manifest.runs}
        calls_per_sample = {sample.id: 0 for sample in manifest.samples}
        for analysis in manifest.analyses:
            for output in analysis.outputs:
                entry = next(f for f in manifest.files if f.id == output)
                if entry.format in (FileFormat.GVCF, FileFormat.VCF):
                    calls_per_sample[analysis.samples[0]] += 1
                    suffix = ".g.vcf.gz" if entry.format is FileFormat.GVCF else ".vcf.gz"
                    assert entry.path == f"{analysis.samples[0]}{suffix}"
        assert set(calls_per_sample.values()) == {1}
        for entry in manifest.files:
            formats[entry.format] = formats.get(entry.format, 0) + 1
            if entry.format is FileFormat.FASTQ:
                assert entry.run in runs
                run = runs[entry.run]
                assert (run.platform.value, run.read_type.value) in {("ILLUMINA", "short"), ("ONT", "long")}
                assert (entry.mate is not None) == (run.platform.value == "ILLUMINA")
    assert formats[FileFormat.CRAM] == 4
    assert formats[FileFormat.FASTQ] == 4 * 2 + 1
    assert formats[FileFormat.VCF] >= 1
    assert formats[FileFormat.GVCF] + formats[FileFormat.VCF] == N_INDIVIDUALS


def test_cprs_are_valid_quoted_and_consistent_with_family_roles(
    demo_cohort: DemoCohort, manifest_documents: dict[Path, dict[str, Any]]
) -> None:
    n_opt_out = 0
    for path, document in manifest_documents.items():
        text = path.read_text(encoding="utf-8")
        people = {individual["id"]: individual for individual in document["individuals"]}
        for individual in people.values():
            cpr = individual["cpr"]
            assert isinstance(cpr, str) and f"cpr: '{cpr}'" in text
            birth_date, _ = parse_cpr(cpr)
            n_opt_out += individual.get("research_opt_out", False)
            for relative in individual.get("relatives", []):
                other = people[relative["individual"]]
                other_birth, other_sex = parse_cpr(other["cpr"])
                if relative["relation"] in ("mother", "father"):
                    expected = DeclaredSex.FEMALE if relative["relation"] == "mother" else DeclaredSex.MALE
                    assert other_sex is expected
                    assert 19 <= (birth_date - other_birth).days / 365.25 <= 41
                    assert {"relation": "child", "individual": individual["id"]} in other["relatives"]
                elif relative["relation"] == "child":
                    assert individual["id"] in {r["individual"] for r in other["relatives"]}
                else:
                    assert relative["relation"] == "sibling"
                    assert {"relation": "sibling", "individual": individual["id"]} in other["relatives"]
    assert n_opt_out >= 1


def test_no_cpr_in_file_names_or_progress(
    demo_cohort: DemoCohort,
    manifest_documents: dict[Path, dict[str, Any]],
    progress_messages: list[tuple[str, int, int]],
) -> None:
    cprs = {i["cpr"] for d in manifest_documents.values() for i in d["individuals"]}
    digits = {cpr.replace("-", "") for cpr in cprs} | {cpr[:6] for cpr in cprs}
    for path in demo_cohort.out_dir.rglob("*"):
        assert not any(d in path.name for d in digits)
    stages = {stage for stage, _, _ in progress_messages}
    assert stages == {"simulate", "reference", "calls", "reads", "manifests"}
    assert ("calls", N_INDIVIDUALS, N_INDIVIDUALS) in progress_messages


def test_example_variants_cover_frequencies(demo_cohort: DemoCohort) -> None:
    labels = {(e.region, e.label) for e in demo_cohort.example_variants}
    assert {"common", "rare", "singleton"} <= {label for region, label in labels if region == "LDLR"}
    for example in demo_cohort.example_variants:
        assert re.fullmatch(r"chr(10|13|19)-\d+-[ACGT]+-[ACGT]+", example.key)
        assert example.allele_number == 2 * N_INDIVIDUALS
        if example.label == "singleton":
            assert example.allele_count == 1
        if example.label == "common":
            assert example.allele_count >= 0.2 * example.allele_number
    assert demo_cohort.example_variant_keys[0] == demo_cohort.example_variants[0].key


def test_site_counts_and_singletons_are_reported(demo_cohort: DemoCohort) -> None:
    assert set(demo_cohort.n_sites) == {"LDLR", "CYP2C19", "BRCA2"}
    assert all(n > 100 for n in demo_cohort.n_sites.values())
    assert 0.15 < demo_cohort.singleton_fraction < 0.6


@pytest.mark.slow
def test_same_seed_gives_identical_files_anywhere(tmp_path: Path) -> None:
    first = generate_demo(tmp_path / "a", n_individuals=12, seed=5, region_length_bp=100_000, n_read_samples=3)
    second = generate_demo(
        tmp_path / "b", n_individuals=12, seed=5, region_length_bp=100_000, n_read_samples=3, workers=1
    )
    assert [p.relative_to(first.out_dir) for p in first.manifest_paths] == [
        p.relative_to(second.out_dir) for p in second.manifest_paths
    ]
    for a, b in zip(first.manifest_paths, second.manifest_paths, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert first.contig_md5 == second.contig_md5
