"""Uploads from a department's HPC: files sent to the store ahead of their submission, part by part, resumable.

The flow, the same from the CLI (``genomdb upload``, which sends the parts itself) and over REST (where the client
PUTs each part to a presigned URL of the object store, or to genomdb's own part endpoint on the local store):

1. **start** — a submitter of a department opens an upload of a file of a given size; genomdb records it
   (``ingest_uploads``) and opens it in the store's upload area (:mod:`genomdb.storage.uploads`);
2. **parts** — each part's MD5 is checked on arrival (``Content-MD5``, and the ETag the store answers);
3. **complete** — the part list the sender reports must be the file's parts exactly as the store holds them, and
   the whole file's sha256 is checked (the CLI computes it while it reads the file; over REST genomdb re-reads
   the finished upload before accepting the sha256 the client declares);
4. **submit** — a manifest names the file with ``uploaded: true`` and its sha256; ``genomdb submit`` stages the
   upload from the upload area, validates it like any file and stores it under its content address.

Until step 4's catalog transaction an upload is nobody's blob: invisible to every reader. Uploads begun longer
ago than ``Settings.upload_max_age_seconds`` are removed by ``genomdb store gc``, finished or not. Start,
part-URL requests, completion and abort are recorded in the audit log, refusals too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from genomdb.access.policy import Policy
from genomdb.access.records import Actor, AuditDraft, Role, Rule, Verdict
from genomdb.db.base import utcnow
from genomdb.errors import Forbidden, IntegrityError, InvalidInput, NotFound, Problem
from genomdb.ingest import repository
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.ingest.repository import UploadRecord
from genomdb.instance import Instance
from genomdb.privacy import contains_cpr, control_characters
from genomdb.storage.s3 import part_size_for
from genomdb.storage.uploads import (
    MIN_PART_BYTES,
    SentPart,
    UploadArea,
    check_part_list,
    create_upload_area,
    expected_parts,
    part_md5,
)

Via = Literal["cli", "api"]
PART_URL_SECONDS = 6 * 3600
"""How long a presigned part URL stays valid."""
MAX_PART_BYTES = 5 * 1024**3
MAX_FILE_BYTES = 5 * 1024**4
SEND_CONCURRENCY = 3
"""Parts in flight at once when ``genomdb upload`` sends a file: memory is about this many parts plus one."""


@dataclass(frozen=True, slots=True)
class PartTarget:
    """Where a client sends one part: a presigned URL of the object store, or None (genomdb's own endpoint)."""

    number: int
    size: int
    url: str | None


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What ``genomdb upload`` did for one file."""

    upload_id: str
    file_name: str
    sha256: str
    size: int
    n_parts: int
    n_parts_sent: int
    n_parts_verified: int
    """Parts an earlier, interrupted run had sent: re-read, checked against the store, not sent again."""


def area_of(instance: Instance) -> UploadArea:
    return create_upload_area(instance.blobs)


def _audit(actor: Actor, action: str, upload_id: str, *, allowed: bool, via: Via, **detail: str) -> AuditDraft:
    rule = Rule.OWN_DEPARTMENT if allowed else Rule.OWN_DEPARTMENT_ONLY
    return AuditDraft(
        actor=actor.username,
        actor_role=actor.role.value,
        actor_department=actor.department,
        action=action,
        resource_kind="upload",
        resource_id=upload_id,
        person=None,
        decision=(Verdict.ALLOWED if allowed else Verdict.REFUSED).value,
        rule=rule.value,
        grant_id=None,
        legal_basis="submission: a department hands in its own sequencing data" if allowed else None,
        detail={"via": via, **detail},
    )


def _require_submitter(instance: Instance, actor: Actor, action: str, upload_id: str, *, via: Via) -> str:
    if actor.role != Role.SUBMITTER or not actor.department:
        Policy(instance).audit.append([_audit(actor, action, upload_id, allowed=False, via=via)])
        raise Forbidden(
            f"uploads are sent by a department's submitters; {actor.username} is a {actor.role}. To upload: act as "
            "a submitter of your department (--as USER)"
        )
    return actor.department


def own_upload(
    instance: Instance, actor: Actor, upload_id: str, action: str = "upload-part", *, via: Via
) -> UploadRecord:
    """The upload when it is the actor's department's; an unknown id and another department's get one refusal."""
    department = _require_submitter(instance, actor, action, upload_id, via=via)
    record = repository.upload(instance.db, upload_id)
    if record is None or record.department_code != department:
        Policy(instance).audit.append([_audit(actor, action, upload_id, allowed=False, via=via)])
        raise NotFound(f"no upload {upload_id} of department {department}")
    return record


def _require_open(record: UploadRecord) -> str:
    if record.state != "open" or record.handle is None:
        raise InvalidInput(
            f"upload {record.upload_id} is {record.state}, not open",
            [Problem(record.upload_id, f"the upload is {record.state}", field="state", expected="open")],
        )
    return record.handle


def _file_name_problems(file_name: str) -> list[Problem]:
    expected = "a file name (no folder), 1 to 255 printable characters, without personal identifiers"
    if not file_name or len(file_name) > 255 or "/" in file_name or "\\" in file_name or file_name in (".", ".."):
        return [Problem("upload", "unusable file name", field="file_name", expected=expected)]
    if control_characters(file_name) or contains_cpr(file_name):
        return [Problem("upload", "the file name holds a control character or a CPR-like number", field="file_name")]
    return []


def start_upload(
    instance: Instance, actor: Actor, *, file_name: str, size: int, part_size: int | None = None, via: Via
) -> UploadRecord:
    """Open an upload of ``size`` bytes for the actor's department (a submitter's)."""
    upload_id = f"UPL-{uuid.uuid4().hex}"
    department = _require_submitter(instance, actor, "upload-start", upload_id, via=via)
    chosen = part_size or part_size_for(size)
    problems = _file_name_problems(file_name)
    if not 0 < size <= MAX_FILE_BYTES:
        problems.append(Problem("upload", "unusable size", field="size", expected=f"1 to {MAX_FILE_BYTES:,} bytes"))
    if not MIN_PART_BYTES <= chosen <= MAX_PART_BYTES or len(expected_parts(size, chosen)) > 10_000:
        problems.append(
            Problem(
                "upload",
                "unusable part size",
                field="part_size",
                expected=f"{MIN_PART_BYTES:,} to {MAX_PART_BYTES:,} bytes, at most 10,000 parts",
                found=str(chosen),
            )
        )
    if problems:
        raise InvalidInput("cannot start the upload", problems)
    record = repository.add_upload(
        instance.db, upload_id, department_code=department, username=actor.username, file_name=file_name,
        size=size, part_size=chosen,
    )  # fmt: skip
    handle = area_of(instance).begin(upload_id)
    repository.set_handle(instance.db, upload_id, handle)
    Policy(instance).audit.append(
        [_audit(actor, "upload-start", upload_id, allowed=True, via=via, file=file_name, size=str(size))]
    )
    return repository.upload(instance.db, upload_id) or record


def upload_status(instance: Instance, actor: Actor, upload_id: str, *, via: Via) -> tuple[UploadRecord, list[SentPart]]:
    """An upload and the parts the store holds of it (what a resuming client need not send again)."""
    record = own_upload(instance, actor, upload_id, "upload-status", via=via)
    if record.state != "open" or record.handle is None:
        return record, []
    held = area_of(instance).sent_parts(upload_id, record.handle)
    return record, [held[n] for n in sorted(held)]


def part_targets(
    instance: Instance, actor: Actor, upload_id: str, numbers: Iterable[int], *, via: Via
) -> list[PartTarget]:
    """Where to send the given parts: presigned URLs on S3, or None for genomdb's own part endpoint."""
    record = own_upload(instance, actor, upload_id, "upload-part-urls", via=via)
    handle = _require_open(record)
    sizes = dict(expected_parts(record.size, record.part_size))
    wanted = sorted(set(numbers))
    unknown = [n for n in wanted if n not in sizes]
    if unknown or not wanted:
        raise InvalidInput(
            f"upload {upload_id} has parts 1 to {len(sizes)}",
            [Problem(upload_id, "no such part", field="numbers", expected=f"1 to {len(sizes)}", found=str(unknown))],
        )
    area = area_of(instance)
    targets = [
        PartTarget(n, sizes[n], area.part_url(upload_id, handle, n, expires_seconds=PART_URL_SECONDS)) for n in wanted
    ]
    Policy(instance).audit.append(
        [_audit(actor, "upload-part-urls", upload_id, allowed=True, via=via, parts=f"{wanted[0]}-{wanted[-1]}")]
    )
    return targets


def receive_part(
    instance: Instance, actor: Actor, upload_id: str, number: int, data: bytes, *, content_md5: str | None, via: Via
) -> SentPart:
    """A part sent to genomdb itself (the local store's part endpoint): checked against its size and MD5."""
    record = own_upload(instance, actor, upload_id, "upload-part", via=via)
    handle = _require_open(record)
    sizes = dict(expected_parts(record.size, record.part_size))
    problems = []
    if number not in sizes:
        problems.append(Problem(upload_id, "no such part", field="number", expected=f"1 to {len(sizes)}"))
    elif len(data) != sizes[number]:
        problems.append(
            Problem(
                upload_id,
                "part has the wrong size",
                location=f"part {number}",
                expected=str(sizes[number]),
                found=str(len(data)),
            )
        )
    md5 = part_md5(data)
    if content_md5 is not None and content_md5 != md5:
        problems.append(Problem(upload_id, "part arrived damaged", location=f"part {number}", field="Content-MD5"))
    if problems:
        raise InvalidInput(f"part {number} of upload {upload_id} refused", problems)
    return area_of(instance).send_part(upload_id, handle, number, data, offset=(number - 1) * record.part_size)


def complete_upload(
    instance: Instance,
    actor: Actor,
    upload_id: str,
    *,
    sha256: str,
    parts: list[SentPart],
    via: Via,
    verify_content: bool = True,
) -> UploadRecord:
    """Finish an upload: the part list must match what the store holds; with ``verify_content`` genomdb re-reads
    the finished file and its sha256 must be the declared one (else the upload is removed)."""
    record = own_upload(instance, actor, upload_id, "upload-complete", via=via)
    handle = _require_open(record)
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InvalidInput(
            "not a sha256", [Problem(upload_id, "not a sha256", field="sha256", expected="64 lower-case hex digits")]
        )
    area = area_of(instance)
    held = area.sent_parts(upload_id, handle)
    check_part_list(upload_id, size=record.size, part_size=record.part_size, claimed=parts, held=held)
    area.complete(
        upload_id, handle, [held[n] for n, _ in expected_parts(record.size, record.part_size)], size=record.size
    )
    if verify_content:
        digest = hashlib.sha256()
        with area.open(upload_id) as source:
            while chunk := source.read(4 << 20):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            area.abort(upload_id, handle)
            repository.set_state(instance.db, upload_id, "aborted")
            Policy(instance).audit.append(
                [_audit(actor, "upload-complete", upload_id, allowed=True, via=via, outcome="sha256 mismatch")]
            )
            raise InvalidInput(
                f"upload {upload_id} was removed: its content does not hash to the declared sha256; send it again",
                [
                    Problem(
                        upload_id,
                        "whole file",
                        field="sha256",
                        expected=sha256,
                        found=f"hashes to {digest.hexdigest()}",
                    )
                ],
            )
    repository.set_state(instance.db, upload_id, "complete", sha256=sha256)
    Policy(instance).audit.append([_audit(actor, "upload-complete", upload_id, allowed=True, via=via, sha256=sha256)])
    done = repository.upload(instance.db, upload_id)
    assert done is not None
    return done


def abort_upload(instance: Instance, actor: Actor, upload_id: str, *, via: Via) -> None:
    """Cancel an upload that is not yet submitted; nothing of it remains in the store."""
    record = own_upload(instance, actor, upload_id, "upload-abort", via=via)
    if record.state not in repository.LIVE_STATES:
        raise InvalidInput(
            f"upload {upload_id} is {record.state}",
            [Problem(upload_id, f"the upload is {record.state}", field="state", expected="open or complete")],
        )
    area_of(instance).abort(upload_id, record.handle)
    repository.set_state(instance.db, upload_id, "aborted")
    Policy(instance).audit.append([_audit(actor, "upload-abort", upload_id, allowed=True, via=via)])


def department_uploads(instance: Instance, actor: Actor, *, via: Via) -> list[UploadRecord]:
    """The actor's department's uploads, newest first."""
    department = _require_submitter(instance, actor, "upload-list", "*", via=via)
    return repository.department_uploads(instance.db, department)


# --- used by the submission and by store gc --------------------------------------------------------------------


def adoptable_uploads(instance: Instance, department_code: str, sha256s: Iterable[str]) -> dict[str, UploadRecord]:
    """The department's completed uploads that a manifest may name by sha256."""
    return repository.completed_uploads(instance.db, department_code, sha256s)


def mark_submitted(instance: Instance, adopted: Iterable[UploadRecord], submission_id: str) -> None:
    """After the submission's transaction: the uploads are blobs now; their copies in the upload area go."""
    area = area_of(instance)
    for record in adopted:
        repository.set_state(instance.db, record.upload_id, "submitted", submission_id=submission_id)
        area.abort(record.upload_id, None)


def collect_abandoned_uploads(instance: Instance, *, older_than_seconds: float) -> int:
    """Expire uploads begun before the cutoff and remove them (and anything else that old) from the upload area;
    return how many objects or folders were removed."""
    import datetime as dt

    begun_before = utcnow() - dt.timedelta(seconds=older_than_seconds)
    area = area_of(instance)
    expired = repository.expire_uploads(instance.db, begun_before=begun_before)
    for record in expired:
        area.abort(record.upload_id, record.handle)
    return len(expired) + area.sweep(older_than_seconds=older_than_seconds)  # the sweep finds what no record names


# --- the sender (genomdb upload) -------------------------------------------------------------------------------


def _resume_path(resume_dir: Path, instance: Instance, path: Path, size: int, mtime_ns: int) -> Path:
    key = f"{path.resolve()}\0{size}\0{mtime_ns}\0{instance.blobs.url}"
    return resume_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _save(record_path: Path, state: dict[str, Any]) -> None:
    temp = record_path.with_suffix(".tmp")
    temp.write_text(json.dumps(state))
    temp.replace(record_path)


def send_file(
    instance: Instance,
    actor: Actor,
    path: Path,
    *,
    resume_dir: Path,
    progress: ProgressSink | None = None,
    part_size: int | None = None,
    concurrency: int = SEND_CONCURRENCY,
) -> SendOutcome:
    """Upload one local file into the upload area, resuming an interrupted upload of the same file.

    The file is read once, in parts: each part's MD5 and the whole file's sha256 are computed on the way, up to
    ``concurrency`` parts are in flight, and a resume record (upload id, part size, each part's MD5) is updated as
    parts arrive. A rerun re-reads the parts the record names and skips those the store holds with the same MD5.
    """
    progress = progress or SilentProgress()
    stat = path.stat()
    resume_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    record_path = _resume_path(resume_dir, instance, path, stat.st_size, stat.st_mtime_ns)
    held: dict[int, SentPart] = {}
    state: dict[str, Any] | None = None
    if record_path.exists():
        state = json.loads(record_path.read_text())
        try:
            found, parts = upload_status(instance, actor, str(state["upload_id"]), via="cli")
        except NotFound:
            found, parts = None, []
        if found is None or found.state != "open" or found.handle is None:
            state = None
        else:
            held = {p.number: p for p in parts}
    if state is None:
        record = start_upload(instance, actor, file_name=path.name, size=stat.st_size, part_size=part_size, via="cli")
        state = {"upload_id": record.upload_id, "part_size": record.part_size, "parts": {}}
        _save(record_path, state)
    upload_id, chosen = str(state["upload_id"]), int(state["part_size"])
    found_record = repository.upload(instance.db, upload_id)
    assert found_record is not None and found_record.handle is not None
    handle = found_record.handle
    area = area_of(instance)
    recorded: dict[str, str] = state["parts"]
    whole = hashlib.sha256()
    sent: dict[int, SentPart] = {}
    n_verified = 0
    pending: dict[Future[SentPart], int] = {}

    def collect(until: int) -> None:
        while len(pending) > until:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                part = future.result()
                sent[part.number] = part
                recorded[str(part.number)] = part.md5
                _save(record_path, state)
                progress.advance(part.size)

    progress.begin(f"uploading {path.name}", stat.st_size)
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="upload-part") as pool, path.open("rb") as source:
        try:
            for number, part_bytes in expected_parts(stat.st_size, chosen):
                data = source.read(part_bytes)
                if len(data) != part_bytes:
                    raise IntegrityError(f"{path} changed while it was uploaded (part {number} is short)")
                whole.update(data)
                previous, stored = recorded.get(str(number)), held.get(number)
                if (
                    previous is not None
                    and stored is not None
                    and stored.size == part_bytes
                    and part_md5(data) == previous == stored.md5
                ):
                    sent[number] = stored
                    n_verified += 1
                    progress.advance(part_bytes, note="verified")
                    continue
                collect(until=max(1, concurrency) - 1)
                offset = (number - 1) * chosen
                pending[pool.submit(area.send_part, upload_id, handle, number, data, offset=offset)] = number
                del data
            collect(until=0)
        finally:
            for future in pending:
                future.cancel()
            progress.end()
    os_stat = path.stat()
    if os_stat.st_mtime_ns != stat.st_mtime_ns or os_stat.st_size != stat.st_size:
        raise IntegrityError(f"{path} changed while it was uploaded; upload it again")
    sha256 = whole.hexdigest()
    complete_upload(
        instance,
        actor,
        upload_id,
        sha256=sha256,
        parts=[sent[n] for n in sorted(sent)],
        via="cli",
        verify_content=False,
    )
    record_path.unlink(missing_ok=True)
    n_parts = len(expected_parts(stat.st_size, chosen))
    return SendOutcome(upload_id, path.name, sha256, stat.st_size, n_parts, n_parts - n_verified, n_verified)
