"""crypt4gh for deliveries: seal a plaintext for a recipient, or re-seal an archive-encrypted blob by rewriting only
its header, and read plaintext byte ranges of a sealed file without decrypting all of it.

The archive's secret key never leaves the server: a delivery carries a header that only the recipient's key opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from genomdb.errors import IntegrityError
from genomdb.storage.envelope import ArchiveKeys

SEGMENT_SIZE = 65536
CIPHER_OVERHEAD = 28
CIPHER_SEGMENT_SIZE = SEGMENT_SIZE + CIPHER_OVERHEAD
COPY_CHUNK = 4 << 20


class _HashingWriter(io.RawIOBase):
    """A write-only stream that counts and hashes what passes through on its way to a file."""

    def __init__(self, target: BinaryIO) -> None:
        super().__init__()
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data)
        self.sha256.update(view)
        self.size += len(view)
        self._target.write(view)
        return len(view)


class SealedPart:
    """An encrypted part being written: ``target`` appears only when :meth:`finish` succeeds."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._temp = target.with_name(target.name + ".tmp")
        self._handle = self._temp.open("wb")
        self.writer = _HashingWriter(self._handle)

    def finish(self) -> tuple[str, int]:
        """Flush, fsync and move into place; returns (sha256, size) of the encrypted bytes."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._temp.replace(self.target)
        return self.writer.sha256.hexdigest(), self.writer.size

    def abandon(self) -> None:
        self._handle.close()
        self._temp.unlink(missing_ok=True)


def seal_for_recipient(source: BinaryIO, target: Path, *, sender: ArchiveKeys, recipient: bytes) -> tuple[str, int]:
    """Encrypt a plaintext stream for the recipient's public key; returns (sha256, size) of the part written."""
    from crypt4gh import lib

    part = SealedPart(target)
    try:
        lib.encrypt([(0, sender.secret_key, recipient)], source, part.writer)
    except BaseException:
        part.abandon()
        raise
    return part.finish()


def reseal_for_recipient(sealed: BinaryIO, target: Path, *, keys: ArchiveKeys, recipient: bytes) -> tuple[str, int]:
    """Re-encrypt only the header of an archive-sealed stream for the recipient; the body is copied unchanged."""
    from crypt4gh import header

    part = SealedPart(target)
    try:
        with _quiet_crypt4gh():
            packets = header.parse(sealed)
            resealed = header.reencrypt(
                packets, [(0, keys.secret_key, None)], [(0, keys.secret_key, recipient)], trim=True
            )
        part.writer.write(header.serialize(resealed))
        while chunk := sealed.read(COPY_CHUNK):
            part.writer.write(chunk)
    except ValueError as exc:
        part.abandon()
        raise IntegrityError(f"a stored blob's crypt4gh header cannot be opened with the archive key: {exc}") from None
    except BaseException:
        part.abandon()
        raise
    return part.finish()


def decrypt_for_recipient(source: BinaryIO, target: BinaryIO, *, secret_key: bytes) -> None:
    """Decrypt a delivered part with the recipient's secret key (what a recipient's tooling does)."""
    from crypt4gh import lib

    lib.decrypt([(0, secret_key, None)], source, target)


@contextlib.contextmanager
def _quiet_crypt4gh() -> Iterator[None]:
    """crypt4gh logs an error for every packet it cannot open (other recipients' packets): expected here."""
    logger = logging.getLogger("crypt4gh")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


class RangeReader(Protocol):
    """Random access to the plaintext of a stored file."""

    size: int

    def read_at(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class PlainRangeReader:
    """Byte ranges of a plaintext file."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self._fd).st_size

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        chunks = []
        while length > 0:
            chunk = os.pread(self._fd, min(length, COPY_CHUNK), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        os.close(self._fd)


class SealedRangeReader:
    """Byte ranges of the plaintext of a crypt4gh file, decrypting only the 64 KiB segments they touch."""

    def __init__(self, source: Path | BinaryIO, keys: ArchiveKeys, *, size: int | None = None) -> None:
        """``source``: the sealed file, or an open seekable stream of it whose total ``size`` is given."""
        from crypt4gh import header

        self._handle: BinaryIO = source.open("rb") if isinstance(source, Path) else source
        name = source.name if isinstance(source, Path) else "sealed blob"
        try:
            with _quiet_crypt4gh():
                self._session_keys, edit_list = header.deconstruct(self._handle, [(0, keys.secret_key, None)])
        except ValueError as exc:
            self._handle.close()
            raise IntegrityError(f"{name}: the crypt4gh header cannot be opened with the archive key: {exc}") from None
        if edit_list is not None:
            self._handle.close()
            raise IntegrityError(f"{name}: stored blobs never carry a crypt4gh edit list")
        self._body_start = self._handle.tell()
        total = os.fstat(self._handle.fileno()).st_size if size is None else size
        body = total - self._body_start
        n_full, rest = divmod(body, CIPHER_SEGMENT_SIZE)
        self.size = n_full * SEGMENT_SIZE + max(0, rest - CIPHER_OVERHEAD)
        self._cache: tuple[int, bytes] | None = None

    def _segment(self, index: int) -> bytes:
        from crypt4gh.lib import decrypt_block

        if self._cache is not None and self._cache[0] == index:
            return self._cache[1]
        self._handle.seek(self._body_start + index * CIPHER_SEGMENT_SIZE)
        cipher = self._handle.read(CIPHER_SEGMENT_SIZE)
        plain = bytearray(SEGMENT_SIZE)
        with _quiet_crypt4gh():
            try:
                n = decrypt_block(plain, cipher, self._session_keys)
            except ValueError:
                raise IntegrityError(f"segment {index} of a sealed blob fails authentication") from None
        data = bytes(plain[:n])
        self._cache = (index, data)
        return data

    def read_at(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self.size)
        chunks = []
        while offset < end:
            index, within = divmod(offset, SEGMENT_SIZE)
            segment = self._segment(index)
            piece = segment[within : within + (end - offset)]
            if not piece:
                break
            chunks.append(piece)
            offset += len(piece)
        return b"".join(chunks)

    def close(self) -> None:
        self._handle.close()
