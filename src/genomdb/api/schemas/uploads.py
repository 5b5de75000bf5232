"""Schemas of the upload routes: start, part targets, completion, status."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from genomdb.ingest.repository import UploadRecord
from genomdb.storage.uploads import SentPart


class UploadStartIn(BaseModel):
    file_name: str = Field(description="the file's name (no folder); kept with the upload")
    size: int = Field(gt=0, description="the file's size in bytes")
    part_size: int | None = Field(default=None, description="bytes per part (default: 16 MiB, larger for huge files)")


class PartNumbersIn(BaseModel):
    numbers: list[int] = Field(min_length=1, max_length=10_000, description="part numbers, from 1")


class PartIn(BaseModel):
    number: int = Field(ge=1)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$", description="the part's MD5 (hex): the ETag its PUT answered")


class UploadCompleteIn(BaseModel):
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="the whole file's sha256; genomdb re-reads and checks it"
    )
    parts: list[PartIn] = Field(min_length=1, description="every part sent, with the MD5 of what was sent")


class PartOut(BaseModel):
    number: int
    size: int
    md5: str

    @classmethod
    def of(cls, part: SentPart) -> PartOut:
        return cls(number=part.number, size=part.size, md5=part.md5)


class PartTargetOut(BaseModel):
    number: int
    size: int
    method: str = "PUT"
    url: str = Field(description="PUT the part's bytes here (a presigned object-store URL, or genomdb's own)")
    needs_token: bool = Field(description="send the genomdb token with the PUT (genomdb's own part endpoint)")


class PartTargetsOut(BaseModel):
    upload_id: str
    parts: list[PartTargetOut]


class UploadOut(BaseModel):
    upload_id: str
    department: str
    file_name: str
    size: int
    part_size: int
    n_parts: int
    state: str
    sha256: str | None
    submission_id: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    parts_received: list[PartOut] = Field(default_factory=list)

    @classmethod
    def of(cls, r: UploadRecord, parts: list[SentPart] | None = None) -> UploadOut:
        return cls(
            upload_id=r.upload_id,
            department=r.department_code,
            file_name=r.file_name,
            size=r.size,
            part_size=r.part_size,
            n_parts=-(-r.size // r.part_size),
            state=r.state,
            sha256=r.sha256,
            submission_id=r.submission_id,
            created_at=r.created_at,
            completed_at=r.completed_at,
            parts_received=[PartOut.of(p) for p in parts or []],
        )


class UploadListOut(BaseModel):
    uploads: list[UploadOut]
