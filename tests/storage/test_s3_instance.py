"""A whole instance on the real Ceph RGW: ``GENOMDB_STORE_URL=s3://… genomdb demo``, then serving from S3 alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from genomdb.config import Settings
from genomdb.errors import IntegrityError
from genomdb.frequency.publish import list_releases, open_release, release_name
from genomdb.instance import Instance
from genomdb.storage.datasets import S3Datasets
from genomdb.variants.store import VariantStore
from tests.storage.ceph import RunningRgw

pytestmark = [pytest.mark.rgw, pytest.mark.slow]
VARIANT = "chr10-94762923-C-T"


def _genomdb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=900)


def _objects(rgw: RunningRgw, bucket: str) -> dict[str, int]:
    client = rgw.client()
    counts: dict[str, int] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):  # type: ignore[attr-defined]
        for item in page.get("Contents", []):
            parts = item["Key"].split("/")
            kind = "sha256" if parts[1] == "sha256" else "/".join(parts[1:3])
            counts[kind] = counts.get(kind, 0) + 1
    return counts


@pytest.fixture(scope="module")
def s3_demo(rgw: RunningRgw, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str], str]:
    """``genomdb demo`` run once with its store on the RGW: (settings, environment, bucket)."""
    bucket = "gdb-demo-on-rgw"
    rgw.create_bucket(bucket)
    home = tmp_path_factory.mktemp("s3-demo") / "home"
    url = rgw.store_url(bucket, "genomdb")
    env = {
        **os.environ,
        **rgw.environment(),
        "GENOMDB_HOME": str(home),
        "GENOMDB_STORE_URL": url,
        "COLUMNS": "200",
    }
    demo = _genomdb(env, "demo", "--individuals", "12")
    assert demo.returncode == 0, demo.stderr[-3000:]
    for secret in (rgw.secret_key, rgw.access_key):
        assert secret not in demo.stdout and secret not in demo.stderr
    settings = Settings(
        home=home,
        store_url=url,
        s3_access_key_id=SecretStr(rgw.access_key),
        s3_secret_access_key=SecretStr(rgw.secret_key),
        gc_grace_seconds=0,
    )
    return settings, env, bucket


def test_the_demo_stores_blobs_batches_and_releases_in_the_bucket(
    s3_demo: tuple[Settings, dict[str, str], str], rgw: RunningRgw
) -> None:
    settings, env, bucket = s3_demo
    home = settings.resolved_home()
    assert not (home / "blobs").exists(), "no blob is kept on local disk"
    objects = _objects(rgw, bucket)
    with Instance.open(settings) as instance:
        registered = instance.catalog.registered_blobs()
        n_batches = len(VariantStore.of(instance).batches())
        n_releases = len(list_releases(instance))
    assert objects["sha256"] == len(registered) > 0
    assert objects.get("variants/batches", 0) >= n_batches * 3 > 0  # batch.json and the Parquet parts
    assert objects.get("frequency/releases", 0) >= n_releases * 3 > 0
    catalog = (home / "catalog.sqlite").read_bytes()
    assert rgw.secret_key.encode() not in catalog and rgw.access_key.encode() not in catalog
    verify = _genomdb(env, "store", "verify", "--as", "steward")
    assert verify.returncode == 0 and f"verified {len(registered)} of {len(registered)}" in verify.stdout


def test_the_instance_serves_from_s3_without_its_local_copies(
    s3_demo: tuple[Settings, dict[str, str], str],
) -> None:
    settings, env, _bucket = s3_demo
    home = settings.resolved_home()
    before = _genomdb(env, "freq", VARIANT, "--tier", "controlled", "--as", "steward")
    with Instance.open(settings) as instance:
        store = VariantStore.of(instance)
        for batch in store.batches():
            store.batch_path(batch.batch_id)  # the verified cache
        cached = store.carriers(VARIANT)
    shutil.rmtree(home / "variants")
    shutil.rmtree(home / "frequency")
    with Instance.open(settings) as instance:
        store = VariantStore.of(instance)
        parts = store._call_parts("chr10")
        assert parts and all(p.startswith("s3://") for p in parts), "DuckDB reads the batch Parquet over S3"
        assert store.carriers(VARIANT) == cached and cached
    assert not (home / "variants").exists(), "a point query fetches nothing to disk"
    after = _genomdb(env, "freq", VARIANT, "--tier", "controlled", "--as", "steward")
    assert before.returncode == after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert (home / "frequency" / "releases").is_dir(), "the release was fetched into the verified cache"


def test_gc_removes_unregistered_datasets_and_a_damaged_release_is_refused(
    s3_demo: tuple[Settings, dict[str, str], str], rgw: RunningRgw, tmp_path: Path
) -> None:
    settings, env, bucket = s3_demo
    with Instance.open(settings) as instance:
        datasets = instance.datasets
        assert isinstance(datasets, S3Datasets)
        crashed = tmp_path / "VB-crashed"
        (crashed / "calls" / "chrom=chr1").mkdir(parents=True)
        (crashed / "calls" / "chrom=chr1" / "part-0.parquet").write_bytes(b"PAR1 left by a crashed run")
        datasets.publish(crashed, "variants/batches/VB-crashed")
        assert datasets.exists("variants/batches/VB-crashed")
        n_batches = len(VariantStore.of(instance).batches())
    gc = _genomdb(env, "store", "gc", "--grace", "0", "--as", "steward")
    assert gc.returncode == 0, gc.stderr
    assert "removed 1 unregistered variant batch" in gc.stdout
    with Instance.open(settings) as instance:
        assert not instance.datasets.exists("variants/batches/VB-crashed")
        assert len(VariantStore.of(instance).batches()) == n_batches
        batches = VariantStore.of(instance).batches()
        assert all(instance.datasets.exists(f"variants/batches/{b.batch_id}") for b in batches)
        (release,) = list_releases(instance)[-1:]
        key = f"genomdb/{release_name(release.release_id)}/manifest.json"
        client = rgw.client()
        head = client.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        original = client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
        client.put_object(Bucket=bucket, Key=key, Body=original + b" ", Metadata=head["Metadata"])  # type: ignore[attr-defined]
        shutil.rmtree(release.path)
        try:
            with pytest.raises(IntegrityError, match=r"manifest\.json"):
                open_release(instance, release.release_id)
            assert not release.path.exists(), "nothing unverified is left in the cache"
        finally:
            client.put_object(Bucket=bucket, Key=key, Body=original, Metadata=head["Metadata"])  # type: ignore[attr-defined]
        open_release(instance, release.release_id)


def test_scrub_covers_blobs_batches_and_releases_on_s3_and_names_drift(
    s3_demo: tuple[Settings, dict[str, str], str], rgw: RunningRgw
) -> None:
    settings, env, bucket = s3_demo
    clean = _genomdb(env, "store", "scrub", "--rate", "200", "--as", "steward")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with Instance.open(settings) as instance:
        n_blobs = len(instance.catalog.registered_blobs())
        batch = VariantStore.of(instance).batches()[0]
    assert "0 with drift" in clean.stdout
    n_objects = int(clean.stdout.split(" of ")[1].split()[0])
    assert n_objects > n_blobs + 4, "batch and release files are in the ledger too"
    client = rgw.client()
    part = f"variants/batches/{batch.batch_id}/calls/chrom=chr10/part-0.parquet"
    key = f"genomdb/{part}"
    head = client.head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    original = client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
    client.put_object(Bucket=bucket, Key=key, Body=original[:-1] + b"\0", Metadata=head["Metadata"])  # type: ignore[attr-defined]
    try:
        drifted = _genomdb(env, "store", "scrub", "--as", "steward")
        assert drifted.returncode != 0
        assert part in drifted.stdout and "corrupt" in drifted.stdout and "1 with drift" in drifted.stdout
    finally:
        client.put_object(Bucket=bucket, Key=key, Body=original, Metadata=head["Metadata"])  # type: ignore[attr-defined]
