"""What an accepted submission writes to the catalog, built by data-in and recorded in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class NewPerson:
    local_id: str
    pseudonym: str
    birth_year: int | None
    declared_sex: str | None
    research_opt_out: bool
    known: bool
    """True when the manifest named an existing pseudonym instead of a CPR number."""
    does_not_want_to_know: bool | None = None
    """The person's right not to know, as the manifest states it (None: not stated, keep what is known)."""


@dataclass(frozen=True, slots=True)
class NewSample:
    submitter_sample_id: str
    person_local_id: str
    tissue: str
    collection_date: dt.date | None
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class NewRun:
    run_ref: str
    sample_id: str
    platform: str
    read_type: str
    instrument: str | None
    library_strategy: str
    library_id: str | None
    run_date: dt.date | None


@dataclass(frozen=True, slots=True)
class NewBlob:
    sha256: str
    md5: str
    size: int
    encrypted: bool


@dataclass(frozen=True, slots=True)
class NewFile:
    file_ref: str
    format: str
    original_path: str | None
    blob: NewBlob
    index_blob: NewBlob | None
    index_name: str | None
    run_ref: str | None
    mate_ref: str | None
    sample_ids: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewAnalysis:
    analysis_ref: str
    pipeline_name: str
    pipeline_version: str
    reference_build: str
    sample_ids: tuple[str, ...]
    input_refs: tuple[str, ...]
    output_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubmissionPlan:
    """Everything a valid manifest adds, with CPR numbers already replaced by pseudonyms."""

    department_code: str
    manifest_name: str
    title: str | None
    manifest: dict[str, Any]
    content_digest: str
    persons: tuple[NewPerson, ...]
    relationships: tuple[tuple[str, str, str], ...]
    """(local id, relation, relative's local id)"""
    samples: tuple[NewSample, ...]
    runs: tuple[NewRun, ...]
    files: tuple[NewFile, ...]
    analyses: tuple[NewAnalysis, ...]
    corrects: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SubmissionOutcome:
    submission_id: str
    version: int
    status: str
    unchanged: bool = False
    """True when identical content was already accepted: nothing was written."""
    n_samples: int = 0
    n_files: int = 0
    bytes_stored: int = 0
    problems: tuple[Any, ...] = ()
