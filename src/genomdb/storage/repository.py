"""The only code that touches the storage domain's tables (the integrity ledger); rows never leave it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from genomdb.db.engine import Database
from genomdb.storage.tables import LedgerRow, MigratedObjectRow, ObjectTierRow


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """An object genomdb answers for, the sha256 it must have, and its last scrub."""

    name: str
    kind: str
    sha256: str
    size: int | None = None
    verified_at: dt.datetime | None = None
    state: str | None = None
    detail: str | None = None


def _entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(row.name, row.kind, row.sha256, row.size, row.verified_at, row.state, row.detail)


def record_expected(db: Database, expected: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """Add the objects the ledger does not know yet; return every given object as the ledger now has it
    (an object whose expected sha256 changed is re-recorded and its scrub history cleared)."""
    wanted = {e.name: e for e in expected}
    with db.session() as session:
        rows = {r.name: r for r in session.scalars(select(LedgerRow).where(LedgerRow.name.in_(list(wanted))))}
        for name, entry in wanted.items():
            row = rows.get(name)
            if row is None or row.sha256 != entry.sha256:
                if row is not None:
                    session.delete(row)
                    session.flush()
                row = LedgerRow(name=name, kind=entry.kind, sha256=entry.sha256, size=entry.size)
                session.add(row)
                rows[name] = row
        session.flush()
        return [_entry(rows[name]) for name in wanted]


def record_outcome(db: Database, name: str, *, state: str, detail: str | None, when: dt.datetime) -> None:
    with db.session() as session:
        row = session.get(LedgerRow, name)
        if row is not None:
            row.state, row.detail, row.verified_at = state, (detail or "")[:400] or None, when


def ledger(db: Database) -> list[LedgerEntry]:
    """Every ledger entry, by name."""
    with db.session() as session:
        return [_entry(r) for r in session.scalars(select(LedgerRow).order_by(LedgerRow.name))]


# --- tiers ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectTier:
    name: str
    file_class: str
    tier: str
    storage_class: str
    tag: str
    policy_revision: str
    moved_at: dt.datetime


def record_tier(db: Database, placed: ObjectTier) -> None:
    """Record the tier an object was just put in (replacing what was recorded before)."""
    with db.session() as session:
        row = session.get(ObjectTierRow, placed.name)
        if row is None:
            row = ObjectTierRow(name=placed.name)
            session.add(row)
        row.file_class, row.tier, row.storage_class = placed.file_class, placed.tier, placed.storage_class
        row.tag = placed.tag
        row.policy_revision, row.moved_at = placed.policy_revision, placed.moved_at


def object_tiers(db: Database) -> dict[str, ObjectTier]:
    """Every recorded object tier, by object name."""
    with db.session() as session:
        return {
            r.name: ObjectTier(r.name, r.file_class, r.tier, r.storage_class, r.tag, r.policy_revision, r.moved_at)
            for r in session.scalars(select(ObjectTierRow))
        }


# --- the migration ledger -------------------------------------------------------------------------------------


def record_migrated(db: Database, target: str, *, name: str, kind: str, sha256: str, size: int) -> None:
    """Record an object as copied to ``target`` and verified there (committed at once: a kill keeps it)."""
    with db.session() as session:
        row = session.get(MigratedObjectRow, (target, name))
        if row is None:
            row = MigratedObjectRow(target=target, name=name)
            session.add(row)
        row.kind, row.sha256, row.size, row.verified_at = kind, sha256, size, dt.datetime.now(dt.UTC)


def migrated(db: Database, target: str) -> dict[str, str]:
    """The objects verified at ``target``: name → sha256."""
    with db.session() as session:
        rows = session.execute(
            select(MigratedObjectRow.name, MigratedObjectRow.sha256).where(MigratedObjectRow.target == target)
        )
        return {str(name): str(sha256) for name, sha256 in rows}
