"""The CPR guard over the text header of every submitted file, run once before its format's validator.

A header line carrying a CPR-like number rejects the file: the problem names the file and the line (and the
header tag), never the number, and the file is not stored. What counts as the header:

* VCF / gVCF: every ``##`` meta line and the ``#CHROM`` line;
* BAM / CRAM: the SAM text header (``@HD``, ``@SQ``, ``@RG``, ``@PG``, ``@CO``);
* FASTQ: the header line (read name and comment) of the first ``FASTQ_RECORDS_SCANNED`` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pysam

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators.base import FileExpectation
from genomdb.ingest.validators.compression import INFLATE_ERRORS, is_gzip, open_maybe_gzip
from genomdb.privacy import contains_cpr, redact

FASTQ_RECORDS_SCANNED = 10_000
MAX_VCF_HEADER_LINES = 1_000_000
_UNREADABLE: tuple[type[BaseException], ...] = (*INFLATE_ERRORS, ValueError)


def vcf_header_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of every ``##`` line and the ``#CHROM`` line of a (b)gzipped or plain VCF."""
    with open_maybe_gzip(path, gzipped=is_gzip(path)) as handle:
        for number, line in enumerate(islice(handle, MAX_VCF_HEADER_LINES), start=1):
            if not line.startswith(b"#"):
                return
            yield number, line.rstrip(b"\r\n")
            if line.startswith(b"#CHROM"):
                return


def _sam_header_lines(path: Path, *, is_cram: bool) -> Iterator[tuple[int, bytes]]:
    from genomdb.ingest.validators.alignments import quiet_htslib

    with quiet_htslib():
        mode = "rc" if is_cram else "rb"
        with pysam.AlignmentFile(str(path), mode, check_sq=False, ignore_truncation=True) as alignments:
            text = str(alignments.header)
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, line.encode("utf-8", "replace")


def _fastq_header_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open_maybe_gzip(path, gzipped=is_gzip(path)) as handle:
        for number, line in enumerate(islice(handle, 4 * FASTQ_RECORDS_SCANNED), start=1):
            if number % 4 == 1:
                yield number, line.rstrip(b"\r\n")


def _tag(line: bytes, file_format: FileFormat) -> str:
    text = line.decode("utf-8", "replace")
    if file_format is FileFormat.FASTQ:
        return "read header"
    if file_format in (FileFormat.BAM, FileFormat.CRAM):
        return text[:3]
    if text.startswith("#CHROM"):
        return "#CHROM"
    return redact(text.split("=", 1)[0])


def header_problems(path: Path, expectation: FileExpectation) -> list[Problem]:
    """A problem for every header line of the file that carries a CPR-like number (empty when none does).

    A file whose header cannot be read yields no problems here: its format's validator reports that.
    """
    file_format = expectation.format
    if file_format is FileFormat.FASTQ:
        lines = _fastq_header_lines(path)
        where = "line"
    elif file_format in (FileFormat.BAM, FileFormat.CRAM):
        lines = _sam_header_lines(path, is_cram=file_format is FileFormat.CRAM)
        where = "SAM header line"
    else:
        lines = vcf_header_lines(path)
        where = "line"
    problems: list[Problem] = []
    try:
        for number, line in lines:
            if contains_cpr(line.decode("utf-8", "replace")):
                problems.append(
                    Problem(
                        expectation.display_name,
                        "the header line carries what looks like a CPR number; personal identifiers never enter "
                        "the archive: remove it and submit again",
                        location=f"{where} {number}",
                        field=_tag(line, file_format),
                        expected="no personal identifier",
                    )
                )
    except _UNREADABLE:
        pass
    return problems
