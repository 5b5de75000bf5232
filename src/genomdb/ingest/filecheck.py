"""Staging and validation of a submission's files, on worker processes when there is enough to check.

Kept apart from :mod:`genomdb.ingest.submit` so that the fork server of the validation workers imports only what
a worker runs (validators, blob staging), not the catalog, the access policy and SQLAlchemy: the fork server of a
``genomdb submit`` is ready in 0.31 s instead of 0.53 s here.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from genomdb.ingest.validators import validate_file
from genomdb.ingest.validators.base import FileExpectation, FileReport
from genomdb.ingest.workers import WORKER_MODULES
from genomdb.storage.blobs import BlobStore, StagedBlob
from genomdb.storage.checksums import fsync_path
from genomdb.storage.uploads import create_upload_area
from genomdb.worker_pool import worker_pool

INDEX_SUFFIXES = (".tbi", ".csi", ".bai", ".crai")
PARALLEL_FROM_FILES = 8
MAX_FILES_PER_TASK = 8
SMALL_FILE_BYTES = 8 << 20


@functools.cache
def _syncer() -> ThreadPoolExecutor:
    """The thread that fsyncs staged copies while they are validated: one per process and kept, rather than one
    started and joined for every file."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsync")


@dataclass(frozen=True, slots=True)
class FileJob:
    file_id: str
    source: Path | None
    expectation: FileExpectation
    upload_id: str | None = None
    """set for a file sent beforehand with ``genomdb upload``: staged from the upload area"""
    upload_name: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedFile:
    file_id: str
    blob: StagedBlob
    report: FileReport
    index: tuple[StagedBlob, str] | None


def _stage_and_validate(job: FileJob, blobs: BlobStore, workspace: Path) -> CheckedFile:
    """Copy one file into staging (checksumming it on the way) and validate the staged copy.

    A local file's copy reaches the disk (fsync) on a second thread while it is validated, and the index submitted
    beside it is staged there too: the waits for the disk overlap the validation instead of adding to it, and
    both copies are still durable before they are committed. The staged index is used when the validator keeps
    that index (it may build one instead, or find the file invalid).
    """
    beside: tuple[Path, Future[StagedBlob]] | None = None
    if job.upload_id is not None:
        blob = create_upload_area(blobs).stage(job.upload_id, workspace, name=job.upload_name or job.file_id)
        report = validate_file(blob.path, job.expectation, work_dir=workspace)
    else:
        assert job.source is not None
        blob = blobs.stage(job.source, workspace, name=job.source.name, durable=False)
        synced = _syncer().submit(fsync_path, blob.path)
        for suffix in INDEX_SUFFIXES:
            index_beside = Path(f"{job.source}{suffix}")
            if index_beside.is_file():
                Path(f"{blob.path}{suffix}").symlink_to(index_beside)
                if beside is None:
                    found = index_beside.resolve()
                    beside = (found, _syncer().submit(blobs.stage, found, workspace, name=found.name))
        try:
            report = validate_file(blob.path, job.expectation, work_dir=workspace)
        finally:
            synced.result()
            if beside is not None:
                wait([beside[1]])
    index = None
    if report.index_path is not None:
        index_path = report.index_path.resolve()
        staged = (
            beside[1].result()
            if beside is not None and beside[0] == index_path
            else blobs.stage(index_path, workspace, name=index_path.name)
        )
        index = (staged, index_path.suffix.lstrip("."))
    return CheckedFile(job.file_id, blob, report, index)


def check_files(jobs: list[FileJob], blobs: BlobStore, workspace: Path, *, workers: int) -> Iterator[CheckedFile]:
    """Stage and validate files, on several cores when there are enough files to pay for the processes."""
    n_workers = min(workers or os.cpu_count() or 1, len(jobs))
    if n_workers <= 1 or len(jobs) < PARALLEL_FROM_FILES:
        for job in jobs:
            yield _stage_and_validate(job, blobs, workspace)
        return
    # forkserver, not fork: the parent may hold threads (progress bars, database pools) whose locks a fork copies
    with worker_pool(n_workers, preload=WORKER_MODULES) as pool:
        # small files go a few per task (one round trip to a worker costs about as much as checking a small
        # file); large ones one at a time, so that progress and the balance between workers stay file by file
        small = all(job.source is not None and job.source.stat().st_size < SMALL_FILE_BYTES for job in jobs)
        per_task = max(1, min(MAX_FILES_PER_TASK, len(jobs) // (4 * n_workers))) if small else 1
        yield from pool.map(_stage_and_validate, jobs, repeat(blobs), repeat(workspace), chunksize=per_task)
