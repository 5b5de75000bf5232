"""Schemas of the submission routes: outcomes of an upload, lists, versions with their reports, events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from genomdb.model.catalog import Submission, SubmissionListing
from genomdb.model.submission import SubmissionOutcome


class OutcomeOut(BaseModel):
    submission_id: str
    version: int
    status: str
    unchanged: bool
    n_samples: int
    n_files: int
    bytes_stored: int

    @classmethod
    def of(cls, o: SubmissionOutcome) -> OutcomeOut:
        return cls(
            submission_id=o.submission_id,
            version=o.version,
            status=o.status,
            unchanged=o.unchanged,
            n_samples=o.n_samples,
            n_files=o.n_files,
            bytes_stored=o.bytes_stored,
        )


class SubmissionListingOut(BaseModel):
    submission_id: str
    department: str
    status: str
    current_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, s: SubmissionListing) -> SubmissionListingOut:
        return cls(
            submission_id=s.submission_id,
            department=s.department,
            status=s.status.value,
            current_version=s.current_version,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SubmissionListOut(BaseModel):
    submissions: list[SubmissionListingOut]


class VersionOut(BaseModel):
    version: int
    status: str
    created_at: dt.datetime
    reason: str | None
    manifest_name: str
    title: str | None
    n_samples: int
    n_files: int
    report: list[dict[str, Any]]


class EventOut(BaseModel):
    at: dt.datetime
    kind: str
    version: int | None
    detail: dict[str, Any]


class SubmissionOut(BaseModel):
    submission_id: str
    department: str
    status: str
    current_version: int | None
    created_at: dt.datetime
    versions: list[VersionOut]
    events: list[EventOut] | None = None

    @classmethod
    def of(cls, s: Submission, *, with_events: bool) -> SubmissionOut:
        return cls(
            submission_id=s.submission_id,
            department=s.department,
            status=s.status.value,
            current_version=s.current_version,
            created_at=s.created_at,
            versions=[
                VersionOut(
                    version=v.version,
                    status=v.status.value,
                    created_at=v.created_at,
                    reason=v.reason,
                    manifest_name=v.manifest_name,
                    title=v.title,
                    n_samples=v.n_samples,
                    n_files=v.n_files,
                    report=[dict(p) for p in v.report],
                )
                for v in s.versions
            ],
            events=[EventOut(at=e.at, kind=e.kind, version=e.version, detail=dict(e.detail)) for e in s.events]
            if with_events
            else None,
        )
