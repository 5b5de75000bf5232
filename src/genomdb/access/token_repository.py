"""Reads and writes of API tokens; ORM rows never leave this module: tokens come back as
:class:`genomdb.access.records.ApiToken` records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from genomdb.access.records import ApiToken, Role, TokenHolder
from genomdb.access.tables import ApiTokenRow, UserRow
from genomdb.catalog import relations as cat
from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound

AnySelect: TypeAlias = Select[*tuple[Any, ...]]


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _required(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class TokenRepository:
    """API tokens and their holders."""

    def __init__(self, db: Database) -> None:
        self._db = db

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
        with self._db.session() as session:
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
        with self._db.session() as session:
            return [self._token(*row) for row in session.execute(query).all()]

    def token(self, token_id: str) -> ApiToken | None:
        with self._db.session() as session:
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
                cat.departments.c.code,
                cat.regions.c.code,
            )
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .outerjoin(cat.departments, cat.departments.c.id == UserRow.department_id)
            .outerjoin(cat.regions, cat.regions.c.id == cat.departments.c.region_id)
            .where(ApiTokenRow.id == token_id)
        )
        with self._db.session() as session:
            row = session.execute(query).first()
            if row is None:
                return None
            secret_sha256, expires_at, revoked_at, username, role, active, department, region = row
            return TokenHolder(
                token_id=token_id,
                secret_sha256=secret_sha256,
                expires_at=_required(expires_at),
                revoked_at=_aware(revoked_at),
                username=username,
                role=Role(role),
                department=department,
                region=region,
                active=bool(active),
            )

    def revoke_token(self, token_id: str, *, by: str | None) -> ApiToken:
        with self._db.session() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise NotFound(f"no API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                row.revoked_by_id = self._user_id(session, by) if by else None
        token = self.token(token_id)
        assert token is not None
        return token
