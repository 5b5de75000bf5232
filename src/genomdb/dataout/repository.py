"""Reads and writes of data-out's working-copy requests; ORM rows never leave this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from genomdb.access.relations import users
from genomdb.dataout.records import CopyRequest, RequestState, RequestStatus
from genomdb.dataout.tables import DataOutRequestRow
from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.errors import NotFound


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class DataOutRepository:
    """Working-copy requests and their state."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_request(
        self,
        request_id: str,
        *,
        requester: str,
        spec: CopyRequest,
        status: RequestStatus,
        purpose: str | None,
        grant_id: str | None,
        message: str | None = None,
    ) -> RequestState:
        with self._db.session() as session:
            user_id = session.scalar(select(users.c.id).where(users.c.username == requester))
            if user_id is None:
                raise NotFound(f"no user {requester}")
            now = utcnow()
            row = DataOutRequestRow(
                id=request_id,
                user_id=user_id,
                status=status.value,
                spec=spec.to_dict(),
                purpose=purpose,
                grant_id=grant_id,
                message=message,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _request_state(row, requester)

    def update_request(
        self,
        request_id: str,
        *,
        status: RequestStatus,
        message: str | None = None,
        waiting_for: Sequence[str] | None = None,
        n_parts: int | None = None,
        total_bytes: int | None = None,
    ) -> None:
        with self._db.session() as session:
            row = session.get(DataOutRequestRow, request_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no request {request_id}")
            now = utcnow()
            row.status = status.value
            row.message = message
            row.waiting_for = list(waiting_for) if waiting_for is not None else None
            row.n_parts, row.total_bytes = n_parts, total_bytes
            row.updated_at = now
            if status in (RequestStatus.READY, RequestStatus.FAILED, RequestStatus.REFUSED):
                row.completed_at = now

    def request(self, request_id: str) -> RequestState | None:
        with self._db.session() as session:
            found = session.execute(
                select(DataOutRequestRow, users.c.username)
                .join(users, users.c.id == DataOutRequestRow.user_id)
                .where(DataOutRequestRow.id == request_id)
            ).first()
            return _request_state(found[0], found[1]) if found else None

    def requests(self, *, requester: str | None = None, status: RequestStatus | None = None) -> list[RequestState]:
        with self._db.session() as session:
            query = (
                select(DataOutRequestRow, users.c.username)
                .join(users, users.c.id == DataOutRequestRow.user_id)
                .order_by(DataOutRequestRow.created_at, DataOutRequestRow.id)
            )
            if requester is not None:
                query = query.where(users.c.username == requester)
            if status is not None:
                query = query.where(DataOutRequestRow.status == status.value)
            return [_request_state(row, username) for row, username in session.execute(query)]


def _request_state(row: DataOutRequestRow, requester: str) -> RequestState:
    return RequestState(
        request_id=row.id,
        requester=requester,
        status=RequestStatus(row.status),
        spec=CopyRequest.from_dict(row.spec),
        purpose=row.purpose,
        grant_id=row.grant_id,
        message=row.message,
        waiting_for=tuple(row.waiting_for or ()),
        n_parts=row.n_parts,
        total_bytes=row.total_bytes,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        completed_at=_aware(row.completed_at) if row.completed_at else None,
    )
