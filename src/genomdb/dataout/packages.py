"""Fetching a package: copy its parts to the recipient's folder, resuming interrupted copies, verifying each part.

A part is copied into ``NAME.partial`` and renamed to ``NAME`` only once its sha256 matches the package's record,
so a killed fetch leaves complete parts and at most one partial per part, from which the next fetch continues.
``package.json`` is written last: its presence in the target means the whole package arrived intact.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Resource
from genomdb.dataout.assembly import PACKAGE_FILE, PARTS_DIR, package_dir, read_package
from genomdb.dataout.records import FetchReport, PackagePart, RequestStatus
from genomdb.dataout.repository import DataOutRepository
from genomdb.errors import IntegrityError, NotFound, Unavailable
from genomdb.instance import Instance

CHUNK = 1 << 20
PARTIAL_SUFFIX = ".partial"
Progress = Callable[[str, int, int], None]
"""Called as ``progress(part name, bytes done, part size)``."""


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_part(
    source: Path, part: PackagePart, target_dir: Path, *, max_rate: float | None, progress: Progress | None
) -> tuple[bool, int]:
    """Copy one part, continuing a partial copy; returns (resumed, bytes copied now)."""
    final = target_dir / part.name
    partial = target_dir / (part.name + PARTIAL_SUFFIX)
    offset = partial.stat().st_size if partial.exists() else 0
    if offset > part.size:
        partial.unlink()
        offset = 0
    resumed = offset > 0
    digest = hashlib.sha256()
    if resumed:
        with partial.open("rb") as existing:
            while chunk := existing.read(4 << 20):
                digest.update(chunk)
    copied = 0
    started = time.monotonic()
    with source.open("rb") as reader, partial.open("ab") as writer:
        reader.seek(offset)
        while chunk := reader.read(CHUNK):
            writer.write(chunk)
            digest.update(chunk)
            copied += len(chunk)
            if progress is not None:
                progress(part.name, offset + copied, part.size)
            if max_rate:
                writer.flush()
                ahead = copied / max_rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        writer.flush()
        os.fsync(writer.fileno())
    if digest.hexdigest() != part.sha256 or offset + copied != part.size:
        partial.unlink()
        raise IntegrityError(f"part {part.name} arrived corrupt (sha256 or size differs from the package's record)")
    partial.replace(final)
    return resumed, copied


def fetch_package(
    instance: Instance,
    actor: Actor,
    request_id: str,
    target_dir: Path,
    *,
    max_rate: float | None = None,
    progress: Progress | None = None,
) -> FetchReport:
    """Copy a ready package's parts into ``target_dir`` (resuming, verifying each part's sha256)."""
    state = DataOutRepository(instance.db).request(request_id)
    owner = state.requester if state else None
    Policy(instance).require(actor, Action.FETCH_PACKAGE, Resource("request", request_id, owner=owner))
    if state is None:
        raise NotFound(f"no request {request_id}")
    if state.status == RequestStatus.WAITING:
        raise Unavailable(f"request {request_id} is waiting: {state.message}. Check `genomdb out status {request_id}`")
    if state.status != RequestStatus.READY:
        raise Unavailable(f"request {request_id} has no package: it is {state.status} ({state.message})")
    parts = read_package(instance, request_id)
    source_dir = package_dir(instance, request_id)
    target_dir.mkdir(parents=True, exist_ok=True)
    n_complete = n_resumed = bytes_copied = 0
    for part in parts:
        final = target_dir / part.name
        if final.exists() and final.stat().st_size == part.size and _sha256_of(final) == part.sha256:
            n_complete += 1
            continue
        final.unlink(missing_ok=True)
        source = source_dir / PARTS_DIR / part.name
        try:
            resumed, copied = _copy_part(source, part, target_dir, max_rate=max_rate, progress=progress)
        except IntegrityError:
            # a corrupt partial (or a bad transfer): start this part once more from its first byte
            resumed, copied = _copy_part(source, part, target_dir, max_rate=max_rate, progress=progress)
        n_resumed += int(resumed)
        bytes_copied += copied
    shutil.copyfile(source_dir / PACKAGE_FILE, target_dir / PACKAGE_FILE)
    return FetchReport(request_id, str(target_dir), len(parts), n_complete, n_resumed, bytes_copied)
