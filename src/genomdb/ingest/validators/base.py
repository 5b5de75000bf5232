"""What every format validator receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat, Platform, ReadType

MAX_PROBLEMS_PER_FILE = 25


@dataclass(frozen=True, slots=True)
class FileExpectation:
    """What the manifest says a file should be.

    ``display_name`` is the path as the submitter wrote it in the manifest; every :class:`Problem` uses it as
    its ``file`` so the report speaks the submitter's language, never genomdb's staging paths.
    """

    file_id: str
    display_name: str
    format: FileFormat
    sample_ids: tuple[str, ...] = ()
    reference_build: str | None = None
    reference_fasta: Path | None = None
    platform: Platform | None = None
    read_type: ReadType | None = None
    other_references: tuple[tuple[str, Path], ...] = ()
    """(build, FASTA) of the instance's other installed builds, to say which build a file is when it is not the
    declared one"""


@dataclass(slots=True)
class FileReport:
    """The outcome of validating one file: problems (empty when valid) and facts learnt on the way.

    ``facts`` holds small JSON-serialisable values that the catalog keeps (``n_records``, ``n_reads``,
    ``samples``, ``contigs``, ``is_gvcf``, ``n_reference_blocks``, ``quality_encoding``, …).
    ``index_path`` is the index (``.tbi``/``.csi``/``.bai``/``.crai``) found beside the file or built into
    the work folder; it is stored with the file.
    """

    problems: list[Problem] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    index_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> bool:
        """Record a problem; return False once the per-file cap is reached (callers then stop reading)."""
        if len(self.problems) < MAX_PROBLEMS_PER_FILE:
            self.problems.append(problem)
            return True
        return False
