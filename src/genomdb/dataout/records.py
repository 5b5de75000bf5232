"""Domain records of data-out: what a working-copy request asks for, where it stands, and what a package holds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from genomdb.access.records import CatalogQuery, GenomicInterval, parse_interval

DEFAULT_FORMATS = ("CRAM", "BAM", "VCF", "GVCF", "BCF")
ALL_FORMATS = ("CRAM", "BAM", "VCF", "GVCF", "BCF", "FASTQ")


class RequestStatus(StrEnum):
    WAITING = "waiting"
    """Some files are in the cold tier; the request completes once they are thawed."""
    READY = "ready"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """A request for a working copy: which samples (named, by person, by catalog query or by a research grant's
    scope), which genomic regions (none: whole files) and which file formats."""

    samples: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    query: CatalogQuery | None = None
    regions: tuple[GenomicInterval, ...] = ()
    formats: tuple[str, ...] = DEFAULT_FORMATS
    grant_id: str | None = None
    panel: tuple[str, ...] = ()
    """Gene symbols whose spans were added to ``regions``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": list(self.samples),
            "persons": list(self.persons),
            "query": self.query.to_dict() if self.query is not None else None,
            "regions": [str(r) for r in self.regions],
            "formats": list(self.formats),
            "grant_id": self.grant_id,
            "panel": list(self.panel),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CopyRequest:
        query = data.get("query")
        return cls(
            samples=tuple(data.get("samples") or ()),
            persons=tuple(data.get("persons") or ()),
            query=CatalogQuery.from_dict(query) if query else None,
            regions=tuple(parse_interval(r) for r in data.get("regions") or ()),
            formats=tuple(data.get("formats") or DEFAULT_FORMATS),
            grant_id=data.get("grant_id"),
            panel=tuple(data.get("panel") or ()),
        )


@dataclass(frozen=True, slots=True)
class RequestState:
    request_id: str
    requester: str
    status: RequestStatus
    spec: CopyRequest
    purpose: str | None
    grant_id: str | None
    message: str | None
    waiting_for: tuple[str, ...]
    """sha256 of the cold-tier blobs a waiting request needs."""
    n_parts: int | None
    total_bytes: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class PackagePart:
    """One encrypted file of a package; ``sha256`` and ``size`` are of the encrypted bytes, as transferred."""

    name: str
    size: int
    sha256: str
    kind: str
    """data, index, metadata or manifest."""


@dataclass(frozen=True, slots=True)
class FetchReport:
    request_id: str
    target: str
    n_parts: int
    n_already_complete: int
    n_resumed: int
    bytes_copied: int
