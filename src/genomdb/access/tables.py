"""Tables of access control: users, grants, the hash-chained audit log and API tokens.

An API token is stored as the SHA-256 of its secret part only; the secret itself is shown once, when it is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    public_key: Mapped[str | None] = mapped_column(String(64))
    """The user's crypt4gh public key (32 bytes, base64), for deliveries."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GrantRow(Base):
    __tablename__ = "access_grants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grantee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    grantee_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    scope: Mapped[dict[str, Any]] = mapped_column()
    purpose: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(200))
    project: Mapped[str | None] = mapped_column(String(100))
    legal_basis: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class AuditEntryRow(Base):
    """Append-only and hash-chained: ``entry_hash`` = HMAC(audit key, ``prev_hash`` ‖ canonical JSON)."""

    __tablename__ = "access_audit"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_department: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    resource_kind: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[str] = mapped_column(String(200))
    person: Mapped[str | None] = mapped_column(String(40), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(40))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the newest entry. Appends lock it, so they are serialised on every backend."""

    __tablename__ = "access_audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(64))


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    """The public token id (the part of the token between ``gdb_`` and the secret)."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class QueryBudgetUseRow(Base):
    """Aggregate queries one client spent on one UTC day (the client as a keyed digest, never an address)."""

    __tablename__ = "query_budget_use"
    client_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    n_queries: Mapped[int] = mapped_column(BigInteger)
