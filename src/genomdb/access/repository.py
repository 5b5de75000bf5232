"""Reads and writes of the access tables (users, grants, the audit chain); ORM rows never leave this module.

The audit log is append-only: :meth:`AccessRepository.append_audit` is the only writer. It locks the head row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite an update of the head row takes the database write lock first)
so that concurrent appends are serialised and every entry chains onto the one before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from genomdb.access.records import (
    Actor,
    AuditDraft,
    AuditEntry,
    AuditFilters,
    Grant,
    GrantScope,
    NewGrant,
    Purpose,
    Role,
    User,
)
from genomdb.access.tables import AuditEntryRow, AuditHeadRow, GrantRow, UserRow
from genomdb.catalog import relations as cat
from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
_IN_CHUNK = 500
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Sealer = Callable[[str, AuditEntry], str]
"""``seal(prev_hash, entry)`` → the entry's hash; the key lives with the caller, never in the catalog."""


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _department_codes(session: Session, department_id: int | None) -> tuple[str, str] | None:
    """(department code, region code) of a department row id."""
    if department_id is None:
        return None
    row = session.execute(
        select(cat.departments.c.code, cat.regions.c.code)
        .join(cat.regions, cat.regions.c.id == cat.departments.c.region_id)
        .where(cat.departments.c.id == department_id)
    ).first()
    return (str(row[0]), str(row[1])) if row else None


