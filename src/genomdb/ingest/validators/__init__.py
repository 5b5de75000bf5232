"""One streaming validator per file format, behind :func:`validate_file`."""

from __future__ import annotations

from pathlib import Path

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators.alignments import validate_alignments
from genomdb.ingest.validators.base import MAX_PROBLEMS_PER_FILE, FileExpectation, FileReport
from genomdb.ingest.validators.bcf import is_bcf, validate_bcf
from genomdb.ingest.validators.fastq import check_mates, validate_fastq
from genomdb.ingest.validators.headers import header_problems
from genomdb.ingest.validators.variants import validate_variants

__all__ = [
    "MAX_PROBLEMS_PER_FILE",
    "FileExpectation",
    "FileReport",
    "check_mates",
    "validate_file",
]


def validate_file(path: Path, expectation: FileExpectation, *, work_dir: Path) -> FileReport:
    """Validate one staged file against what the manifest says it is.

    ``path`` keeps the submitted extension; an index submitted beside it is used, otherwise one is built into
    ``work_dir`` for sorted BAM/CRAM/VCF files. Every problem names ``expectation.display_name``. The CPR guard
    reads the file's text header first; a header line carrying a CPR-like number rejects the file unread.
    """
    if not path.is_file():
        report = FileReport()
        report.add(Problem(expectation.display_name, "file not found", location="whole file"))
        return report
    refused = header_problems(path, expectation)
    if refused:
        report = FileReport()
        for problem in refused:
            report.add(problem)
        return report
    if expectation.format is FileFormat.FASTQ:
        return validate_fastq(path, expectation)
    if expectation.format in (FileFormat.BAM, FileFormat.CRAM):
        return validate_alignments(path, expectation, work_dir=work_dir)
    if expectation.format is FileFormat.BCF or is_bcf(path):  # BCF: declared, or found inside a VCF/gVCF entry
        return validate_bcf(path, expectation, work_dir=work_dir)
    return validate_variants(path, expectation, work_dir=work_dir)
