"""Reads and writes of the web service's tables (API tokens) and the catalog listings the service needs.

ORM rows never leave this module: tokens come back as :class:`genomdb.access.tokens.ApiToken` records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from genomdb.access.records import Role
from genomdb.access.tokens import ApiToken, TokenHolder
from genomdb.catalog.access_tables import UserRow
from genomdb.catalog.repository import Catalog
from genomdb.catalog.service_tables import ApiTokenRow
from genomdb.catalog.tables import DepartmentRow, SubmissionRow, utcnow
from genomdb.errors import Conflict, NotFound
from genomdb.model.catalog import SubmissionStatus

AnySelect: TypeAlias = Select[*tuple[Any, ...]]


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _required(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class SubmissionListing:
    """One submission as a list shows it: who submitted it, its state and its newest version."""

    submission_id: str
    department: str
    status: SubmissionStatus
    current_version: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ServiceRepository:
    """API tokens, and submissions by department."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # --- tokens --------------------------------------------------------------------------------------

    @staticmethod
    def _user_id(session: Session, username: str) -> int:
        user_id = session.scalar(select(UserRow.id).where(UserRow.username == username))
        if user_id is None:
            raise NotFound(f"no user {username}")
        return user_id

    @staticmethod
    def _tokens_select() -> AnySelect:
        owner, creator, revoker = aliased(UserRow), aliased(UserRow), aliased(UserRow)
        return (
            select(ApiTokenRow, owner.username, creator.username, revoker.username)
            .join(owner, owner.id == ApiTokenRow.user_id)
            .outerjoin(creator, creator.id == ApiTokenRow.created_by_id)
            .outerjoin(revoker, revoker.id == ApiTokenRow.revoked_by_id)
        )

    @staticmethod
    def _token(row: ApiTokenRow, username: str, created_by: str | None, revoked_by: str | None) -> ApiToken:
        return ApiToken(
            token_id=row.id,
            username=username,
            label=row.label,
            created_at=_required(row.created_at),
            expires_at=_required(row.expires_at),
            created_by=created_by,
            revoked_at=_aware(row.revoked_at),
            revoked_by=revoked_by,
        )

    def add_token(
        self,
        token_id: str,
        *,
        username: str,
        secret_sha256: str,
        label: str,
        expires_at: dt.datetime,
        created_by: str | None,
    ) -> ApiToken:
        with self._catalog.session() as session:
            if session.get(ApiTokenRow, token_id) is not None:
                raise Conflict(f"token id {token_id} exists already")
            row = ApiTokenRow(
                id=token_id,
                user_id=self._user_id(session, username),
                secret_sha256=secret_sha256,
                label=label,
                created_by_id=self._user_id(session, created_by) if created_by else None,
                created_at=utcnow(),
                expires_at=expires_at,
            )
            session.add(row)
            session.flush()
            return self._token(row, username, created_by, None)

    def tokens(self, *, username: str | None = None) -> list[ApiToken]:
        query = self._tokens_select().order_by(ApiTokenRow.created_at, ApiTokenRow.id)
        if username is not None:
            query = query.where(
                ApiTokenRow.user_id == select(UserRow.id).where(UserRow.username == username).scalar_subquery()
            )
        with self._catalog.session() as session:
            return [self._token(*row) for row in session.execute(query).all()]

    def token(self, token_id: str) -> ApiToken | None:
        with self._catalog.session() as session:
            row = session.execute(self._tokens_select().where(ApiTokenRow.id == token_id)).first()
            return self._token(*row) if row is not None else None

    def token_holder(self, token_id: str) -> TokenHolder | None:
        """What verifying a token needs, in one query: its hash, validity and its user's role and department."""
        query = (
            select(
                ApiTokenRow.secret_sha256,
                ApiTokenRow.expires_at,
                ApiTokenRow.revoked_at,
                UserRow.username,
                UserRow.role,
                UserRow.active,
                DepartmentRow,
            )
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .outerjoin(DepartmentRow, DepartmentRow.id == UserRow.department_id)
            .where(ApiTokenRow.id == token_id)
        )
        with self._catalog.session() as session:
            row = session.execute(query).first()
            if row is None:
                return None
            secret_sha256, expires_at, revoked_at, username, role, active, department = row
            return TokenHolder(
                token_id=token_id,
                secret_sha256=secret_sha256,
                expires_at=_required(expires_at),
                revoked_at=_aware(revoked_at),
                username=username,
                role=Role(role),
                department=department.code if department is not None else None,
                region=department.region.code if department is not None else None,
                active=bool(active),
            )

    def revoke_token(self, token_id: str, *, by: str | None) -> ApiToken:
        with self._catalog.session() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFound(f"no API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                row.revoked_by_id = self._user_id(session, by) if by else None
        token = self.token(token_id)
        assert token is not None
        return token

    # --- submissions ---------------------------------------------------------------------------------

    def submissions(self, *, department: str | None = None, limit: int = 1000) -> list[SubmissionListing]:
        """Submissions, newest first; only one department's when ``department`` is given."""
        query = select(SubmissionRow).order_by(SubmissionRow.created_at.desc(), SubmissionRow.id).limit(limit)
        if department is not None:
            query = query.where(SubmissionRow.department_code == department)
        with self._catalog.session() as session:
            return [
                SubmissionListing(
                    submission_id=row.id,
                    department=row.department_code,
                    status=SubmissionStatus(row.status),
                    current_version=row.current_version,
                    created_at=_required(row.created_at),
                    updated_at=_required(row.updated_at),
                )
                for row in session.scalars(query)
            ]
