"""The only code that touches the storage domain's tables (the integrity ledger); rows never leave it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from genomdb.db.engine import Database
from genomdb.storage.tables import LedgerRow


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
