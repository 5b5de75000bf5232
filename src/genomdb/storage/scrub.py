"""Scrubbing: re-read stored objects at a bounded rate and compare each with the sha256 the ledger holds.

S3 servers keep no content checksum of their own (Ceph RGW keeps none; a multipart ETag is not a file hash), so
genomdb's ledger is the reference: every blob by its content address, every file of a variant-store batch or a
frequency release by the sha256 its catalog-checked manifest lists. A scrub of a sample reads the objects checked
longest ago first, so repeated sampled scrubs cover the whole store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO

from genomdb.db.engine import Database
from genomdb.errors import GenomdbError, NotFound
from genomdb.storage.blobs import BlobStore
from genomdb.storage.datasets import DatasetStore
from genomdb.storage.repository import LedgerEntry, record_expected, record_outcome

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Drift:
    name: str
    state: str
    """``corrupt`` or ``missing``."""
    detail: str


@dataclass(frozen=True, slots=True)
class ScrubReport:
    n_objects: int
    """Objects in the ledger's view of the store."""
    n_checked: int
    n_bytes: int
    seconds: float
    drift: tuple[Drift, ...] = field(default=())


class RateLimit:
    """Keeps the bytes read per second at or under ``mb_per_second`` (no limit when None)."""

    def __init__(
        self,
        mb_per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = None if mb_per_second is None else mb_per_second * 1e6
        self._clock, self._sleep = clock, sleep
        self._start = clock()
        self.n_bytes = 0

    def spend(self, n: int) -> None:
        self.n_bytes += n
        if self._rate is None:
            return
        due = self._start + self.n_bytes / self._rate
        wait = due - self._clock()
        if wait > 0:
            self._sleep(wait)


def blob_entries(registered: Iterable[str]) -> list[LedgerEntry]:
    """The ledger's view of the blobs the catalog registers."""
    return [LedgerEntry(f"blob/{sha256}", "blob", sha256) for sha256 in sorted(registered)]


def _hash(handle: BinaryIO, limit: RateLimit) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        limit.spend(len(chunk))
    return digest.hexdigest()


def _opener(entry: LedgerEntry, blobs: BlobStore, datasets: DatasetStore) -> AbstractContextManager[BinaryIO]:
    if entry.kind == "blob":
        return blobs.open(entry.sha256)
    return datasets.open_file(entry.name)


def choose(entries: list[LedgerEntry], sample: float, *, rng: random.Random | None = None) -> list[LedgerEntry]:
    """A ``sample`` fraction (0 < F ≤ 1) of the entries: never scrubbed first, then the longest ago."""
    if sample >= 1:
        return entries
    n = max(1, math.ceil(len(entries) * sample)) if entries else 0
    rng = rng or random.Random()
    never = [e for e in entries if e.verified_at is None]
    rng.shuffle(never)
    seen = sorted((e for e in entries if e.verified_at is not None), key=lambda e: e.verified_at or dt.datetime.min)
    return (never + seen)[:n]


def scrub(
    db: Database,
    blobs: BlobStore,
    datasets: DatasetStore,
    expected: list[LedgerEntry],
    *,
    sample: float = 1.0,
    mb_per_second: float | None = None,
    on_object: Callable[[LedgerEntry, int], None] | None = None,
) -> ScrubReport:
    """Re-read a sample of the objects at a bounded rate; record each outcome in the ledger; report drift."""
    started = time.monotonic()
    entries = record_expected(db, expected)
    chosen = choose(entries, sample)
    limit = RateLimit(mb_per_second)
    drift: list[Drift] = []
    for entry in chosen:
        before = limit.n_bytes
        state, detail = "ok", None
        try:
            with _opener(entry, blobs, datasets) as handle:
                found = _hash(handle, limit)
            if found != entry.sha256:
                state, detail = "corrupt", f"content hashes to {found}, the ledger holds {entry.sha256}"
        except NotFound:
            state, detail = "missing", "not in the store"
        except (GenomdbError, ValueError, EOFError) as exc:
            state, detail = "corrupt", str(exc)
        record_outcome(db, entry.name, state=state, detail=detail, when=dt.datetime.now(dt.UTC))
        if state != "ok":
            drift.append(Drift(entry.name, state, detail or ""))
        if on_object is not None:
            on_object(entry, limit.n_bytes - before)
    return ScrubReport(len(entries), len(chosen), limit.n_bytes, time.monotonic() - started, tuple(drift))
