"""Content-addressed blob store.

Blobs are keyed by the sha256 of their plaintext. A blob is written in two steps: ``stage`` copies the
source into the store's staging area while computing sha256 and md5 in the same pass; ``commit`` moves it into
place atomically (fsync, rename, fsync of the folder), encrypting it first when the store is configured to.
A committed blob is visible to readers only once the catalog registers it; ``gc`` removes what the catalog
does not know.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol
from urllib.parse import unquote, urlparse

from genomdb.errors import IntegrityError, NotFound, Unavailable
from genomdb.storage.checksums import copy_with_checksums, fsync_path
from genomdb.storage.envelope import ArchiveKeys, decrypt_stream, encrypt_stream

if TYPE_CHECKING:
    from genomdb.storage.s3 import S3Credentials

CHUNK = 4 * 1024 * 1024
ProgressCallback = Callable[[int], None]
"""Told how many more bytes were written; for progress bars of large commits."""


@dataclass(frozen=True, slots=True)
class StagedBlob:
    path: Path
    sha256: str
    md5: str
    size: int


@dataclass(frozen=True, slots=True)
class BlobEntry:
    """One stored object as its backend lists it."""

    sha256: str
    size: int
    """Bytes as stored (ciphertext size for sealed blobs)."""
    modified: float
    """POSIX time of the last write."""
    encrypted: bool
    location: str
    """Where it is: a local path or ``s3://bucket/key``."""


@dataclass(frozen=True, slots=True)
class GcReport:
    removed_blobs: int
    removed_bytes: int
    removed_staging: int
    kept_young: int


class BlobStore(Protocol):
    """What genomdb needs from a blob store; one implementation per URL scheme."""

    url: str
    encrypts: bool

    def workspace(self) -> AbstractContextManager[Path]: ...

    def stage(self, source: Path, workspace: Path, *, name: str, durable: bool = True) -> StagedBlob: ...

    def commit(self, staged: StagedBlob, *, progress: ProgressCallback | None = None) -> bool: ...

    def put_file(self, path: Path, *, sha256: str, size: int, progress: ProgressCallback | None = None) -> bool: ...

    def exists(self, sha256: str) -> bool: ...

    def is_encrypted(self, sha256: str) -> bool: ...

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]: ...

    def open_stored(self, sha256: str) -> AbstractContextManager[BinaryIO]: ...

    def verify(self, sha256: str) -> None: ...

    def list_blobs(self) -> Iterator[BlobEntry]: ...

    def gc(self, registered: set[str], *, grace_seconds: float) -> GcReport: ...


class StagingArea:
    """The local staging every blob store shares: a private folder per submission, files copied in with checksums."""

    _staging: Path

    @contextmanager
    def workspace(self) -> Iterator[Path]:
        """A private staging folder, removed with everything in it when the block ends."""
        self._staging.mkdir(parents=True, exist_ok=True)
        folder = self._staging / uuid.uuid4().hex
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def stage(self, source: Path, workspace: Path, *, name: str, durable: bool = True) -> StagedBlob:
        """Copy a file into the workspace with its checksums; fsynced unless ``durable`` is off, in which case
        the caller fsyncs it (:func:`~genomdb.storage.checksums.fsync_path`) before committing it."""
        target = workspace / f"{uuid.uuid4().hex[:8]}-{Path(name).name}"
        sha256, md5, size = copy_with_checksums(source, target, durable=durable)
        return StagedBlob(path=target, sha256=sha256, md5=md5, size=size)


def write_for_storage(source: BinaryIO, target: Any, keys: ArchiveKeys | None, *, chunk_size: int = CHUNK) -> None:
    """Copy a plaintext into a stored object's writer: crypt4gh-encrypted for the archive key when ``keys`` are
    given, else as it is."""
    if keys is not None:
        encrypt_stream(source, target, sender=keys, recipient_public_key=keys.public_key)
        return
    while chunk := source.read(chunk_size):
        target.write(chunk)


