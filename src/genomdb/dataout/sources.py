"""Where the bytes of a stored file are: the blob store's file for a blob, sealed (crypt4gh) or plain.

On the embedded ``file://`` store a blob is a local file (``sha256/ab/cd/<sha256>[.c4gh]``) that can be linked
or served directly; on an object store it has no path, and its bytes are read through the store's seekable
:meth:`~genomdb.storage.blobs.BlobStore.open_stored` (each seek one ranged GET).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from genomdb.dataout.sealing import PlainRangeReader, RangeReader, SealedRangeReader
from genomdb.errors import NotFound
from genomdb.instance import Instance
from genomdb.storage.blobs import LocalBlobStore
from genomdb.storage.envelope import ArchiveKeys, load_archive_keys


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    path: Path | None
    """The local file, when the store keeps blobs as files; None on an object store."""
    sealed: bool
    """True when the blob is stored crypt4gh-encrypted for the archive key."""


def stored_blob(instance: Instance, sha256: str) -> StoredBlob:
    """Where a blob is: its file in the local blob store, or just whether it is sealed on an object store."""
    store = instance.blobs
    if not isinstance(store, LocalBlobStore):
        try:
            return StoredBlob(sha256, None, store.is_encrypted(sha256))
        except NotFound:
            raise NotFound(
                f"blob {sha256} is registered but missing from the store: run `genomdb store verify`"
            ) from None
    base = store.root / "sha256" / sha256[:2] / sha256[2:4] / sha256
    for path, sealed in ((base, False), (base.with_name(base.name + ".c4gh"), True)):
        if path.exists():
            return StoredBlob(sha256, path, sealed)
    raise NotFound(f"blob {sha256} is registered but missing from the store: run `genomdb store verify`")


def archive_keys(instance: Instance) -> ArchiveKeys:
    return load_archive_keys(instance.settings.resolved_secrets_dir())


def range_reader(instance: Instance, sha256: str) -> RangeReader:
    """Random access to a blob's plaintext; sealed blobs are decrypted segment by segment."""
    blob = stored_blob(instance, sha256)
    if blob.path is not None:
        if blob.sealed:
            return SealedRangeReader(blob.path, archive_keys(instance))
        return PlainRangeReader(blob.path)
    return _StoredRangeReader(instance, sha256, archive_keys(instance) if blob.sealed else None)


class _StoredRangeReader:
    """Byte ranges of a blob in an object store, read with ranged GETs (sealed: per 64 KiB segment)."""

    def __init__(self, instance: Instance, sha256: str, keys: ArchiveKeys | None) -> None:
        self._stack = contextlib.ExitStack()
        handle = self._stack.enter_context(instance.blobs.open_stored(sha256))
        stored_size = handle.seek(0, 2)
        handle.seek(0)
        self._sealed = SealedRangeReader(handle, keys, size=stored_size) if keys is not None else None
        self._handle = handle
        self.size = self._sealed.size if self._sealed is not None else stored_size

    def read_at(self, offset: int, length: int) -> bytes:
        if self._sealed is not None:
            return self._sealed.read_at(offset, length)
        length = max(0, min(length, self.size - offset))
        self._handle.seek(offset)
        return self._handle.read(length)

    def close(self) -> None:
        self._stack.close()


def plaintext_file(instance: Instance, sha256: str, target: Path) -> Path:
    """Make ``target`` a readable plaintext copy of a blob: a symlink to a plain blob, or its decryption."""
    blob = stored_blob(instance, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not blob.sealed and blob.path is not None:
        target.symlink_to(blob.path)
        return target
    with instance.blobs.open(sha256) as plain, target.open("wb") as out:
        shutil.copyfileobj(plain, out, 4 << 20)
    return target
