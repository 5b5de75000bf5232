"""Verified migration of an instance's store: every blob, batch file and release file copied to a new S3 store,
read back and checked against the sha256 it must have, resumable after a kill, then one switch.

* **What is copied** is the ledger's view of the store (the caller lists it from the catalog: registered blobs,
  the files of registered batches and releases, each with its sha256). Blobs are copied as stored — a sealed
  (crypt4gh) blob stays sealed, under the same key layout — with their sha256 as metadata and the storage class of
  their recorded tier; dataset files under the same names.
* **Verified**: after each write the object is read back whole; a blob is checked as ``verify`` does (decrypted
  when sealed, hashed, compared with its content address and its metadata), a dataset file by its sha256.
* **Resumable**: each verified object is committed to the migration ledger (table ``storage_migrated_objects``)
  at once; a re-run skips what the ledger holds for the same target and sha256. An object found at the target
  but not in the ledger (a kill between the write and the ledger commit) is verified and kept, not copied again.
  A kill mid-upload leaves an unfinished multipart upload that no reader sees (``store gc`` aborts it).
* **One switch**: only when every object is verified is the new URL written to ``store.json`` in the home
  (a temporary file renamed over it), which :meth:`genomdb.config.Settings.resolved_store_url` reads. The old store
  is not touched until :func:`finalise`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from genomdb.config import STORE_POINTER
from genomdb.db.engine import Database
from genomdb.errors import GenomdbError, IntegrityError, InvalidInput, NotFound, Problem, Unavailable
from genomdb.storage.blobs import BlobStore, LocalBlobStore
from genomdb.storage.datasets import DatasetStore, S3Datasets
from genomdb.storage.repository import migrated, record_migrated
from genomdb.storage.s3 import delete_keys, error_code, is_missing, iter_objects, part_size_for
from genomdb.storage.s3blobs import MultipartWriter, S3BlobStore
from genomdb.storage.scrub import RateLimit

_CHUNK = 4 * 1024 * 1024
DATASET_PARENTS = ("variants/batches", "frequency/releases")
Progress = Callable[[int], None]
"""Told how many more bytes were copied or read back."""


@dataclass(frozen=True, slots=True)
class MigrationObject:
    """One object to carry over: its ledger name, kind (``blob``, ``batch``, ``release``), sha256 and size."""

    name: str
    kind: str
    sha256: str
    size: int
    storage_class: str = "STANDARD"


@dataclass(frozen=True, slots=True)
class ObjectCheck:
    name: str
    kind: str
    sha256: str
    size: int
    outcome: str
    """``copied`` (written and read back), ``present`` (found at the target, read back), ``verified-before``
    (in the migration ledger from an earlier run) or ``failed``."""
    detail: str = ""


@dataclass
class MigrationReport:
    source: str
    target: str
    checks: list[ObjectCheck] = field(default_factory=list)
    bytes_copied: int = 0
    seconds: float = 0.0
    switched: bool = False

    @property
    def failed(self) -> list[ObjectCheck]:
        return [c for c in self.checks if c.outcome == "failed"]

    def write_tsv(self, path: Path) -> None:
        """Every object and its check, one line each (a header line first)."""
        lines = ["name\tkind\tsha256\tsize\tcheck\tdetail"]
        lines += [f"{c.name}\t{c.kind}\t{c.sha256}\t{c.size}\t{c.outcome}\t{c.detail}" for c in self.checks]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def require_s3_target(blobs: BlobStore, datasets: DatasetStore) -> tuple[S3BlobStore, S3Datasets]:
    if not isinstance(blobs, S3BlobStore) or not isinstance(datasets, S3Datasets):
        raise InvalidInput(
            "cannot migrate to this store",
            [Problem("--to", "the new store must be an S3 store", expected="s3://bucket/prefix?endpoint=…")],
        )
    return blobs, datasets


def migrate(
    db: Database,
    *,
    source_blobs: BlobStore,
    source_datasets: DatasetStore,
    target_blobs: S3BlobStore,
    target_datasets: S3Datasets,
    objects: Iterable[MigrationObject],
    mb_per_second: float | None = None,
    progress: Progress | None = None,
    on_check: Callable[[ObjectCheck], None] | None = None,
) -> MigrationReport:
    """Copy and verify every object not yet verified at the target; return one check per object."""
    if source_blobs.url == target_blobs.url:
        raise InvalidInput(
            "cannot migrate a store onto itself", [Problem("--to", "names the current store", found=target_blobs.url)]
        )
    _require_reachable(target_blobs)
    started = time.monotonic()
    report = MigrationReport(source_blobs.url, target_blobs.url)
    done = migrated(db, target_blobs.url)
    existing = _target_keys(target_blobs)
    limit = RateLimit(mb_per_second)

    def advance(n: int) -> None:
        limit.spend(n)
        if progress is not None:
            progress(n)

    for item in objects:
        if done.get(item.name) == item.sha256:
            check = ObjectCheck(item.name, item.kind, item.sha256, item.size, "verified-before")
            if progress is not None:
                progress(2 * item.size)
        else:
            check = _carry(item, source_blobs, source_datasets, target_blobs, target_datasets, advance, existing)
            if check.outcome != "failed":
                record_migrated(
                    db, target_blobs.url, name=item.name, kind=item.kind, sha256=item.sha256, size=item.size
                )
                if check.outcome == "copied":
                    report.bytes_copied += item.size
        report.checks.append(check)
        if on_check is not None:
            on_check(check)
    report.seconds = time.monotonic() - started
    return report


def _require_reachable(target: S3BlobStore) -> None:
    """Fail at once, saying why, when the new store's bucket cannot be reached (no credentials, no bucket)."""
    try:
        target.client.head_bucket(Bucket=target.location.bucket)
    except Exception as exc:
        reason = error_code(exc) or type(exc).__name__
        raise Unavailable(
            f"the new store {target.url} cannot be reached ({reason}): check the bucket exists and "
            "GENOMDB_S3_ACCESS_KEY_ID / GENOMDB_S3_SECRET_ACCESS_KEY"
        ) from None


