"""A small, valid submission folder for data-in tests, and a snapshot of what an instance holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genomdb.instance import Instance
from tests.identities import fake_cpr
from tests.ingest import formats_factory as ff

MOTHER_CPR = fake_cpr(12, 3, 71, 1234)
CHILD_CPR = fake_cpr(5, 9, 12, 4321)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gvcf_lines(sample_blocks: bool = True) -> list[str]:
    lines = []
    if sample_blocks:
        lines.append(ff.reference_block("chr1", 9_000, 9_999))
    lines.append(ff.vcf_line("chr1", 10_000, "A", "G,<NON_REF>"))
    if sample_blocks:
        lines.append(ff.reference_block("chr1", 10_001, 20_000))
    lines.append(ff.vcf_line("chr2", 5_000, "C", "T,<NON_REF>", genotypes=("1/1:30:99",)))
    return lines


@dataclass
class Kit:
    """Files and a manifest document; ``write()`` puts the manifest beside the files."""

    folder: Path
    doc: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.yaml"

    def file_entry(self, file_id: str) -> dict[str, Any]:
        return next(f for f in self.doc["files"] if f["id"] == file_id)

    def rehash(self, file_id: str) -> None:
        entry = self.file_entry(file_id)
        entry["sha256"] = sha256_of(self.folder / entry["path"])

    def write(self) -> Path:
        self.manifest.write_text(yaml.safe_dump(self.doc, sort_keys=False))
        return self.manifest


def make_kit(folder: Path, *, department: str = "RH-KG", prefix: str = "RH-KG-T") -> Kit:
    """Mother and child; the child has paired FASTQs, a BAM and a gVCF; the mother a plain VCF."""
    folder.mkdir(parents=True, exist_ok=True)
    child, mother = f"{prefix}0001", f"{prefix}0002"
    ff.write_fastq(folder / "child_R1.fastq.gz", ff.fastq_records(50, seed=1))
    ff.write_fastq(folder / "child_R2.fastq.gz", ff.fastq_records(50, seed=2))
    ff.write_alignments(
        folder / "child.bam",
        sq=ff.build_sq("GRCh38", with_md5=False),
        read_groups=({"ID": "rg1", "SM": child, "PL": "ILLUMINA"},),
    )
    ff.write_vcf(folder / "child.g.vcf.gz", gvcf_lines(), contigs=ff.grch38_vcf_contigs(), samples=(child,), gvcf=True)
    ff.write_vcf(
        folder / "mother.vcf.gz", [ff.vcf_line("chr1", 10_000)], contigs=ff.grch38_vcf_contigs(), samples=(mother,)
    )
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submitter": {"department": department},
        "title": "test family",
        "individuals": [
            {"id": "mother", "cpr": MOTHER_CPR},
            {"id": "child", "cpr": CHILD_CPR, "relatives": [{"relation": "mother", "individual": "mother"}]},
        ],
        "samples": [
            {"id": child, "individual": "child", "tissue": "blood"},
            {"id": mother, "individual": "mother", "tissue": "blood"},
        ],
        "runs": [
            {"id": "run1", "sample": child, "platform": "ILLUMINA", "read_type": "short", "instrument": "NovaSeq 6000"}
        ],
        "files": [
            {"id": "r1", "path": "child_R1.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r2"},
            {"id": "r2", "path": "child_R2.fastq.gz", "format": "FASTQ", "run": "run1", "mate": "r1"},
            {"id": "bam", "path": "child.bam", "format": "BAM"},
            {"id": "gvcf", "path": "child.g.vcf.gz", "format": "GVCF"},
            {"id": "vcf", "path": "mother.vcf.gz", "format": "VCF"},
        ],
        "analyses": [
            {
                "id": "a1",
                "samples": [child],
                "pipeline": {"name": "dragen", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "inputs": ["r1", "r2"],
                "outputs": ["bam", "gvcf"],
            },
            {
                "id": "a2",
                "samples": [mother],
                "pipeline": {"name": "gatk", "version": "4.5.0"},
                "reference_build": "GRCh38",
                "outputs": ["vcf"],
            },
        ],
    }
    kit = Kit(folder, doc)
    for entry in doc["files"]:
        kit.rehash(entry["id"])
    return kit


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    blobs: frozenset[str]
    staging: tuple[str, ...]


def snapshot(instance: Instance) -> Snapshot:
    store_root = Path(instance.settings.resolved_store_url().removeprefix("file://"))
    staging = store_root / ".staging"
    return Snapshot(
        counts=instance.catalog.counts(),
        blobs=frozenset(sha for sha, _ in instance.blobs.iter_blobs()),
        staging=tuple(sorted(p.name for p in staging.iterdir())) if staging.exists() else (),
    )


def assert_only_rejection_recorded(before: Snapshot, after: Snapshot, *, new_submission: bool = True) -> None:
    """Nothing but the rejection record (a submission, its rejected version and one event) was written."""
    expected = dict(before.counts)
    if new_submission:
        expected["submissions"] += 1
    expected["submission_versions"] += 1
    expected["events"] += 1
    assert after.counts == expected
    assert after.blobs == before.blobs
    assert after.staging == ()
