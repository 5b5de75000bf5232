"""Query budgets over days: per UTC day and per window, kept in the catalog, refused with when it resets."""

from __future__ import annotations

import datetime as dt

import pytest

from genomdb.access.budget_repository import BudgetRepository
from genomdb.access.budgets import BudgetLimits, QueryBudgetSpent, QueryLedger, client_digest
from genomdb.instance import Instance

SECRET = b"k" * 32


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def test_daily_budget_refuses_until_midnight_utc_and_survives_a_restart(instance: Instance) -> None:
    clock = Clock(dt.datetime(2026, 12, 6, 22, 0, tzinfo=dt.UTC))
    limits = BudgetLimits(per_day=5, label="public-tier queries")
    ledger = QueryLedger(instance.db, secret=SECRET, flush_seconds=3600, clock=clock)
    for _ in range(4):
        ledger.spend("address:10.1.2.3", 1, limits)
    with pytest.raises(QueryBudgetSpent) as refused:
        ledger.spend("address:10.1.2.3", 2, limits)
    assert refused.value.resets_at == dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    assert refused.value.retry_after_seconds == 2 * 3600
    assert (
        "daily budget of 5 public-tier queries" in refused.value.message and "2026-12-07 00:00" in refused.value.message
    )
    ledger.spend("address:10.1.2.3", 1, limits)  # exactly the budget
    ledger.spend("address:10.9.9.9", 5, limits)  # another client has its own
    ledger.close()

    restarted = QueryLedger(instance.db, secret=SECRET, flush_seconds=3600, clock=clock)
    with pytest.raises(QueryBudgetSpent):
        restarted.spend("address:10.1.2.3", 1, limits)
    clock.moment = dt.datetime(2026, 12, 7, 0, 0, 1, tzinfo=dt.UTC)
    restarted.spend("address:10.1.2.3", 5, limits)
    restarted.close()
    stored = BudgetRepository(instance.db).use_since(client_digest(SECRET, "address:10.1.2.3"), dt.date(2026, 12, 1))
    assert stored == {dt.date(2026, 12, 6): 5, dt.date(2026, 12, 7): 5}


def test_window_budget_resets_when_the_oldest_days_leave_the_window(instance: Instance) -> None:
    clock = Clock(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    limits = BudgetLimits(per_day=100, per_window=150, window_days=7)
    ledger = QueryLedger(instance.db, secret=SECRET, flush_seconds=0, clock=clock)
    ledger.spend("user:res-rh", 100, limits)
    clock.moment = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    ledger.spend("user:res-rh", 50, limits)
    with pytest.raises(QueryBudgetSpent) as refused:
        ledger.spend("user:res-rh", 1, limits)
    # Dec 1's 100 queries leave the 7-day window at the end of Dec 7
    assert refused.value.resets_at == dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    assert "150 queries per client over 7 days" in refused.value.message
    clock.moment = dt.datetime(2026, 12, 8, 0, 0, 1, tzinfo=dt.UTC)
    ledger.spend("user:res-rh", 100, limits)
    ledger.close()


def test_clients_are_stored_only_as_keyed_digests(instance: Instance) -> None:
    ledger = QueryLedger(instance.db, secret=SECRET, flush_seconds=0)
    ledger.spend("address:192.0.2.44", 1, BudgetLimits(per_day=10))
    ledger.close()
    with instance.db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT client_digest FROM query_budget_use").fetchall()
    assert rows == [(client_digest(SECRET, "address:192.0.2.44"),)]
    assert "192.0.2.44" not in rows[0][0] and client_digest(b"other" * 7, "address:192.0.2.44") != rows[0][0]


def test_no_limits_spend_nothing(instance: Instance) -> None:
    ledger = QueryLedger(instance.db, secret=SECRET, flush_seconds=0)
    for _ in range(3):
        ledger.spend("user:steward", 1_000_000, BudgetLimits(per_day=None))
    ledger.close()
    with instance.db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM query_budget_use").scalar() == 0
