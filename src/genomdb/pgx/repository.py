"""Reads and writes of stored PGx results; ORM rows never leave this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.pgx.tables import PgxResultRow


@dataclass(frozen=True, slots=True)
class StoredPgxResult:
    sample_id: int
    data_version: str
    inputs_sha256: str
    created_at: dt.datetime
    report: dict[str, Any]


def _record(row: PgxResultRow) -> StoredPgxResult:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return StoredPgxResult(row.sample_id, row.data_version, row.inputs_sha256, created, dict(row.report))


def input_digests(db: Database, data_version: str, sample_ids: Iterable[int]) -> dict[int, str]:
    """The inputs digest of each stored result of this data version, by sample version."""
    wanted = sorted(set(sample_ids))
    found: dict[int, str] = {}
    with db.session() as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(PgxResultRow.sample_id, PgxResultRow.inputs_sha256).where(
                PgxResultRow.data_version == data_version, PgxResultRow.sample_id.in_(chunk)
            )
            found.update({int(sample_id): str(digest) for sample_id, digest in session.execute(query)})
    return found


def save_results(db: Database, data_version: str, results: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
    """Store (or replace) several sample versions' results ``(sample_id, inputs digest, report)`` for a data
    version in one transaction: all of them are visible, or none."""
    results = list(results)
    with db.session() as session:
        existing = {
            row.sample_id: row
            for row in session.scalars(
                select(PgxResultRow).where(
                    PgxResultRow.data_version == data_version,
                    PgxResultRow.sample_id.in_([sample_id for sample_id, _, _ in results]),
                )
            )
        }
        for sample_id, inputs_sha256, report in results:
            row = existing.get(sample_id)
            if row is None:
                session.add(
                    PgxResultRow(
                        sample_id=sample_id, data_version=data_version, inputs_sha256=inputs_sha256, report=report
                    )
                )
            else:
                row.inputs_sha256, row.report, row.created_at = inputs_sha256, report, utcnow()


def results_of(db: Database, sample_ids: Iterable[int]) -> list[StoredPgxResult]:
    """Every stored result of these sample versions, newest first."""
    wanted = sorted(set(sample_ids))
    if not wanted:
        return []
    with db.session() as session:
        rows = session.scalars(
            select(PgxResultRow)
            .where(PgxResultRow.sample_id.in_(wanted))
            .order_by(PgxResultRow.created_at.desc(), PgxResultRow.id.desc())
        )
        return [_record(row) for row in rows]


def every_result(db: Database) -> list[StoredPgxResult]:
    """Every stored result (all sample versions and data versions), newest first."""
    with db.session() as session:
        rows = session.scalars(select(PgxResultRow).order_by(PgxResultRow.created_at.desc(), PgxResultRow.id.desc()))
        return [_record(row) for row in rows]
