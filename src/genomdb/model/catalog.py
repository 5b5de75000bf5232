"""Domain records of the metadata catalogue, as the rest of genomdb sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SubmissionStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class StorageTier(StrEnum):
    HOT = "hot"
    COLD = "cold"


@dataclass(frozen=True, slots=True)
class BlobUse:
    """A registered blob as storage planning sees it: what kind of file it is (the format of the file it is, or
    whose index it is), whose it is, when it was stored, its tier, and the bases it holds (FASTQ)."""

    sha256: str
    size: int
    tier: StorageTier
    stored_at: dt.datetime
    file_format: str | None
    """The catalog format (``FASTQ``, ``CRAM``, …); None for a blob no file names any more."""
    persons: tuple[str, ...]
    """Pseudonyms of the persons whose (any-version) samples the file belongs to."""
    n_bases: int | None = None


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    region: Region


@dataclass(frozen=True, slots=True)
class Person:
    pseudonym: str
    birth_year: int | None
    declared_sex: str | None
    research_opt_out: bool
    relatives: tuple[tuple[str, str], ...] = ()
    """(relation, pseudonym) pairs: what the other person is to this one."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_ref: str
    format: str
    original_path: str | None
    size: int
    sha256: str
    md5: str
    tier: StorageTier
    encrypted: bool
    index_sha256: str | None
    index_name: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    run_ref: str | None = None
    mate_ref: str | None = None


@dataclass(frozen=True, slots=True)
class SequencingRun:
    run_ref: str
    platform: str
    read_type: str
    instrument: str | None
    library_strategy: str
    library_id: str | None
    run_date: dt.date | None


@dataclass(frozen=True, slots=True)
class Analysis:
    analysis_ref: str
    pipeline_name: str
    pipeline_version: str
    reference_build: str
    sample_keys: tuple[str, ...]
    input_refs: tuple[str, ...]
    output_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """One current sample, as ``catalog search`` lists it."""

    sample_key: str
    submitter_sample_id: str
    pseudonym: str
    department: str
    region: str
    submission_id: str
    submission_version: int
    submitted_at: dt.datetime
    platforms: tuple[str, ...]
    read_types: tuple[str, ...]
    formats: tuple[str, ...]
    reference_builds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SampleDetail:
    summary: SampleSummary
    tissue: str
    collection_date: dt.date | None
    withdrawn: bool
    runs: tuple[SequencingRun, ...]
    files: tuple[StoredFile, ...]
    analyses: tuple[Analysis, ...]
    version_ids: tuple[tuple[str, int, int], ...]
    """Every stored version of this sample: (submission id, submission version, sample version id)."""


@dataclass(frozen=True, slots=True)
class SubmissionEvent:
    at: dt.datetime
    kind: str
    version: int | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubmissionVersion:
    version: int
    status: SubmissionStatus
    created_at: dt.datetime
    reason: str | None
    manifest_name: str
    title: str | None
    n_samples: int
    n_files: int
    report: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Submission:
    submission_id: str
    department: str
    status: SubmissionStatus
    current_version: int | None
    created_at: dt.datetime
    versions: tuple[SubmissionVersion, ...]
    events: tuple[SubmissionEvent, ...]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Filters of ``catalog search``; each is optional and they combine with AND."""

    region: str | None = None
    department: str | None = None
    platform: str | None = None
    read_type: str | None = None
    file_format: str | None = None
    reference_build: str | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    has_vcf: bool | None = None
    pseudonym: str | None = None
    submission_id: str | None = None
    sample_key: str | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class SampleFacts:
    """What the policy needs to know about one current sample."""

    sample_key: str
    submitter_sample_id: str
    pseudonym: str
    department: str
    region: str
    research_opt_out: bool


@dataclass(frozen=True, slots=True)
class SubmissionListing:
    """One submission as a list shows it: who submitted it, its state and its newest version."""

    submission_id: str
    department: str
    status: SubmissionStatus
    current_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
