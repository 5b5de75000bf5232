"""Query budgets over days: how many aggregate queries one client may ask per UTC day and per window of days.

Beacon v2's budget idea (and the defence the membership-inference literature recommends): a per-minute token
bucket slows a client down, but only a budget over days bounds how much a patient client learns about one
person. The use is kept per client (a token's user, or an address for callers without one) and UTC day in the
catalog, so a restart forgets nothing. Clients are stored only as a keyed digest (an address is personal data).

The ledger counts in memory and writes what was spent every ``flush_seconds`` (and on close); a client's earlier
days are read from the catalog the first time it is seen. A client refused gets :class:`QueryBudgetSpent`, which
says when enough of the budget comes back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from genomdb.access.budget_repository import BudgetRepository
from genomdb.db.engine import Database
from genomdb.errors import Unavailable

MAX_CLIENTS_IN_MEMORY = 100_000
"""Clients kept in memory at most; beyond it the ledger writes what it holds and starts afresh from the catalog."""


class QueryBudgetSpent(Unavailable):
    """A client spent its budget over days (HTTP 429); ``resets_at`` says when enough of it comes back."""

    def __init__(self, message: str, *, resets_at: dt.datetime, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.resets_at = resets_at
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """Queries one client may spend per UTC day and per ``window_days`` UTC days (None: no such limit)."""

    per_day: int | None
    per_window: int | None = None
    window_days: int = 30
    label: str = "queries"
    """What the budget counts, as the refusal names it (e.g. ``public-tier queries``)."""

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")


def client_digest(secret: bytes, client: str) -> str:
    """How a client is stored: a keyed SHA-256 (hex) of its identifier, never the identifier itself."""
    return hmac.new(secret, client.encode(), hashlib.sha256).hexdigest()


def _midnight_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


class QueryLedger:
    """Per-client use by UTC day, checked against :class:`BudgetLimits` and kept in the catalog."""

    def __init__(
        self,
        db: Database,
        *,
        secret: bytes,
        flush_seconds: float = 5.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._repository = BudgetRepository(db)
        self._secret = secret
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[str, dict[dt.date, int]] = {}
        """Client digest → UTC day → queries spent (what the catalog had, plus what is pending)."""
        self._pending: dict[tuple[str, dt.date], int] = {}
        self._flushed_at = time.monotonic()

    def spend(self, client: str, cost: int, limits: BudgetLimits) -> None:
        """Take ``cost`` queries from the client's budget, or raise QueryBudgetSpent saying when it resets."""
        if limits.per_day is None and limits.per_window is None:
            return
        digest = client_digest(self._secret, client)
        now = self._clock()
        today = now.date()
        first = today - dt.timedelta(days=limits.window_days - 1)
        with self._lock:
            days = self._used.get(digest)
        if days is None:
            stored = self._repository.use_since(digest, first)
            with self._lock:
                if len(self._used) >= MAX_CLIENTS_IN_MEMORY:
                    self._write_pending()
                    self._used.clear()
                days = self._used.setdefault(digest, dict(stored))
        with self._lock:
            self._refuse_if_spent(days, today, first, cost, limits, now)
            days[today] = days.get(today, 0) + cost
            self._pending[(digest, today)] = self._pending.get((digest, today), 0) + cost
            due = time.monotonic() - self._flushed_at >= self._flush_seconds
        if due:
            self.flush()

    def _refuse_if_spent(
        self,
        days: dict[dt.date, int],
        today: dt.date,
        first: dt.date,
        cost: int,
        limits: BudgetLimits,
        now: dt.datetime,
    ) -> None:
        used_today = days.get(today, 0)
        if limits.per_day is not None and used_today + cost > limits.per_day:
            resets = _midnight_after(today)
            self._refuse(
                f"daily budget of {limits.per_day:,} {limits.label} per client spent", resets, now, limits.per_day
            )
        if limits.per_window is None:
            return
        in_window = sorted((d, n) for d, n in days.items() if d >= first)
        used = sum(n for _, n in in_window)
        if used + cost <= limits.per_window:
            return
        resets = _midnight_after(today)
        for day, n in in_window:  # the oldest days leave the window first
            used -= n
            resets = _midnight_after(day + dt.timedelta(days=limits.window_days - 1))
            if used + cost <= limits.per_window:
                break
        self._refuse(
            f"budget of {limits.per_window:,} {limits.label} per client over {limits.window_days} days spent",
            resets,
            now,
            limits.per_window,
        )

    @staticmethod
    def _refuse(what: str, resets: dt.datetime, now: dt.datetime, limit: int) -> None:
        wait = max(1, int((resets - now).total_seconds() + 0.999))
        raise QueryBudgetSpent(
            f"{what}: it resets at {resets:%Y-%m-%d %H:%M} UTC (in {wait:,} s); ask a data steward for a token "
            "if you need more",
            resets_at=resets,
            retry_after_seconds=wait,
        )

    def _write_pending(self) -> None:
        pending, self._pending = self._pending, {}
        if pending:
            self._repository.add_use(pending)

    def flush(self) -> None:
        """Write what was spent since the last write."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = time.monotonic()
        if pending:
            try:
                self._repository.add_use(pending)
            except BaseException:
                with self._lock:
                    for key, n in pending.items():
                        self._pending[key] = self._pending.get(key, 0) + n
                raise

    def close(self) -> None:
        self.flush()
