"""The integrity ledger and ``store scrub``, on the local store and on the real Ceph RGW."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from genomdb.config import Settings
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance, init_instance
from genomdb.storage.repository import LedgerEntry, ledger
from genomdb.storage.scrub import RateLimit, blob_entries, choose, scrub
from tests.ingest.submission_kit import make_kit
from tests.storage.backends import Backend


def test_the_rate_limit_sleeps_until_the_bytes_are_due() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(5.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        limit.spend(1_000_000)
    assert sum(slept) == pytest.approx(2.0)
    unlimited = RateLimit(None, clock=lambda: now[0], sleep=sleep)
    unlimited.spend(10**12)
    assert sum(slept) == pytest.approx(2.0)


def test_a_sample_reads_the_never_checked_then_the_oldest() -> None:
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entries = [
        LedgerEntry("a", "blob", "1", verified_at=old + dt.timedelta(days=3)),
        LedgerEntry("b", "blob", "2", verified_at=old),
        LedgerEntry("c", "blob", "3"),
        LedgerEntry("d", "blob", "4", verified_at=old + dt.timedelta(days=1)),
    ]
    picked = choose(entries, 0.5, rng=random.Random(1))
    assert [e.name for e in picked] == ["c", "b"]
    assert choose(entries, 1.0) == entries
    assert [e.name for e in choose(entries, 0.01)] == ["c"]


@pytest.fixture(params=["local", pytest.param("rgw", marks=pytest.mark.rgw)])
def stored_instance(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Instance, Backend | None]]:
    """An instance holding one small submission, its blobs on the local store or on the RGW."""
    home = tmp_path / "home"
    settings = Settings(home=home, gc_grace_seconds=0)
    if request.param == "rgw":
        rgw = request.getfixturevalue("rgw")
        bucket = request.getfixturevalue("rgw_bucket")
        settings = Settings(
            home=home,
            gc_grace_seconds=0,
            store_url=rgw.store_url(bucket, "g"),
            s3_access_key_id=SecretStr(rgw.access_key),
            s3_secret_access_key=SecretStr(rgw.secret_key),
        )
    init_instance(settings)
    with Instance.open(settings) as instance:
        submit_manifest(instance, make_kit(tmp_path / "kit").write())
        yield instance, None


def test_scrub_finds_a_damaged_and_a_missing_blob_and_keeps_the_ledger(
    stored_instance: tuple[Instance, None], tmp_path: Path
) -> None:
    instance, _ = stored_instance
    registered = sorted(instance.catalog.registered_blobs())
    expected = blob_entries(registered)
    clean = scrub(instance.db, instance.blobs, instance.datasets, expected)
    assert (clean.n_objects, clean.n_checked, clean.drift) == (len(registered), len(registered), ())
    assert {e.state for e in ledger(instance.db)} == {"ok"}

    backend = Backend("x", instance.blobs.url, None, tmp_path)  # type: ignore[arg-type]
    damaged, vanished = registered[0], registered[1]
    with instance.blobs.open_stored(damaged) as handle:
        content = bytearray(handle.read())
    content[0] ^= 0xFF
    backend.damage(instance.blobs, damaged, bytes(content))
    instance.blobs.gc(set(registered) - {vanished}, grace_seconds=0)

    half = scrub(instance.db, instance.blobs, instance.datasets, expected, sample=0.5, mb_per_second=50)
    other = scrub(instance.db, instance.blobs, instance.datasets, expected, sample=0.5, mb_per_second=50)
    assert half.n_checked + other.n_checked >= len(registered)
    drift = {d.name: d.state for d in (*half.drift, *other.drift)}
    assert drift == {f"blob/{damaged}": "corrupt", f"blob/{vanished}": "missing"}
    rows = {e.name: e for e in ledger(instance.db)}
    assert rows[f"blob/{damaged}"].state == "corrupt" and "hashes to" in (rows[f"blob/{damaged}"].detail or "")
    assert rows[f"blob/{vanished}"].state == "missing"
    assert all(e.verified_at is not None for e in rows.values())
