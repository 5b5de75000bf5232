"""Content checksums (sha256 and md5) computed in one pass, optionally while copying the file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_CHUNK_SIZE = 4 << 20


def stream_checksums(path: Path, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> tuple[str, str, int]:
    """The (sha256, md5, size in bytes) of a file, read once in chunks."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as source:
        while n := source.readinto(buffer):
            chunk = view[:n]
            sha256.update(chunk)
            md5.update(chunk)
            size += n
    return sha256.hexdigest(), md5.hexdigest(), size


def copy_with_checksums(
    src: Path, dst: Path, *, chunk_size: int = DEFAULT_CHUNK_SIZE, durable: bool = True
) -> tuple[str, str, int]:
    """Copy ``src`` to ``dst`` (created or truncated, then fsynced) and return the (sha256, md5, size) of the
    bytes written, from a single read of the source. Renaming ``dst`` into place is the caller's step.

    With ``durable`` off the copy is not fsynced: the caller must :func:`fsync_path` it before renaming it into
    place (so that it can overlap the wait for the disk with other work)."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with src.open("rb", buffering=0) as source, dst.open("wb", buffering=0) as target:
        while n := source.readinto(buffer):
            chunk = view[:n]
            sha256.update(chunk)
            md5.update(chunk)
            written = 0
            while written < n:
                written += target.write(chunk[written:])
            size += n
        if durable:
            os.fsync(target.fileno())
    return sha256.hexdigest(), md5.hexdigest(), size


def fsync_path(path: Path) -> None:
    """Wait until a file's data, or a folder's entries, are on disk (any descriptor of it flushes it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
