"""The public tier's query budget (a token bucket per client) and the errors of limits the service enforces."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from genomdb.errors import InvalidInput, Problem, Unavailable

MAX_CLIENTS = 100_000
"""Buckets kept at most; full buckets are forgotten first (they hold nothing a client has spent)."""


class RateLimited(Unavailable):
    """The client spent its query budget; ``retry_after_seconds`` says when enough has refilled (HTTP 429)."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class RequestTooLarge(InvalidInput):
    """The request is larger than the service accepts (HTTP 413)."""

    def __init__(self, what: str, *, limit: str, found: str | None = None) -> None:
        super().__init__(
            f"{what} is too large",
            [Problem("request", f"{what} is too large", expected=f"at most {limit}", found=found)],
        )


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class QueryBudget:
    """A token bucket per client: ``per_minute`` queries refill each minute, up to ``burst`` at once."""

    def __init__(
        self, per_minute: int, *, burst: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_per_second = per_minute / 60.0
        self.capacity = float(burst or per_minute)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def spend(self, client: str, cost: int = 1) -> None:
        """Take ``cost`` queries from the client's budget, or raise RateLimited saying when to come back."""
        if cost > self.capacity:
            raise RequestTooLarge(
                "this request for a client without a token", limit=f"{int(self.capacity)} queries", found=f"{cost}"
            )
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._forget_full(now)
                bucket = self._buckets[client] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate_per_second)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return
            wait = math.ceil((cost - bucket.tokens) / self.rate_per_second)
        raise RateLimited(
            f"query budget of the public tier spent ({int(self.capacity)} per minute per client): retry in {wait} s, "
            "or log in with a token",
            retry_after_seconds=max(1, wait),
        )

    def _forget_full(self, now: float) -> None:
        for client, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate_per_second >= self.capacity:
                del self._buckets[client]
        if len(self._buckets) >= MAX_CLIENTS:
            self._buckets.clear()
