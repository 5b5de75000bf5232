"""BCF on data-in: declared as BCF, or found inside a VCF/gVCF entry; bad BCFs rejected with a report naming the
file, record and field; stored with a CSI index that bcftools reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from genomdb.ingest.submit import SubmissionRejected, submit_manifest
from genomdb.instance import Instance
from tests.ingest.submission_kit import Kit, assert_only_rejection_recorded, make_kit, snapshot

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools (the oracle)")


def _to_bcf(source: Path, target: Path) -> None:
    subprocess.run(["bcftools", "view", "--no-version", "-Ob", "-o", str(target), str(source)], check=True)


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path / "submission")


def _stored(instance: Instance, sample_id: str, file_ref: str) -> tuple[str, dict[str, object], str | None]:
    facts = instance.catalog.sample_facts(sample_id)
    assert facts is not None
    stored = next(f for f in instance.catalog.sample(facts.sample_key).files if f.file_ref == file_ref)
    return stored.format, stored.facts, stored.index_name


def test_declared_bcf_is_stored_with_a_csi_index(instance: Instance, kit: Kit, tmp_path: Path) -> None:
    _to_bcf(kit.folder / "mother.vcf.gz", kit.folder / "mother.bcf")
    entry = kit.file_entry("vcf")
    entry.update(path="mother.bcf", format="BCF")
    kit.rehash("vcf")
    submit_manifest(instance, kit.write())
    fmt, facts, index_name = _stored(instance, "RH-KG-T0002", "vcf")
    assert (fmt, index_name, facts["n_records"], facts["samples"]) == ("BCF", "csi", 1, ["RH-KG-T0002"])
    expected = subprocess.run(
        ["bcftools", "view", "-H", str(kit.folder / "mother.vcf.gz")], check=True, capture_output=True, text=True
    ).stdout
    assert facts["n_records"] == len(expected.splitlines())


def test_a_gvcf_entry_holding_a_bcf_is_stored_as_bcf(instance: Instance, kit: Kit) -> None:
    _to_bcf(kit.folder / "child.g.vcf.gz", kit.folder / "child.g.bcf")
    kit.file_entry("gvcf")["path"] = "child.g.bcf"
    kit.rehash("gvcf")
    submit_manifest(instance, kit.write())
    fmt, facts, index_name = _stored(instance, "RH-KG-T0001", "gvcf")
    assert (fmt, index_name) == ("BCF", "csi")
    assert facts["declared_format"] == "GVCF" and facts["is_gvcf"] is True and facts["n_reference_blocks"] == 2


def test_bad_bcfs_are_rejected_naming_file_record_and_field(instance: Instance, kit: Kit, tmp_path: Path) -> None:
    unsorted = tmp_path / "unsorted.vcf"
    unsorted.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tRH-KG-T0002\n"
        "chr1\t20000\t.\tA\tG\t.\t.\t.\tGT\t0/1\nchr1\t10000\t.\tC\tT\t.\t.\t.\tGT\t0/1\n"
    )
    _to_bcf(unsorted, kit.folder / "mother.bcf")
    entry = kit.file_entry("vcf")
    entry.update(path="mother.bcf", format="BCF")
    kit.rehash("vcf")
    kit.write()
    before = snapshot(instance)
    with pytest.raises(SubmissionRejected) as info:
        submit_manifest(instance, kit.manifest)
    assert_only_rejection_recorded(before, snapshot(instance))
    (problem,) = [p for p in info.value.problems if p.file == "mother.bcf"]
    assert (problem.location, problem.field) == ("record 2", "POS")
    truncated = kit.folder / "mother.bcf"
    truncated.write_bytes(truncated.read_bytes()[:-28])  # without the BGZF EOF block
    kit.rehash("vcf")
    kit.write()
    with pytest.raises(SubmissionRejected) as again:
        submit_manifest(instance, kit.manifest)
    assert any(p.file == "mother.bcf" and "truncated" in p.message for p in again.value.problems)
