"""Submissions through the service: upload (the same data-in path and report as ``genomdb submit``), list, show.

A submitter submits, corrects and reads its own department's submissions; a data steward reads every
department's. The upload is written to a private folder inside the instance home, submitted from there exactly
as the CLI submits a manifest folder, and removed afterwards whatever happened.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import BinaryIO, Protocol

from genomdb.access import catalog_reads
from genomdb.access.data_in import require_submit
from genomdb.access.records import Actor
from genomdb.api.context import Caller, ServiceContext
from genomdb.api.limits import RequestTooLarge
from genomdb.errors import Forbidden, InvalidInput, Problem
from genomdb.ingest.manifest import declared_department
from genomdb.ingest.submit import submit_manifest
from genomdb.model.catalog import Submission, SubmissionListing
from genomdb.model.submission import SubmissionOutcome

UPLOADS_DIR = "uploads"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_COPY_CHUNK = 1 << 20


class Upload(Protocol):
    """One uploaded file: the name the client gave it (a relative path) and its content."""

    @property
    def filename(self) -> str | None: ...

    @property
    def file(self) -> BinaryIO: ...


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Forbidden("submissions are read by their department's submitters and by data stewards")
    return caller.actor


def list_submissions(
    context: ServiceContext, caller: Caller, *, department: str | None = None, limit: int = 1000
) -> list[SubmissionListing]:
    """A steward's view of every department's submissions, or a submitter's of its own department's."""
    return catalog_reads.list_submissions(context.instance, _actor(caller), department=department, limit=limit)


def show_submission(context: ServiceContext, caller: Caller, submission_id: str) -> Submission:
    """A submission with every version (and its report) and every event; an unknown id and another department's
    get the same refusal."""
    return catalog_reads.show_submission(context.instance, _actor(caller), submission_id, via="api")


def _relative_path(name: str | None, what: str) -> PurePosixPath:
    path = PurePosixPath((name or "").replace("\\", "/"))
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts) or not path.parts:
        raise InvalidInput(
            f"unusable {what} name {name!r}",
            [
                Problem(
                    "upload",
                    f"the {what} needs a relative file name inside the manifest's folder",
                    field="filename",
                    expected="e.g. sample1.g.vcf.gz or reads/sample1_R1.fastq.gz",
                    found=name or "(none)",
                )
            ],
        )
    return path


def upload_submission(
    context: ServiceContext,
    caller: Caller,
    manifest: Upload,
    files: Sequence[Upload],
    *,
    corrects: str | None = None,
    reason: str | None = None,
) -> SubmissionOutcome:
    """Submit an uploaded manifest and its files for the caller's department (SubmissionRejected with the report)."""
    actor = caller.actor
    if actor is None:
        raise Forbidden("only a department's submitters submit")
    manifest_name = _relative_path(manifest.filename, "manifest")
    if manifest_name.suffix.lower() not in MANIFEST_SUFFIXES or len(manifest_name.parts) != 1:
        raise InvalidInput(
            "the manifest must be a YAML or JSON file",
            [Problem("upload", "not a manifest file name", field="manifest", expected="NAME.yaml or NAME.json")],
        )
    home = context.instance.settings.resolved_home()
    folder = home / UPLOADS_DIR / f"upload-{uuid.uuid4().hex}"
    folder.mkdir(parents=True, mode=0o700)
    try:
        budget = context.settings.max_upload_bytes
        names: set[PurePosixPath] = set()
        for upload, relative in [(manifest, manifest_name)] + [(f, _relative_path(f.filename, "file")) for f in files]:
            if relative in names:
                raise InvalidInput(
                    f"{relative} was uploaded twice", [Problem("upload", "duplicate file name", found=str(relative))]
                )
            names.add(relative)
            target = folder.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                while chunk := upload.file.read(_COPY_CHUNK):
                    budget -= len(chunk)
                    if budget < 0:
                        raise RequestTooLarge("the upload", limit=f"{context.settings.max_upload_bytes:,} bytes")
                    out.write(chunk)
        manifest_path = folder / manifest_name.name
        named = declared_department(manifest_path, max_bytes=context.instance.settings.manifest_max_bytes)
        require_submit(context.instance, actor, named, corrects=corrects, via="api")
        return submit_manifest(context.instance, manifest_path, corrects=corrects, reason=reason)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
