"""PGx reads and runs for the service: the same functions as ``genomdb pgx`` (:mod:`genomdb.pgx.runs`), through
the one access policy, every decision audited with ``via: api`` (or ``web`` for the browser's pages)."""

from __future__ import annotations

from typing import Any

from genomdb.access.records import Actor
from genomdb.api.context import Caller, ServiceContext
from genomdb.errors import Unavailable
from genomdb.pgx import runs
from genomdb.pgx.runs import PgxRunSummary, Via


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a person-level read reached the service without an authenticated caller")
    return caller.actor


def run(context: ServiceContext, caller: Caller, key: str) -> PgxRunSummary:
    """Call one sample or person now (or confirm its stored result is current)."""
    return runs.run_pgx_as(context.instance, _actor(caller), key, via="api")


def report(context: ServiceContext, caller: Caller, key: str, *, via: Via = "api") -> dict[str, Any]:
    """The report of a sample or person to show (current data version, current sample version first)."""
    return runs.pgx_report(context.instance, _actor(caller), key, via=via)


def results(context: ServiceContext, caller: Caller, *, limit: int, via: Via = "api") -> list[dict[str, Any]]:
    """Summaries of the stored results the caller may read."""
    return runs.pgx_results(context.instance, _actor(caller), via=via, limit=limit)
