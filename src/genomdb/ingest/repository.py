"""The only code that touches the ingest domain's tables (uploads waiting for their submission); rows never leave it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.ingest.tables import UploadRow

LIVE_STATES = ("open", "complete")


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """One upload: whose, how it is cut, where it stands."""

    upload_id: str
    department_code: str
    username: str
    file_name: str
    size: int
    part_size: int
    handle: str | None
    state: str
    sha256: str | None
    submission_id: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None


def _record(row: UploadRow) -> UploadRecord:
    return UploadRecord(
        row.upload_id,
        row.department_code,
        row.username,
        row.file_name,
        row.size,
        row.part_size,
        row.handle,
        row.state,
        row.sha256,
        row.submission_id,
        row.created_at,
        row.completed_at,
    )


def add_upload(
    db: Database, upload_id: str, *, department_code: str, username: str, file_name: str, size: int, part_size: int
) -> UploadRecord:
    with db.session() as session:
        row = UploadRow(
            upload_id=upload_id,
            department_code=department_code,
            username=username,
            file_name=file_name,
            size=size,
            part_size=part_size,
            state="open",
        )
        session.add(row)
        session.flush()
        return _record(row)


def upload(db: Database, upload_id: str) -> UploadRecord | None:
    with db.session() as session:
        row = session.get(UploadRow, upload_id)
        return _record(row) if row is not None else None


def set_handle(db: Database, upload_id: str, handle: str) -> None:
    with db.session() as session:
        row = session.get(UploadRow, upload_id)
        if row is not None:
            row.handle = handle


def set_state(
    db: Database, upload_id: str, state: str, *, sha256: str | None = None, submission_id: str | None = None
) -> None:
    with db.session() as session:
        row = session.get(UploadRow, upload_id)
        if row is None:
            return
        row.state = state
        if sha256 is not None:
            row.sha256, row.completed_at = sha256, utcnow()
        if submission_id is not None:
            row.submission_id = submission_id


def completed_uploads(db: Database, department_code: str, sha256s: Iterable[str]) -> dict[str, UploadRecord]:
    """The department's completed, not yet submitted uploads with these sha256s (the newest of each)."""
    wanted = sorted(set(sha256s))
    if not wanted:
        return {}
    with db.session() as session:
        rows = session.scalars(
            select(UploadRow)
            .where(
                UploadRow.department_code == department_code,
                UploadRow.state == "complete",
                UploadRow.sha256.in_(wanted),
            )
            .order_by(UploadRow.completed_at)
        )
        return {str(r.sha256): _record(r) for r in rows}


def expire_uploads(db: Database, *, begun_before: dt.datetime) -> list[UploadRecord]:
    """Mark open or completed uploads begun before the cutoff as expired; return them as they were."""
    with db.session() as session:
        rows = list(
            session.scalars(
                select(UploadRow).where(UploadRow.state.in_(LIVE_STATES), UploadRow.created_at <= begun_before)
            )
        )
        found = [_record(r) for r in rows]
        for row in rows:
            row.state = "expired"
        return found


def department_uploads(db: Database, department_code: str, *, limit: int = 1000) -> list[UploadRecord]:
    with db.session() as session:
        rows = session.scalars(
            select(UploadRow)
            .where(UploadRow.department_code == department_code)
            .order_by(UploadRow.created_at.desc())
            .limit(limit)
        )
        return [_record(r) for r in rows]
