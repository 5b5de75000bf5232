"""Normalise one stored VCF/gVCF against the reference FASTA with htslib's own tools (pysam's bcftools).

``bcftools norm -m-any --check-ref e -f REF`` splits multi-allelic records into biallelic ones (genotypes
re-coded per split allele: the other ALTs become REF), left-aligns and trims them, and stops at the first REF
that does not match the FASTA. Splitting also separates ``<NON_REF>``/``<*>`` from the real alleles, so an indel
that a gVCF wrote right-shifted next to ``<NON_REF>`` is left-aligned too. ``bcftools query`` then prints one
tab-separated line per sample and record, leaving out the split-off symbolic alleles (they are not variants) and
``*`` alleles (a spanning deletion is not a variant at this position; the deletion is a record of its own).
Reference blocks and unsplit ``<NON_REF>`` records stay: they are the gVCF's callable evidence.

Every step streams through files in a work folder; nothing holds a whole file in memory.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pysam
import pysam.bcftools

from genomdb.errors import Problem
from genomdb.ingest.validators.alignments import quiet_htslib
from genomdb.storage.blobs import BlobStore, LocalBlobStore

OLD_RECORD_TAG = "GENOMDB_OLD_REC"
"""INFO tag ``bcftools norm`` writes on records it split or moved; marks the split-off symbolic alleles."""
QUERY_TAGS = ("GT", "GQ", "DP", "MIN_DP", "AD")
QUERY_EXCLUDE = f'ALT="*" || (ALT~"^<" && INFO/{OLD_RECORD_TAG}!=".")'
_REF_MISMATCH = re.compile(r"Reference allele mismatch at (\S+):(\d+) \.\. REF_SEQ:'([^']*)' vs VCF:'([^']*)'")
_COPY_CHUNK = 1 << 22


@dataclass(frozen=True, slots=True)
class NormalizeTask:
    """One stored call file to normalise: which blob, how errors name it, which of its samples to keep."""

    index: int
    sha256: str
    display_name: str
    sample_names: tuple[str, ...]
    contigs_with_records: tuple[str, ...]
    blobs: BlobStore
    reference_fasta: Path
    work_dir: Path


@dataclass(frozen=True, slots=True)
class NormalizedFile:
    """The records of a normalised file as tab-separated text (``tsv``), or the problems that stopped it."""

    index: int
    tsv: Path | None
    problems: tuple[Problem, ...] = ()


@contextmanager
def local_plaintext(blobs: BlobStore, sha256: str, work_dir: Path) -> Iterator[Path]:
    """A local path to a stored blob's plaintext: the blob itself in a plain local store, else a temporary copy."""
    if isinstance(blobs, LocalBlobStore):
        stored = blobs._existing(sha256)  # the local store's own layout; it knows where its blobs are
        if stored is not None and stored.suffix != ".c4gh":
            yield stored
            return
    copy = work_dir / f"{sha256}.plain"
    with blobs.open(sha256) as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target, _COPY_CHUNK)
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def reference_lengths(fasta: Path) -> dict[str, int]:
    with pysam.FastaFile(str(fasta)) as reference:
        return dict(zip(reference.references, reference.lengths, strict=True))


def header_problems(
    task: NormalizeTask, header: pysam.VariantHeader, reference: dict[str, int]
) -> tuple[list[Problem], set[str]]:
    """Contigs and samples of a file against the reference and the catalog; also the FORMAT tags it defines."""
    problems: list[Problem] = []
    name = task.display_name
    for contig in task.contigs_with_records:
        if contig not in reference:
            problems.append(
                Problem(
                    name,
                    f"contig {contig} is not in the GRCh38 reference FASTA: the file uses another build or naming",
                    location="header",
                    field="CHROM",
                    expected="contigs of the instance's GRCh38 reference (" + ", ".join(list(reference)[:5]) + ", …)",
                    found=contig,
                )
            )
    for declared in header.contigs.values():
        length = declared.length
        if length is not None and declared.name in reference and reference[declared.name] != length:
            problems.append(
                Problem(
                    name,
                    f"contig {declared.name} has another length than in the GRCh38 reference: mixed builds",
                    location="header ##contig",
                    field="length",
                    expected=str(reference[declared.name]),
                    found=str(length),
                )
            )
    missing = [sample for sample in task.sample_names if sample not in header.samples]
    if missing:
        problems.append(
            Problem(
                name,
                "sample missing from the VCF header",
                location="header #CHROM line",
                field="samples",
                expected=", ".join(task.sample_names),
                found=", ".join(header.samples) or "no samples",
            )
        )
    return problems, set(header.formats.keys())


def _norm_problem(name: str, message: str) -> Problem:
    match = _REF_MISMATCH.search(message)
    if match:
        chrom, pos, reference_bases, vcf_bases = match.groups()
        return Problem(
            name,
            "REF does not match the reference FASTA",
            location=f"record {chrom}:{pos}",
            field="REF",
            expected=f"{reference_bases} (the GRCh38 reference)",
            found=vcf_bases,
        )
    detail = message.split("stderr=", 1)[-1]
    first_line = next((line for line in detail.splitlines() if line.strip()), "no message")
    return Problem(name, f"bcftools norm could not normalise the file: {first_line}", location="records")


def query_format(formats: set[str]) -> str:
    """The ``bcftools query`` line: one per sample and record; FORMAT tags the header lacks print as ``.``."""
    tags = "\t".join(f"%{tag}" if tag in formats else "." for tag in QUERY_TAGS)
    return f"[%CHROM\t%POS\t%END\t%REF\t%ALT\t%SAMPLE\t{tags}\n]"


def normalize_call_file(task: NormalizeTask) -> NormalizedFile:
    """Normalise one file and print its records for the samples asked for; problems instead of an exception."""
    normalized = task.work_dir / f"{task.index:06d}.norm.bcf"
    tsv = task.work_dir / f"{task.index:06d}.tsv"
    with local_plaintext(task.blobs, task.sha256, task.work_dir) as path:
        try:
            with quiet_htslib(), pysam.VariantFile(str(path)) as variants:
                header = variants.header.copy()
        except (OSError, ValueError) as exc:
            return NormalizedFile(task.index, None, (Problem(task.display_name, f"cannot read the VCF: {exc}"),))
        problems, formats = header_problems(task, header, reference_lengths(task.reference_fasta))
        if problems:
            return NormalizedFile(task.index, None, tuple(problems))
        try:
            pysam.bcftools.norm(
                "-m-any",
                "--check-ref",
                "e",
                "--fasta-ref",
                str(task.reference_fasta),
                "--old-rec-tag",
                OLD_RECORD_TAG,
                "--output-type",
                "u",
                "--output",
                str(normalized),
                str(path),
                catch_stdout=False,
            )
        except pysam.utils.SamtoolsError as exc:
            normalized.unlink(missing_ok=True)
            return NormalizedFile(task.index, None, (_norm_problem(task.display_name, str(exc.value)),))
    try:
        pysam.bcftools.query(
            "--samples",
            ",".join(task.sample_names),
            "--exclude",
            QUERY_EXCLUDE,
            "--format",
            query_format(formats),
            "--output",
            str(tsv),
            str(normalized),
            catch_stdout=False,
        )
    except pysam.utils.SamtoolsError as exc:
        tsv.unlink(missing_ok=True)
        detail = str(exc.value).split("stderr=", 1)[-1].strip()
        return NormalizedFile(task.index, None, (Problem(task.display_name, f"bcftools query failed: {detail}"),))
    finally:
        normalized.unlink(missing_ok=True)
    return NormalizedFile(task.index, tsv)