class LocalBlobStore(StagingArea):
    """Blobs as files under a root folder: ``<root>/sha256/ab/cd/<sha256>[.c4gh]``."""

    def __init__(self, root: Path, *, archive_keys: ArchiveKeys | None = None, encrypt: bool = False) -> None:
        if encrypt and archive_keys is None:
            raise Unavailable("blob encryption is on but the archive keys are missing")
        self.root = root
        self.url = root.as_uri()
        self.encrypts = encrypt
        self._keys = archive_keys
        self._staging = root / ".staging"

    def _path(self, sha256: str, *, encrypted: bool) -> Path:
        suffix = ".c4gh" if encrypted else ""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / f"{sha256}{suffix}"

    def _existing(self, sha256: str) -> Path | None:
        for encrypted in (False, True):
            path = self._path(sha256, encrypted=encrypted)
            if path.exists():
                return path
        return None

    def commit(self, staged: StagedBlob, *, progress: ProgressCallback | None = None) -> bool:
        """Move a staged blob into place; return False when identical content was stored already."""
        if self._existing(staged.sha256) is not None:
            return False
        if self.encrypts:
            return self.put_file(staged.path, sha256=staged.sha256, size=staged.size, progress=progress)
        final = self._path(staged.sha256, encrypted=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        if progress is not None:
            progress(staged.size)  # the bytes were written when staged; the rename below makes them visible
        staged.path.replace(final)
        fsync_path(final.parent)
        return True

    def put_file(self, path: Path, *, sha256: str, size: int, progress: ProgressCallback | None = None) -> bool:
        """Copy a local plaintext file whose sha256 is known into place (sealed when the store encrypts):
        written to a temporary name beside the final one, fsynced, then renamed."""
        if self._existing(sha256) is not None:
            return False
        final = self._path(sha256, encrypted=self.encrypts)
        final.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as raw, path.open("rb") as source:
                write_for_storage(source, _CountingWriter(raw, progress), self._keys if self.encrypts else None)
                raw.flush()
                os.fsync(raw.fileno())
            Path(temp_name).replace(final)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        fsync_path(final.parent)
        return True

    def exists(self, sha256: str) -> bool:
        return self._existing(sha256) is not None

    def is_encrypted(self, sha256: str) -> bool:
        path = self._existing(sha256)
        if path is None:
            raise NotFound(f"blob {sha256} is not in the store")
        return path.suffix == ".c4gh"

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        """Read a blob's plaintext (decrypted into a temporary file when stored encrypted)."""
        path = self._existing(sha256)
        if path is None:
            raise NotFound(f"blob {sha256} is not in the store")
        if path.suffix != ".c4gh":
            with path.open("rb") as handle:
                yield handle
            return
        assert self._keys is not None
        with tempfile.TemporaryFile() as plain, path.open("rb") as sealed:
            decrypt_stream(sealed, plain, keys=self._keys)
            plain.seek(0)
            yield plain

    @contextmanager
    def open_stored(self, sha256: str) -> Iterator[BinaryIO]:
        """The stored bytes (ciphertext when sealed), seekable: ranged reads touch only what they read."""
        path = self._existing(sha256)
        if path is None:
            raise NotFound(f"blob {sha256} is not in the store")
        with path.open("rb") as handle:
            yield handle

    def verify(self, sha256: str) -> None:
        """Re-read a blob and check its content still hashes to its key."""
        digest = hashlib.sha256()
        try:
            with self.open(sha256) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except (ValueError, EOFError) as exc:  # crypt4gh: a sealed segment fails authentication
            raise IntegrityError(f"blob {sha256} is corrupt: its envelope cannot be opened ({exc})") from None
        if digest.hexdigest() != sha256:
            raise IntegrityError(f"blob {sha256} is corrupt: its content hashes to {digest.hexdigest()}")

    def list_blobs(self) -> Iterator[BlobEntry]:
        for sha256, path in self.iter_blobs():
            stat = path.stat()
            yield BlobEntry(sha256, stat.st_size, stat.st_mtime, path.suffix == ".c4gh", str(path))

    def iter_blobs(self) -> Iterator[tuple[str, Path]]:
        """Every stored blob's sha256 and file (this backend's own layout)."""
        base = self.root / "sha256"
        if not base.exists():
            return
        for path in base.glob("*/*/*"):
            if path.name.startswith(".tmp-"):
                continue
            yield path.name.removesuffix(".c4gh"), path

    def gc(self, registered: set[str], *, grace_seconds: float) -> GcReport:
        """Remove blobs the catalog does not know and abandoned staging folders older than the grace period."""
        cutoff = time.time() - grace_seconds
        removed = removed_bytes = removed_staging = kept = 0
        for sha256, path in list(self.iter_blobs()):
            if sha256 in registered:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                kept += 1
                continue
            path.unlink()
            removed += 1
            removed_bytes += stat.st_size
        base = self.root / "sha256"
        if base.exists():
            for temp in base.glob("*/*/.tmp-*"):
                if temp.stat().st_mtime <= cutoff:
                    temp.unlink()
                    removed_staging += 1
        if self._staging.exists():
            for folder in self._staging.iterdir():
                if folder.stat().st_mtime <= cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed_staging += 1
        return GcReport(removed, removed_bytes, removed_staging, kept)


class _CountingWriter:
    """Passes writes through to a file and reports their sizes."""

    def __init__(self, target: BinaryIO, progress: ProgressCallback | None) -> None:
        self._target, self._progress = target, progress

    def write(self, data: bytes) -> int:
        n = self._target.write(data)
        if self._progress is not None:
            self._progress(len(data))
        return n

    def flush(self) -> None:
        self._target.flush()


def create_blob_store(
    url: str,
    *,
    archive_keys: ArchiveKeys | None = None,
    encrypt: bool = False,
    credentials: S3Credentials | None = None,
    staging_dir: Path | None = None,
) -> BlobStore:
    """Open the blob store at a URL: ``file:///path`` (the embedded default) or ``s3://bucket/prefix?endpoint=…``
    (credentials from ``credentials`` or boto3's own chain, never from the URL)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        root = Path(unquote(parsed.path))
        root.mkdir(parents=True, exist_ok=True)
        return LocalBlobStore(root, archive_keys=archive_keys, encrypt=encrypt)
    if parsed.scheme == "s3":
        from genomdb.storage.s3 import create_s3_client, parse_s3_url
        from genomdb.storage.s3blobs import S3BlobStore

        location = parse_s3_url(url)
        client = create_s3_client(location, credentials)
        return S3BlobStore(
            location,
            client,
            staging_dir=staging_dir,
            archive_keys=archive_keys,
            encrypt=encrypt,
            credentials=credentials,
        )
    raise Unavailable(
        f"unsupported blob store URL scheme {parsed.scheme!r}: use file:///absolute/path or s3://bucket/prefix"
    )
