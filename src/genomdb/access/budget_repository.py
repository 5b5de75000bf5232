"""Reads and writes of query-budget use; ORM rows never leave this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import delete, select, update
from sqlalchemy import exc as sa_exc

from genomdb.access.tables import QueryBudgetUseRow
from genomdb.db.engine import Database


class BudgetRepository:
    """Queries spent per client digest and UTC day."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def use_since(self, client_digest: str, first_day: dt.date) -> dict[dt.date, int]:
        """What a client spent on each day from ``first_day`` on."""
        with self._db.session() as session:
            rows = session.execute(
                select(QueryBudgetUseRow.day, QueryBudgetUseRow.n_queries).where(
                    QueryBudgetUseRow.client_digest == client_digest, QueryBudgetUseRow.day >= first_day
                )
            ).all()
        return {day: int(n) for day, n in rows}

    def add_use(self, spent: Mapping[tuple[str, dt.date], int]) -> None:
        """Add queries to each (client digest, day), creating the rows that do not exist yet."""
        for attempt in range(3):
            try:
                with self._db.session() as session:
                    for (digest, day), n in sorted(spent.items()):
                        changed = session.execute(
                            update(QueryBudgetUseRow)
                            .where(QueryBudgetUseRow.client_digest == digest, QueryBudgetUseRow.day == day)
                            .values(n_queries=QueryBudgetUseRow.n_queries + n)
                        )
                        if changed.rowcount == 0:  # type: ignore[attr-defined]
                            session.add(QueryBudgetUseRow(client_digest=digest, day=day, n_queries=n))
                            session.flush()
                return
            except sa_exc.IntegrityError:  # another process created a row meanwhile: add to it instead
                if attempt == 2:
                    raise

    def forget_before(self, day: dt.date) -> int:
        """Delete use older than ``day`` (no budget looks that far back); the number of rows removed."""
        with self._db.session() as session:
            removed = session.execute(delete(QueryBudgetUseRow).where(QueryBudgetUseRow.day < day))
            return int(removed.rowcount)  # type: ignore[attr-defined]
