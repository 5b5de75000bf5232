"""Data-in end to end, on SQLite and PostgreSQL: accept, reject with a full report, correct, dedupe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genomdb.errors import InvalidInput, NotFound
from genomdb.ingest.submit import SubmissionRejected, submit_manifest
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters
from tests.ingest import formats_factory as ff
from tests.ingest.submission_kit import (
    CHILD_CPR,
    MOTHER_CPR,
    Kit,
    assert_only_rejection_recorded,
    gvcf_lines,
    make_kit,
    snapshot,
)


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path / "submission")


def _reject(instance: Instance, kit: Kit) -> SubmissionRejected:
    kit.write()
    before = snapshot(instance)
    with pytest.raises(SubmissionRejected) as info:
        submit_manifest(instance, kit.manifest)
    assert_only_rejection_recorded(before, snapshot(instance))
    for problem in info.value.problems:
        assert MOTHER_CPR not in str(problem) and CHILD_CPR not in str(problem)
    return info.value


def test_valid_submission_is_stored_and_searchable(instance: Instance, kit: Kit) -> None:
    outcome = submit_manifest(instance, kit.write())
    assert (outcome.status, outcome.version, outcome.n_samples, outcome.n_files) == ("accepted", 1, 2, 5)
    samples = instance.catalog.search(SearchFilters(department="RH-KG"))
    assert {s.submitter_sample_id for s in samples} == {"RH-KG-T0001", "RH-KG-T0002"}
    child = next(s for s in samples if s.submitter_sample_id == "RH-KG-T0001")
    assert child.platforms == ("ILLUMINA",) and child.formats == ("BAM", "FASTQ", "GVCF")
    assert child.region == "RH" and child.reference_builds == ("GRCh38",)
    assert instance.catalog.search(SearchFilters(platform="ONT")) == []
    assert len(instance.catalog.search(SearchFilters(has_vcf=True))) == 2
    assert [s.submitter_sample_id for s in instance.catalog.search(SearchFilters(file_format="FASTQ"))] == [
        "RH-KG-T0001"
    ]
    detail = instance.catalog.sample(child.sample_key)
    gvcf = next(f for f in detail.files if f.file_ref == "gvcf")
    assert gvcf.index_name in ("tbi", "csi") and gvcf.facts["n_reference_blocks"] == 2
    for stored in detail.files:
        assert instance.blobs.exists(stored.sha256)
        instance.blobs.verify(stored.sha256)
    person, _ = instance.catalog.person(child.pseudonym)
    assert person.declared_sex == "male" and person.birth_year == 2012
    assert person.relatives[0][0] == "mother"


def test_cpr_never_reaches_storage(instance: Instance, kit: Kit, settings: object) -> None:
    submit_manifest(instance, kit.write())
    home = instance.settings.resolved_home()
    for path in home.rglob("*"):
        if path.is_file() and "secrets" not in path.parts:
            data = path.read_bytes()
            for cpr in (MOTHER_CPR, CHILD_CPR):
                assert cpr.encode() not in data, path
    for version in instance.catalog.submission(instance.catalog.search(SearchFilters())[0].submission_id).versions:
        assert version.n_samples == 2
    manifest = instance.catalog.version_manifest(instance.catalog.search(SearchFilters())[0].submission_id, 1)
    assert all("cpr" not in individual for individual in manifest["individuals"])
    assert all(individual["pseudonym"].startswith("GDB-") for individual in manifest["individuals"])


def test_identical_resubmission_is_a_noop(instance: Instance, kit: Kit) -> None:
    first = submit_manifest(instance, kit.write())
    before = snapshot(instance)
    again = submit_manifest(instance, kit.manifest)
    assert again.unchanged and again.submission_id == first.submission_id
    assert snapshot(instance) == before


def test_correction_creates_a_version_and_keeps_history(instance: Instance, kit: Kit, tmp_path: Path) -> None:
    first = submit_manifest(instance, kit.write())
    child_key = next(
        s.sample_key for s in instance.catalog.search(SearchFilters()) if s.submitter_sample_id.endswith("1")
    )
    blobs_before = snapshot(instance).blobs
    # fix metadata, keep the BAM without resending it, replace the gVCF, withdraw the mother's sample
    kit.doc["samples"][0]["tissue"] = "saliva"
    kit.doc["samples"][1]["withdrawn"] = True
    bam = kit.file_entry("bam")
    (kit.folder / bam.pop("path")).unlink()
    lines = gvcf_lines()
    lines.insert(3, ff.vcf_line("chr1", 25_000, "T", "C,<NON_REF>"))
    ff.write_vcf(
        kit.folder / "child.g.vcf.gz", lines, contigs=ff.grch38_vcf_contigs(), samples=("RH-KG-T0001",), gvcf=True
    )
    kit.rehash("gvcf")
    correction = submit_manifest(instance, kit.write(), corrects=first.submission_id, reason="tissue was saliva")
    assert (correction.submission_id, correction.version) == (first.submission_id, 2)

    current = instance.catalog.search(SearchFilters())
    assert [s.submitter_sample_id for s in current] == ["RH-KG-T0001"]
    detail = instance.catalog.sample(child_key)
    assert detail.tissue == "saliva" and detail.summary.sample_key == child_key
    assert [v[1] for v in detail.version_ids] == [1, 2]
    assert blobs_before <= snapshot(instance).blobs, "old blobs are never removed"

    submission = instance.catalog.submission(first.submission_id)
    assert [(v.version, v.status) for v in submission.versions] == [(1, "superseded"), (2, "accepted")]
    assert submission.versions[1].reason == "tissue was saliva"
    assert [e.kind for e in submission.events] == ["accepted", "corrected"]


def test_correction_needs_reason_and_own_department(instance: Instance, kit: Kit, tmp_path: Path) -> None:
    first = submit_manifest(instance, kit.write())
    with pytest.raises(InvalidInput, match="reason"):
        submit_manifest(instance, kit.manifest, corrects=first.submission_id)
    with pytest.raises(NotFound):
        submit_manifest(instance, kit.manifest, corrects="SUB-NOSUCH", reason="x")
    other = make_kit(tmp_path / "other", department="RM-KG", prefix="RM-KG-T")
    with pytest.raises(SubmissionRejected) as info:
        submit_manifest(instance, other.write(), corrects=first.submission_id, reason="x")
    assert any(p.field == "submitter.department" for p in info.value.problems)


def test_same_sample_id_twice_needs_a_correction(instance: Instance, kit: Kit, tmp_path: Path) -> None:
    first = submit_manifest(instance, kit.write())
    kit.doc["title"] = "resent with another title but same samples"
    kit.doc["samples"][0]["tissue"] = "saliva"
    error = _reject(instance, kit)
    assert any(first.submission_id in (p.expected or "") for p in error.problems)


# --- bad input: each rejected with an actionable report, nothing stored ----------------------------------


def test_truncated_gzip_fastq(instance: Instance, kit: Kit) -> None:
    ff.truncate(kit.folder / "child_R1.fastq.gz", keep=0.6)
    kit.rehash("r1")
    error = _reject(instance, kit)
    assert any(p.file == "child_R1.fastq.gz" and "truncat" in p.message.lower() for p in error.problems)


def test_truncated_bgzf_vcf(instance: Instance, kit: Kit) -> None:
    ff.truncate(kit.folder / "mother.vcf.gz", drop_bytes=28)
    kit.rehash("vcf")
    error = _reject(instance, kit)
    assert any(p.file == "mother.vcf.gz" for p in error.problems)


def test_cram_against_the_wrong_build(instance: Instance, kit: Kit) -> None:
    ff.write_alignments(
        kit.folder / "child.cram",
        sq=ff.build_sq("GRCh37"),
        read_groups=({"ID": "rg1", "SM": "RH-KG-T0001", "PL": "ILLUMINA"},),
    )
    entry = kit.file_entry("bam")
    entry.update(path="child.cram", format="CRAM")
    kit.rehash("bam")
    error = _reject(instance, kit)
    cram_problems = [p for p in error.problems if p.file == "child.cram"]
    assert cram_problems and any("GRCh37" in str(p) for p in cram_problems)


def test_sample_name_mismatch(instance: Instance, kit: Kit) -> None:
    ff.write_vcf(
        kit.folder / "mother.vcf.gz",
        [ff.vcf_line("chr1", 10_000)],
        contigs=ff.grch38_vcf_contigs(),
        samples=("SOMEONE-ELSE",),
    )
    kit.rehash("vcf")
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.file == "mother.vcf.gz")
    assert "RH-KG-T0002" in str(problem) and "SOMEONE-ELSE" in str(problem)


def test_checksum_mismatch(instance: Instance, kit: Kit) -> None:
    kit.file_entry("bam")["sha256"] = "0" * 64
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.field == "sha256")
    assert problem.file == "child.bam" and problem.expected == "0" * 64


def test_unsorted_vcf(instance: Instance, kit: Kit) -> None:
    lines = [ff.vcf_line("chr1", 20_000), ff.vcf_line("chr1", 10_000)]
    ff.write_vcf(kit.folder / "mother.vcf.gz", lines, contigs=ff.grch38_vcf_contigs(), samples=("RH-KG-T0002",))
    kit.rehash("vcf")
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.file == "mother.vcf.gz")
    assert problem.location and "sort" in str(problem).lower()


def test_vcf_with_undeclared_contig(instance: Instance, kit: Kit) -> None:
    lines = [ff.vcf_line("chr1", 10_000), ff.vcf_line("chrUn_weird", 10)]
    ff.write_vcf(kit.folder / "mother.vcf.gz", lines, contigs=ff.grch38_vcf_contigs(), samples=("RH-KG-T0002",))
    kit.rehash("vcf")
    error = _reject(instance, kit)
    assert any("chrUn_weird" in str(p) and p.file == "mother.vcf.gz" for p in error.problems)


def test_paired_fastqs_of_different_lengths(instance: Instance, kit: Kit) -> None:
    ff.write_fastq(kit.folder / "child_R2.fastq.gz", ff.fastq_records(45, seed=2))
    kit.rehash("r2")
    error = _reject(instance, kit)
    assert any("50" in str(p) and "45" in str(p) for p in error.problems)


def test_invalid_cpr(instance: Instance, kit: Kit) -> None:
    from tests.identities import fake_cpr

    bad = fake_cpr(31, 2, 80, 1234)
    kit.doc["individuals"][0]["cpr"] = bad
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.field == "cpr")
    assert "individuals[0]" in (problem.location or "") and bad not in str(error)


def test_unknown_department(instance: Instance, kit: Kit) -> None:
    kit.doc["submitter"]["department"] = "RX-NOPE"
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.field == "submitter.department")
    assert "RH-KG" in (problem.expected or "")


def test_path_escaping_the_manifest_folder(instance: Instance, kit: Kit) -> None:
    kit.file_entry("bam")["path"] = "../../etc/passwd"
    error = _reject(instance, kit)
    problem = next(p for p in error.problems if p.field == "path")
    assert "outside" in problem.message and problem.found == "../../etc/passwd"


def test_duplicate_sample_ids(instance: Instance, kit: Kit) -> None:
    kit.doc["samples"][1]["id"] = kit.doc["samples"][0]["id"]
    error = _reject(instance, kit)
    assert any("duplicate" in p.message and p.location == "samples" for p in error.problems)


def test_manifest_that_is_not_yaml(instance: Instance, kit: Kit) -> None:
    kit.manifest.write_text("schema_version: 1\nsubmitter: [unclosed\n  - department: RH-KG\n")
    before = snapshot(instance)
    with pytest.raises(SubmissionRejected) as info:
        submit_manifest(instance, kit.manifest)
    assert_only_rejection_recorded(before, snapshot(instance))
    assert info.value.problems[0].location and "line" in info.value.problems[0].location


def test_cpr_written_as_a_number_is_refused(instance: Instance, kit: Kit) -> None:
    kit.write()
    text = kit.manifest.read_text().replace(f"'{MOTHER_CPR}'", MOTHER_CPR)  # unquoted: YAML reads a number
    kit.manifest.write_text(text)
    with pytest.raises(SubmissionRejected) as info:
        submit_manifest(instance, kit.manifest)
    assert any("quoted" in p.message for p in info.value.problems)


def test_cpr_in_a_file_name_is_refused(instance: Instance, kit: Kit) -> None:
    shutil.move(kit.folder / "mother.vcf.gz", kit.folder / f"{MOTHER_CPR}.vcf.gz")
    kit.file_entry("vcf")["path"] = f"{MOTHER_CPR}.vcf.gz"
    error = _reject(instance, kit)
    assert any("CPR" in p.message for p in error.problems)
    assert MOTHER_CPR not in str(error)


def test_every_problem_is_reported_at_once(instance: Instance, kit: Kit) -> None:
    kit.doc["submitter"]["department"] = "RX-NOPE"
    kit.file_entry("bam")["sha256"] = "1" * 64
    kit.doc["samples"][1]["id"] = kit.doc["samples"][0]["id"]
    error = _reject(instance, kit)
    fields = {p.field for p in error.problems}
    assert {"submitter.department", "sha256", "id"} <= fields