def _target_keys(target: S3BlobStore) -> set[str]:
    """Every key under the new store's prefix, listed once (so that absent objects cost no request each)."""
    prefix = target.location.key()
    return {str(o["Key"]) for o in iter_objects(target.client, target.location.bucket, prefix + "/" if prefix else "")}


def _carry(
    item: MigrationObject,
    source_blobs: BlobStore,
    source_datasets: DatasetStore,
    target_blobs: S3BlobStore,
    target_datasets: S3Datasets,
    advance: Progress,
    existing: set[str],
) -> ObjectCheck:
    def check(outcome: str, detail: str = "") -> ObjectCheck:
        return ObjectCheck(item.name, item.kind, item.sha256, item.size, outcome, detail)

    try:
        if item.kind == "blob":
            sealed = source_blobs.is_encrypted(item.sha256)
            key = target_blobs.key_for(item.sha256, encrypted=sealed)
        else:
            sealed, key = False, target_datasets.location.key(item.name)
        if key in existing and _read_back(item, target_blobs, key, sealed=sealed, advance=None):
            advance(2 * item.size)
            return check("present", "found at the target and read back")
        if item.kind == "blob":
            _copy_blob(item, source_blobs, target_blobs, advance)
        else:
            _copy_dataset_file(item, source_datasets, target_datasets, advance)
        if not _read_back(item, target_blobs, key, sealed=sealed, advance=advance):
            return check("failed", "the copy read back does not match its sha256")
        return check("copied", "written and read back")
    except NotFound as exc:
        return check("failed", f"missing at the source: {exc.message}")
    except (GenomdbError, OSError, ValueError, EOFError, BotoCoreError, ClientError) as exc:
        return check("failed", (error_code(exc) or str(exc))[:300])


def _read_back(item: MigrationObject, target: S3BlobStore, key: str, *, sealed: bool, advance: Progress | None) -> bool:
    """Read the object back whole and compare it, and the sha256 it carries as metadata, with its sha256 (a sealed
    blob is opened with the archive key, as ``verify`` does); False when missing or different."""
    if sealed:
        try:
            target.verify(item.sha256)
        except (IntegrityError, NotFound):
            return False
        if advance is not None:
            advance(item.size)
        return True
    try:
        response = target.client.get_object(Bucket=target.location.bucket, Key=key)
    except ClientError as exc:
        if is_missing(exc):
            return False
        raise
    digest = hashlib.sha256()
    body = response["Body"]
    try:
        while chunk := body.read(_CHUNK):
            digest.update(chunk)
            if advance is not None:
                advance(len(chunk))
    finally:
        body.close()
    recorded = response.get("Metadata", {}).get("sha256")
    return digest.hexdigest() == item.sha256 and recorded == item.sha256


def _stream(source: BinaryIO, writer: MultipartWriter, advance: Progress, *, stored: int, size: int) -> None:
    """Copy ``stored`` bytes; progress is told in the object's plaintext ``size`` (a sealed blob is a little larger
    as stored), so that the copy and the read back of an object each count its size."""
    sent = counted = 0
    while chunk := source.read(writer.part_size):
        writer.write(chunk)
        sent += len(chunk)
        due = size * sent // stored if stored else size
        advance(due - counted)
        counted = due