class AccessRepository:
    """Users, grants and the audit chain."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- users ---------------------------------------------------------------------------------------

    def _user(self, row: UserRow, session: Session) -> User:
        department = _department_codes(session, row.department_id)
        return User(
            username=row.username,
            role=Role(row.role),
            department=department[0] if department else None,
            region=department[1] if department else None,
            active=row.active,
            created_at=_aware(row.created_at),
            has_key=row.public_key is not None,
        )

    def _user_row(self, session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username}")
        return row

    def add_user(self, username: str, role: Role, department: str | None) -> User:
        with self._db.session() as session:
            if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise Conflict(f"user {username} exists already")
            department_id = None
            if department is not None:
                department_id = session.scalar(select(cat.departments.c.id).where(cat.departments.c.code == department))
                if department_id is None:
                    raise NotFound(f"no department {department}")
            row = UserRow(username=username, role=role.value, department_id=department_id, active=True)
            session.add(row)
            session.flush()
            return self._user(row, session)

    def user(self, username: str) -> User | None:
        with self._db.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            return self._user(row, session) if row else None

    def users(self) -> list[User]:
        with self._db.session() as session:
            return [self._user(row, session) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def n_users(self) -> int:
        with self._db.session() as session:
            return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def set_public_key(self, username: str, public_key_b64: str) -> None:
        with self._db.session() as session:
            self._user_row(session, username).public_key = public_key_b64

    def public_key(self, username: str) -> str | None:
        with self._db.session() as session:
            return self._user_row(session, username).public_key

    def set_active(self, username: str, active: bool) -> None:
        with self._db.session() as session:
            self._user_row(session, username).active = active

    # --- grants --------------------------------------------------------------------------------------

    def _grant(self, row: GrantRow, session: Session) -> Grant:
        names = dict(
            session.execute(
                select(UserRow.id, UserRow.username).where(
                    UserRow.id.in_([i for i in (row.grantee_user_id, row.granted_by_id, row.revoked_by_id) if i])
                )
            ).all()
        )
        department = _department_codes(session, row.grantee_department_id)
        return Grant(
            grant_id=row.id,
            grantee_user=names.get(row.grantee_user_id) if row.grantee_user_id else None,
            grantee_department=department[0] if department else None,
            scope=GrantScope.from_dict(row.scope),
            purpose=Purpose(row.purpose),
            reference=row.reference,
            project=row.project,
            legal_basis=row.legal_basis,
            granted_by=names[row.granted_by_id],
            granted_at=_aware(row.granted_at),
            expires_at=_aware(row.expires_at),
            revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
            revoked_by=names.get(row.revoked_by_id) if row.revoked_by_id else None,
            revoke_reason=row.revoke_reason,
        )

    def add_grant(self, grant_id: str, new: NewGrant, *, granted_by: str) -> Grant:
        with self._db.session() as session:
            grantee_user_id = self._user_row(session, new.grantee_user).id if new.grantee_user else None
            grantee_department_id = None
            if new.grantee_department:
                grantee_department_id = session.scalar(
                    select(cat.departments.c.id).where(cat.departments.c.code == new.grantee_department)
                )
                if grantee_department_id is None:
                    raise NotFound(f"no department {new.grantee_department}")
            row = GrantRow(
                id=grant_id,
                grantee_user_id=grantee_user_id,
                grantee_department_id=grantee_department_id,
                scope=new.scope.to_dict(),
                purpose=new.purpose.value,
                reference=new.reference,
                project=new.project,
                legal_basis=new.legal_basis,
                granted_by_id=self._user_row(session, granted_by).id,
                granted_at=utcnow(),
                expires_at=new.expires_at,
            )
            session.add(row)
            session.flush()
            return self._grant(row, session)

    def grant(self, grant_id: str) -> Grant | None:
        with self._db.session() as session:
            row = session.get(GrantRow, grant_id)
            return self._grant(row, session) if row else None

    def grants(self, *, naming: Actor | None = None) -> list[Grant]:
        """Every grant, oldest first; with ``naming``, only grants to that user or to their department."""
        with self._db.session() as session:
            query = select(GrantRow).order_by(GrantRow.granted_at, GrantRow.id)
            if naming is not None:
                user_id = session.scalar(select(UserRow.id).where(UserRow.username == naming.username))
                department_id = (
                    session.scalar(select(cat.departments.c.id).where(cat.departments.c.code == naming.department))
                    if naming.department
                    else None
                )
                query = query.where(
                    or_(
                        GrantRow.grantee_user_id == user_id,
                        (GrantRow.grantee_department_id == department_id) & GrantRow.grantee_user_id.is_(None),
                    )
                )
            return [self._grant(row, session) for row in session.scalars(query)]

    def revoke_grant(self, grant_id: str, *, by: str, reason: str) -> Grant:
        with self._db.session() as session:
            row = session.get(GrantRow, grant_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no grant {grant_id}")
            if row.revoked_at is not None:
                raise Conflict(f"grant {grant_id} was revoked already")
            row.revoked_at = utcnow()
            row.revoked_by_id = self._user_row(session, by).id
            row.revoke_reason = reason
            session.flush()
            return self._grant(row, session)

    # --- catalog facts for decisions ---------------------------------------------------------------------

    # --- the audit chain -----------------------------------------------------------------------------

    def append_audit(self, drafts: Sequence[AuditDraft], seal: Sealer) -> list[AuditEntry]:
        """Append entries after the current head in one transaction, serialised against other appenders."""
        if not drafts:
            return []
        try:
            with self._db.session() as session:
                if self._db.backend == "sqlite":
                    session.execute(
                        update(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID).values(seq=AuditHeadRow.seq)
                    )
                head = session.scalar(select(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID).with_for_update())
                if head is None:
                    head = AuditHeadRow(id=_HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
                    session.add(head)
                seq, prev_hash = head.seq, head.entry_hash
                now = utcnow()
                entries = []
                rows: list[dict[str, Any]] = []
                for draft in drafts:
                    seq += 1
                    unsealed = AuditEntry(
                        seq=seq,
                        at=now,
                        actor=draft.actor,
                        actor_role=draft.actor_role,
                        actor_department=draft.actor_department,
                        action=draft.action,
                        resource_kind=draft.resource_kind,
                        resource_id=draft.resource_id[:200],
                        person=draft.person,
                        decision=draft.decision,
                        rule=draft.rule,
                        grant_id=draft.grant_id,
                        legal_basis=draft.legal_basis,
                        detail=dict(draft.detail),
                        prev_hash=prev_hash,
                        entry_hash="",
                    )
                    entry_hash = seal(prev_hash, unsealed)
                    fields = {**_entry_fields(unsealed), "entry_hash": entry_hash}
                    entries.append(AuditEntry(**fields))
                    rows.append(fields)
                    prev_hash = entry_hash
                session.execute(insert(AuditEntryRow), rows)  # one executemany, not an ORM object per entry
                head.seq, head.entry_hash = seq, prev_hash
            return entries
        except sa_exc.IntegrityError as exc:
            raise Conflict(f"the audit log changed under this append; try again ({exc.orig})") from None

    def audit_head(self) -> tuple[int, str]:
        with self._db.session() as session:
            head = session.get(AuditHeadRow, _HEAD_ID)
            return (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)

    def audit_entries(self, *, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order, read in batches."""
        after = None
        while True:
            with self._db.session() as session:
                query = select(AuditEntryRow).order_by(AuditEntryRow.seq).limit(batch)
                if after is not None:
                    query = query.where(AuditEntryRow.seq > after)
                rows = list(session.scalars(query))
                entries = [_audit_entry(row) for row in rows]
            if not entries:
                return
            yield from entries
            after = entries[-1].seq

    def audit_search(self, filters: AuditFilters) -> list[AuditEntry]:
        with self._db.session() as session:
            query = select(AuditEntryRow).order_by(AuditEntryRow.seq)
            if filters.person:
                query = query.where(AuditEntryRow.person == filters.person)
            if filters.actor:
                query = query.where(AuditEntryRow.actor == filters.actor)
            if filters.since:
                query = query.where(AuditEntryRow.at >= filters.since)
            if filters.action:
                query = query.where(AuditEntryRow.action == filters.action)
            if filters.decision:
                query = query.where(AuditEntryRow.decision == filters.decision)
            return [_audit_entry(row) for row in session.scalars(query.limit(filters.limit))]


def _entry_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__}


def _audit_entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=_aware(row.at),
        actor=row.actor,
        actor_role=row.actor_role,
        actor_department=row.actor_department,
        action=row.action,
        resource_kind=row.resource_kind,
        resource_id=row.resource_id,
        person=row.person,
        decision=row.decision,
        rule=row.rule,
        grant_id=row.grant_id,
        legal_basis=row.legal_basis,
        detail=dict(row.detail or {}),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
