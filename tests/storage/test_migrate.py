"""Migration of a store to the real Ceph RGW, object by object: sealed blobs stay sealed, every object is read back,
the ledger makes a re-run skip what is verified, a damaged copy at the target is found and rewritten."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from genomdb.db.engine import Database, create_database
from genomdb.errors import Unavailable
from genomdb.storage.blobs import LocalBlobStore, create_blob_store
from genomdb.storage.datasets import LocalDatasets, S3Datasets, create_dataset_store
from genomdb.storage.envelope import load_archive_keys
from genomdb.storage.migrate import MigrationObject, migrate
from genomdb.storage.repository import migrated
from genomdb.storage.s3 import S3Credentials
from genomdb.storage.s3blobs import S3BlobStore
from tests.storage.backends import archive_keys
from tests.storage.ceph import RunningRgw

pytestmark = [pytest.mark.rgw]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = create_database(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    database.migrate()
    return database


def _source(tmp_path: Path) -> tuple[LocalBlobStore, LocalDatasets, list[MigrationObject]]:
    """A sealed local store with three blobs (one above a multipart part) and one dataset file."""
    keys = archive_keys(tmp_path / "keys")  # the instance's keys: the new store opens sealed blobs with them too
    blobs = LocalBlobStore(tmp_path / "blobs", archive_keys=keys, encrypt=True)
    objects = []
    for i, size in enumerate((10, 70_000, 17 * 1024 * 1024)):
        path = tmp_path / f"file{i}"
        path.write_bytes(os.urandom(size))
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        blobs.put_file(path, sha256=sha256, size=size)
        objects.append(MigrationObject(f"blob/{sha256}", "blob", sha256, size, "COLD" if i == 0 else "STANDARD"))
    home = tmp_path / "home"
    part = home / "variants" / "batches" / "VB-1" / "part-0.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(os.urandom(5000))
    objects.append(
        MigrationObject(
            "variants/batches/VB-1/part-0.parquet", "batch", hashlib.sha256(part.read_bytes()).hexdigest(), 5000
        )
    )
    return blobs, LocalDatasets(home), objects


def _target(rgw: RunningRgw, bucket: str, tmp_path: Path) -> tuple[S3BlobStore, S3Datasets]:
    credentials = S3Credentials(SecretStr(rgw.access_key), SecretStr(rgw.secret_key))
    url = rgw.store_url(bucket, "new")
    keys = load_archive_keys(tmp_path / "keys")
    blobs = create_blob_store(url, archive_keys=keys, credentials=credentials, staging_dir=tmp_path / "st")
    datasets = create_dataset_store(url, home=tmp_path / "home", credentials=credentials)
    assert isinstance(blobs, S3BlobStore) and isinstance(datasets, S3Datasets)
    return blobs, datasets


def test_a_migration_copies_verifies_and_resumes(
    db: Database, rgw: RunningRgw, rgw_bucket: str, tmp_path: Path
) -> None:
    source_blobs, source_datasets, objects = _source(tmp_path)
    target_blobs, target_datasets = _target(rgw, rgw_bucket, tmp_path)
    seen: list[int] = []
    first = migrate(
        db,
        source_blobs=source_blobs,
        source_datasets=source_datasets,
        target_blobs=target_blobs,
        target_datasets=target_datasets,
        objects=objects,
        progress=seen.append,
    )
    assert [c.outcome for c in first.checks] == ["copied"] * 4 and not first.failed
    assert sum(seen) == 2 * sum(o.size for o in objects), "progress counts each byte copied and read back"
    assert migrated(db, target_blobs.url) == {o.name: o.sha256 for o in objects}

    client = rgw.client()
    for item in objects[:3]:
        key = target_blobs.key_for(item.sha256, encrypted=True)
        head = client.head_object(Bucket=rgw_bucket, Key=key)  # type: ignore[attr-defined]
        assert head["Metadata"] == {"sha256": item.sha256, "size": str(item.size), "encrypted": "1"}
        assert head.get("StorageClass", "STANDARD") == item.storage_class
        stored = client.get_object(Bucket=rgw_bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
        with source_blobs.open_stored(item.sha256) as original:
            assert stored == original.read(), "a sealed blob is carried as stored, still sealed"
        target_blobs.verify(item.sha256)

    again = migrate(
        db,
        source_blobs=source_blobs,
        source_datasets=source_datasets,
        target_blobs=target_blobs,
        target_datasets=target_datasets,
        objects=objects,
    )
    assert [c.outcome for c in again.checks] == ["verified-before"] * 4 and again.bytes_copied == 0

    # forget the ledger: objects found intact at the target are read back and kept; a damaged one is rewritten
    with db.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("DELETE FROM storage_migrated_objects"))
    damaged = objects[1]
    key = target_blobs.key_for(damaged.sha256, encrypted=True)
    head = client.head_object(Bucket=rgw_bucket, Key=key)  # type: ignore[attr-defined]
    client.put_object(Bucket=rgw_bucket, Key=key, Body=b"not the sealed blob", Metadata=head["Metadata"])  # type: ignore[attr-defined]
    third = migrate(
        db,
        source_blobs=source_blobs,
        source_datasets=source_datasets,
        target_blobs=target_blobs,
        target_datasets=target_datasets,
        objects=objects,
    )
    outcomes = {c.name: c.outcome for c in third.checks}
    assert outcomes[damaged.name] == "copied"
    assert all(outcome == "present" for name, outcome in outcomes.items() if name != damaged.name)
    target_blobs.verify(damaged.sha256)


def test_a_missing_source_object_fails_its_check_and_an_unreachable_target_stops_at_once(
    db: Database, rgw: RunningRgw, rgw_bucket: str, tmp_path: Path
) -> None:
    source_blobs, source_datasets, objects = _source(tmp_path)
    target_blobs, target_datasets = _target(rgw, rgw_bucket, tmp_path)
    ghost = MigrationObject("blob/" + "0" * 64, "blob", "0" * 64, 5)
    report = migrate(
        db,
        source_blobs=source_blobs,
        source_datasets=source_datasets,
        target_blobs=target_blobs,
        target_datasets=target_datasets,
        objects=[ghost, objects[0]],
    )
    (failed,) = report.failed
    assert failed.name == ghost.name and "missing at the source" in failed.detail
    assert migrated(db, target_blobs.url) == {objects[0].name: objects[0].sha256}

    nowhere, nowhere_datasets = _target(rgw, "gdb-no-such-bucket", tmp_path)
    with pytest.raises(Unavailable, match="cannot be reached"):
        migrate(
            db,
            source_blobs=source_blobs,
            source_datasets=source_datasets,
            target_blobs=nowhere,
            target_datasets=nowhere_datasets,
            objects=objects,
        )