def _copy_blob(item: MigrationObject, source: BlobStore, target: S3BlobStore, advance: Progress) -> None:
    """The stored bytes (ciphertext when sealed) under the blob's key at the target, with its metadata."""
    encrypted = source.is_encrypted(item.sha256)
    with source.open_stored(item.sha256) as handle:
        stored_size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
        writer = MultipartWriter(
            target.client,
            target.location.bucket,
            target.key_for(item.sha256, encrypted=encrypted),
            part_size=part_size_for(stored_size),
            metadata={"sha256": item.sha256, "size": str(item.size), "encrypted": "1" if encrypted else "0"},
            conditional=False,
            extra={"StorageClass": item.storage_class},
        )
        try:
            _stream(handle, writer, advance, stored=stored_size, size=item.size)
            writer.close()
        except BaseException:
            writer.abort()
            raise


def _copy_dataset_file(item: MigrationObject, source: DatasetStore, target: S3Datasets, advance: Progress) -> None:
    with source.open_file(item.name) as handle:
        writer = MultipartWriter(
            target.client,
            target.location.bucket,
            target.location.key(item.name),
            part_size=part_size_for(item.size),
            metadata={"sha256": item.sha256, "size": str(item.size)},
            conditional=False,
            extra={"StorageClass": item.storage_class},
        )
        try:
            _stream(handle, writer, advance, stored=item.size, size=item.size)
            writer.close()
        except BaseException:
            writer.abort()
            raise


# --- the switch and the old store -----------------------------------------------------------------------------


def switch_store(home: Path, *, target: str, previous: str) -> None:
    """Point the instance at ``target`` in one step: ``store.json`` written beside, fsynced, renamed over."""
    pointer = home / STORE_POINTER
    temporary = home / f".{STORE_POINTER}.tmp"
    content = {
        "store_url": target,
        "previous_store_url": previous,
        "switched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(content, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(pointer)
    folder = os.open(home, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@dataclass(frozen=True, slots=True)
class FinaliseReport:
    previous: str
    removed_objects: int
    removed_bytes: int


def finalise(
    db: Database, home: Path, *, old_blobs: BlobStore, old_datasets: DatasetStore, expected: Iterable[MigrationObject]
) -> FinaliseReport:
    """Remove the store the instance migrated from, once every object it answers for is verified at the new one.

    On a local old store the blob tree goes; the batch and release folders under the home stay (they are the
    verified read cache of the S3 store now). On an S3 old store every object under its prefix goes."""
    pointer = home / STORE_POINTER
    recorded = json.loads(pointer.read_text(encoding="utf-8")) if pointer.exists() else {}
    previous, current = recorded.get("previous_store_url"), recorded.get("store_url")
    if not previous or not current:
        raise Unavailable("nothing to finalise: this instance has no migration waiting (no previous store recorded)")
    if old_blobs.url != previous:
        raise Unavailable(f"the old store to remove is {previous}, not {old_blobs.url}")
    done = migrated(db, current)
    missing = [o.name for o in expected if done.get(o.name) != o.sha256]
    if missing:
        raise Unavailable(
            f"{len(missing)} object(s) are not verified at {current} (first: {missing[0]}): run "
            f"`genomdb store migrate --to {current}` again before finalising"
        )
    removed = removed_bytes = 0
    if isinstance(old_blobs, LocalBlobStore):
        for entry in old_blobs.list_blobs():
            removed += 1
            removed_bytes += entry.size
        shutil.rmtree(old_blobs.root / "sha256", ignore_errors=True)
        shutil.rmtree(old_blobs.root / ".staging", ignore_errors=True)
    elif isinstance(old_blobs, S3BlobStore):
        prefixes = [old_blobs.location.key("sha256") + "/"]
        if isinstance(old_datasets, S3Datasets):
            prefixes += [old_datasets.location.key(parent) + "/" for parent in DATASET_PARENTS]
        for prefix in prefixes:
            items: list[dict[str, Any]] = list(iter_objects(old_blobs.client, old_blobs.location.bucket, prefix))
            delete_keys(old_blobs.client, old_blobs.location.bucket, [str(i["Key"]) for i in items])
            removed += len(items)
            removed_bytes += sum(int(i["Size"]) for i in items)
    recorded.pop("previous_store_url", None)
    recorded["finalised_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    temporary = home / f".{STORE_POINTER}.tmp"
    temporary.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    temporary.replace(pointer)
    return FinaliseReport(previous, removed, removed_bytes)
