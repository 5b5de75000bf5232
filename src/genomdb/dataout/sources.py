"""Where the bytes of a stored file are: the blob store's file for a blob, sealed (crypt4gh) or plain.

Only the embedded ``file://`` store exists so far; its layout is ``sha256/ab/cd/<sha256>[.c4gh]``. Object stores
will implement the same three operations (path or stream, sealed or not, ranged reads) behind their own URLs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from genomdb.dataout.sealing import PlainRangeReader, RangeReader, SealedRangeReader
from genomdb.errors import NotFound, Unavailable
from genomdb.instance import Instance
from genomdb.storage.blobs import LocalBlobStore
from genomdb.storage.envelope import ArchiveKeys, load_archive_keys


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    path: Path
    sealed: bool
    """True when the blob is stored crypt4gh-encrypted for the archive key."""


def stored_blob(instance: Instance, sha256: str) -> StoredBlob:
    """The file holding a blob in the local blob store."""
    store = instance.blobs
    if not isinstance(store, LocalBlobStore):
        raise Unavailable(f"data-out reads blobs from a file:// store only; {store.url} is not one")
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
    if blob.sealed:
        return SealedRangeReader(blob.path, archive_keys(instance))
    return PlainRangeReader(blob.path)


def plaintext_file(instance: Instance, sha256: str, target: Path) -> Path:
    """Make ``target`` a readable plaintext copy of a blob: a symlink to a plain blob, or its decryption."""
    blob = stored_blob(instance, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not blob.sealed:
        target.symlink_to(blob.path)
        return target
    with instance.blobs.open(sha256) as plain, target.open("wb") as out:
        shutil.copyfileobj(plain, out, 4 << 20)
    return target
