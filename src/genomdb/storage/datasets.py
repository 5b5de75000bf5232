"""Immutable dataset folders (variant-store batches, frequency releases) on the instance's store.

A dataset is a folder written once under a name such as ``variants/batches/VB-…`` or ``frequency/releases/GDB-…``.
On the embedded default the folder under the instance home *is* the dataset and every operation here is a no-op.
On S3 the objects under ``<prefix>/<name>/`` are the dataset, each carrying its sha256 as metadata; the folder under
the home becomes a read cache that :meth:`materialise` rebuilds when it is missing, checking every file against the
sha256 it was published with. The commit order stays the store's: :meth:`publish` uploads every object, then
the caller's catalog transaction registers the dataset; a crash in between leaves objects no catalog row names,
which :meth:`collect` removes (``genomdb store gc``).

DuckDB reads the objects without a local copy through :meth:`duckdb_path` and :meth:`attach` (point queries that
touch one partition's row groups); whole-dataset scans (a frequency build) read the verified cache instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from genomdb.errors import IntegrityError, NotFound
from genomdb.storage.s3 import (
    S3Credentials,
    S3Location,
    create_s3_client,
    delete_keys,
    is_missing,
    iter_objects,
    parse_s3_url,
    part_size_for,
)

_CHUNK = 4 * 1024 * 1024


class DatasetStore(Protocol):
    """Where the immutable Parquet/Arrow folders of an instance live."""

    remote: bool

    def publish(self, folder: Path, name: str) -> int: ...

    def materialise(self, name: str, folder: Path) -> bool: ...

    def exists(self, name: str) -> bool: ...

    def open_file(self, name: str) -> AbstractContextManager[BinaryIO]: ...

    def duckdb_path(self, name: str) -> str: ...

    def attach(self, con: Any) -> None: ...

    def collect(self, parent: str, keep: set[str], *, grace_seconds: float) -> list[str]: ...


class LocalDatasets:
    """The embedded default: datasets are folders under the instance home, written in place."""

    remote = False

    def __init__(self, home: Path) -> None:
        self.home = home

    def publish(self, folder: Path, name: str) -> int:
        return 0

    def materialise(self, name: str, folder: Path) -> bool:
        return False

    def exists(self, name: str) -> bool:
        return (self.home / name).exists()

    @contextmanager
    def open_file(self, name: str) -> Iterator[BinaryIO]:
        """One file of a dataset (``name`` relative to the store root)."""
        path = self.home / name
        if not path.is_file():
            raise NotFound(f"{name} is not in the store")
        with path.open("rb") as handle:
            yield handle

    def duckdb_path(self, name: str) -> str:
        return str(self.home / name)

    def attach(self, con: Any) -> None:
        return None

    def collect(self, parent: str, keep: set[str], *, grace_seconds: float) -> list[str]:
        return []  # the domains' own collectors remove unregistered folders under the home


class S3Datasets:
    """Datasets as objects under ``<prefix>/<name>/`` in a bucket; the home holds a verified read cache."""

    remote = True

    def __init__(self, location: S3Location, client: Any) -> None:
        self.location = location
        self.client = client
        self._filesystem: Any = None

    def _key(self, name: str, relative: str = "") -> str:
        return self.location.key(name, relative)

    def publish(self, folder: Path, name: str) -> int:
        """Upload every file of ``folder`` under ``name`` (replacing leftovers of a crashed attempt); the bytes sent."""
        from genomdb.storage.s3blobs import MultipartWriter

        stale = [str(o["Key"]) for o in iter_objects(self.client, self.location.bucket, self._key(name) + "/")]
        delete_keys(self.client, self.location.bucket, stale)
        sent = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            size = path.stat().st_size
            writer = MultipartWriter(
                self.client,
                self.location.bucket,
                self._key(name, relative),
                part_size=part_size_for(size),
                metadata={"sha256": _sha256(path), "size": str(size)},
                conditional=False,
            )
            try:
                with path.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        writer.write(chunk)
                writer.close()
            except BaseException:
                writer.abort()
                raise
            sent += size
        return sent

    def materialise(self, name: str, folder: Path) -> bool:
        """Make ``folder`` a copy of the dataset, each file checked against its recorded sha256; False when the
        cache was there already. NotFound when the store has no such dataset."""
        if folder.is_dir():
            return False
        base = self._key(name) + "/"
        objects = list(iter_objects(self.client, self.location.bucket, base))
        if not objects:
            raise NotFound(f"dataset {name} is not in the store {self.location.url()}")
        scratch = folder.parent / f".tmp-fetch-{uuid.uuid4().hex}"
        try:
            for item in objects:
                key = str(item["Key"])
                target = scratch / key[len(base) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                response = self.client.get_object(Bucket=self.location.bucket, Key=key)
                recorded = response.get("Metadata", {}).get("sha256")
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := response["Body"].read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if recorded is None or digest.hexdigest() != recorded:
                    raise IntegrityError(
                        f"dataset {name}: {key[len(base) :]} hashes to {digest.hexdigest()}, "
                        f"published as {recorded or 'no sha256'}"
                    )
            folder.parent.mkdir(parents=True, exist_ok=True)
            scratch.rename(folder)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return True

    def exists(self, name: str) -> bool:
        """Whether a dataset, or one file of it (``name/relative/path``), is in the store."""
        key = self._key(name)
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=key)
            return True
        except Exception as exc:
            if not is_missing(exc):
                raise
        listed = self.client.list_objects_v2(Bucket=self.location.bucket, Prefix=key + "/", MaxKeys=1)
        return bool(listed.get("KeyCount", 0))

    @contextmanager
    def open_file(self, name: str) -> Iterator[BinaryIO]:
        """One file of a dataset, read from its object (not from the local cache)."""
        from genomdb.storage.s3 import ObjectReader

        with ObjectReader(self.client, self.location.bucket, self._key(name)) as raw:
            yield io.BufferedReader(raw, buffer_size=_CHUNK)

    def duckdb_path(self, name: str) -> str:
        return f"s3://{self.location.bucket}/{self._key(name)}"

    def attach(self, con: Any) -> None:
        """Let a DuckDB connection read ``s3://`` paths of this store."""
        from genomdb.storage.objectfs import ObjectFileSystem

        if self._filesystem is None:
            self._filesystem = ObjectFileSystem(self.client)
        if not con.filesystem_is_registered("s3"):
            con.register_filesystem(self._filesystem)

    def names(self, parent: str) -> dict[str, float]:
        """Each dataset folder under ``parent`` and the time of its newest object."""
        base = self._key(parent) + "/"
        newest: dict[str, float] = {}
        for item in iter_objects(self.client, self.location.bucket, base):
            child = str(item["Key"])[len(base) :].split("/", 1)[0]
            newest[child] = max(newest.get(child, 0.0), item["LastModified"].timestamp())
        return newest

    def collect(self, parent: str, keep: set[str], *, grace_seconds: float) -> list[str]:
        """Remove dataset folders under ``parent`` not in ``keep`` whose newest object is older than the grace."""
        cutoff = dt.datetime.now(dt.UTC).timestamp() - grace_seconds
        removed = []
        for child, newest in sorted(self.names(parent).items()):
            if child in keep or newest > cutoff:
                continue
            prefix = self._key(parent, child) + "/"
            keys = [str(o["Key"]) for o in iter_objects(self.client, self.location.bucket, prefix)]
            delete_keys(self.client, self.location.bucket, keys)
            removed.append(child)
        return removed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def create_dataset_store(url: str, *, home: Path, credentials: S3Credentials | None = None) -> DatasetStore:
    """The dataset store that goes with a blob-store URL: the home folder for ``file://``, the same bucket and
    prefix for ``s3://``."""
    if urlparse(url).scheme == "s3":
        location = parse_s3_url(url)
        return S3Datasets(location, create_s3_client(location, credentials))
    return LocalDatasets(home)
