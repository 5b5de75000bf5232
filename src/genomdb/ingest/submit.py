"""Data-in: stage → verify → commit.

1. parse the manifest and check it against itself and the catalog;
2. copy every file into the store's staging area, computing checksums on the way, and validate the copy;
3. if anything is wrong, record the rejection with its full report and leave everything else unchanged;
4. otherwise move the blobs into place, then register everything in one catalog transaction.

A crash before step 4's transaction commits leaves only unregistered blobs, which ``genomdb store gc`` removes.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from genomdb.errors import InvalidInput, Problem
from genomdb.ingest.checks import ManifestFacts, check_manifest
from genomdb.ingest.filecheck import FileJob, check_files
from genomdb.ingest.manifest import Manifest, declared_department, parse_manifest
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.ingest.uploads import adoptable_uploads, area_of, mark_submitted
from genomdb.ingest.validators.base import FileExpectation, FileReport
from genomdb.ingest.validators.fastq import check_mates
from genomdb.instance import Instance
from genomdb.model.submission import (
    NewAnalysis,
    NewBlob,
    NewFile,
    NewPerson,
    NewRun,
    NewSample,
    SubmissionOutcome,
    SubmissionPlan,
)
from genomdb.privacy import control_characters, redact, redact_value
from genomdb.pseudonyms import PersonIdentity
from genomdb.refdata import KNOWN_BUILDS
from genomdb.storage.blobs import BlobStore, LocalBlobStore, StagedBlob


class SubmissionRejected(InvalidInput):
    """The submission was rejected as a whole; the rejection and its report are in the catalog."""

    def __init__(self, submission_id: str, message: str, problems: list[Problem]) -> None:
        super().__init__(message, problems)
        self.submission_id = submission_id


def _stored_manifest(manifest: Manifest, facts: ManifestFacts) -> dict[str, Any]:
    """The manifest as kept in the catalog: CPR numbers replaced by pseudonyms."""
    data = manifest.model_dump(mode="json", exclude={"individuals": {"__all__": {"cpr"}}})
    for individual in data["individuals"]:
        identity = facts.identities.get(individual["id"])
        if isinstance(identity, PersonIdentity):
            individual["pseudonym"] = identity.pseudonym
    return data


def _content_digest(stored: dict[str, Any]) -> str:
    """Identity of a submission's content: its metadata and file checksums, not where the files lay."""
    canonical = json.loads(json.dumps(stored))
    canonical.pop("title", None)
    for entry in canonical["files"]:
        entry.pop("path", None)
        entry.pop("uploaded", None)
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _expectation(manifest: Manifest, instance: Instance, facts: ManifestFacts, file_id: str) -> FileExpectation:
    entry = next(f for f in manifest.files if f.id == file_id)
    runs = {r.id: r for r in manifest.runs}
    run = runs.get(entry.run) if entry.run else None
    if run is None:
        # an analysis output: take the platform from the runs of the same samples, when unambiguous
        sample_ids = set(facts.file_samples.get(file_id, ()))
        platforms = {r.platform for r in manifest.runs if r.sample in sample_ids}
        run = next((r for r in manifest.runs if r.sample in sample_ids), None) if len(platforms) == 1 else None
    build = facts.file_build.get(file_id)
    return FileExpectation(
        file_id=file_id,
        display_name=entry.path or entry.id,
        format=entry.format,
        sample_ids=facts.file_samples.get(file_id, ()),
        reference_build=build,
        reference_fasta=instance.reference_fasta(build) if build else None,
        other_references=tuple(
            (other, fasta)
            for other in KNOWN_BUILDS
            if other != build and (fasta := instance.reference_fasta(other)) is not None
        ),
        platform=run.platform if run else None,
        read_type=run.read_type if run else None,
    )


def _checksum_problems(entry_path: str, declared: Any, staged: StagedBlob) -> list[Problem]:
    problems = []
    for field_name, found in (("sha256", staged.sha256), ("md5", staged.md5), ("size", staged.size)):
        expected = getattr(declared, field_name)
        if expected is not None and expected != found:
            problems.append(
                Problem(
                    entry_path,
                    f"{field_name} does not match the manifest",
                    location="whole file",
                    field=field_name,
                    expected=str(expected),
                    found=str(found),
                )
            )
    return problems


def submit_manifest(
    instance: Instance,
    manifest_path: Path,
    *,
    corrects: str | None = None,
    reason: str | None = None,
    progress: ProgressSink | None = None,
) -> SubmissionOutcome:
    """Validate and store a submission (or a correction of one); raise SubmissionRejected with the report."""
    progress = progress or SilentProgress()
    catalog = instance.catalog
    name = str(manifest_path)

    def reject(department_code: str, problems: list[Problem]) -> SubmissionRejected:
        # the last line of defence of the CPR guard: nothing stored with a rejection carries a CPR-like number
        problems = [Problem(**redact_value(p.to_dict())) for p in problems]
        outcome = catalog.record_rejected(
            department_code=redact(department_code),
            manifest_name=redact(name),
            report=[p.to_dict() for p in problems],
            corrects=corrects if corrects and corrected_exists else None,
            reason=redact(reason) if reason is not None else None,
        )
        what = "correction" if corrects else "submission"
        return SubmissionRejected(
            outcome.submission_id,
            f"{what} {outcome.submission_id} rejected: {len(problems)} problem(s); nothing was stored",
            problems,
        )

    corrected_exists = False
    problems: list[Problem] = []
    settings = instance.settings
    if reason is not None:
        _check_reason(reason, name, max_chars=settings.max_text_chars)
    if corrects:
        if not reason:
            raise InvalidInput(
                "a correction needs a reason",
                [Problem(name, "no reason given", field="--reason", expected="why the submission is corrected")],
            )
        corrected_department, _status = catalog.submission_department(corrects)
        corrected_exists = True

    try:
        manifest = parse_manifest(
            manifest_path, max_bytes=settings.manifest_max_bytes, max_text_chars=settings.max_text_chars
        )
    except InvalidInput as exc:
        department_named = declared_department(manifest_path, max_bytes=settings.manifest_max_bytes)
        raise reject(department_named or "unknown", list(exc.problems)) from None

    department = manifest.submitter.department
    if catalog.department(department) is None:
        known = ", ".join(d.code for d in catalog.departments())
        problems.append(
            Problem(
                name,
                f"unknown department {department!r}",
                field="submitter.department",
                expected=f"one of {known}",
            )
        )
    stored_blobs = catalog.current_blobs(corrects) if corrects else {}
    if corrects and corrected_department != department:
        problems.append(
            Problem(
                name,
                f"submission {corrects} belongs to another department",
                field="submitter.department",
                expected=corrected_department,
                found=department,
            )
        )

    facts, found = check_manifest(
        manifest,
        manifest_path=manifest_path,
        pseudonymizer=instance.pseudonymizer,
        correcting=corrects is not None,
        stored_sha256=set(stored_blobs),
    )
    problems.extend(found)
    known_pseudonyms = catalog.known_pseudonyms(p for p in facts.identities.values() if isinstance(p, str))
    for individual_id, identity in facts.identities.items():
        if isinstance(identity, str) and identity not in known_pseudonyms:
            problems.append(
                Problem(
                    name,
                    "unknown pseudonym",
                    location=f"individuals ({individual_id})",
                    field="pseudonym",
                    expected="the pseudonym of a person genomdb knows",
                )
            )
    uploads = adoptable_uploads(instance, department, facts.file_uploads.values())
    for index, entry in enumerate(manifest.files):
        if entry.id in facts.file_uploads and facts.file_uploads[entry.id] not in uploads:
            problems.append(
                Problem(
                    name,
                    f"no completed upload of department {department} has this sha256",
                    location=f"files[{index}] ({entry.id})",
                    field="sha256",
                    expected="the sha256 of a file sent with `genomdb upload` and not yet submitted",
                )
            )
    stored = _stored_manifest(manifest, facts)
    digest = _content_digest(stored)
    identical = catalog.find_identical(department, digest)
    except_submission = corrects or (identical[0] if identical else None)
    elsewhere = catalog.samples_elsewhere(
        department, (s.id for s in manifest.samples), except_submission=except_submission
    )
    for sample_id, other in sorted(elsewhere.items()):
        problems.append(
            Problem(
                name,
                f"sample {sample_id!r} is already in submission {other}",
                location=f"samples ({sample_id})",
                field="id",
                expected=f"a new sample id, or a correction of {other} (--corrects {other})",
            )
        )

    staged: dict[str, StagedBlob] = {}
    staged_index: dict[str, tuple[StagedBlob, str]] = {}
    reports: dict[str, FileReport] = {}
    with instance.blobs.workspace() as workspace:
        adopted = {file_id: uploads[sha256] for file_id, sha256 in facts.file_uploads.items() if sha256 in uploads}
        total = sum(path.stat().st_size for path in facts.file_paths.values())
        total += sum(record.size for record in adopted.values())
        progress.begin(f"validating {len(facts.file_paths) + len(adopted)} file(s)", total)
        jobs = [
            FileJob(
                file_id=entry.id,
                source=facts.file_paths.get(entry.id),
                expectation=_expectation(manifest, instance, facts, entry.id),
                upload_id=adopted[entry.id].upload_id if entry.id in adopted else None,
                upload_name=adopted[entry.id].file_name if entry.id in adopted else None,
            )
            for entry in manifest.files
            if entry.id in facts.file_paths or entry.id in adopted
        ]
        entries = {entry.id: entry for entry in manifest.files}
        for checked in check_files(jobs, instance.blobs, workspace, workers=instance.settings.ingest_workers):
            entry = entries[checked.file_id]
            display = entry.path or entry.id
            staged[entry.id] = checked.blob
            problems.extend(_checksum_problems(display, entry, checked.blob))
            reports[entry.id] = checked.report
            problems.extend(checked.report.problems)
            if checked.index is not None:
                staged_index[entry.id] = checked.index
            progress.advance(checked.blob.size, note=display)
        progress.end()
        for entry in manifest.files:
            if entry.mate and entry.id < entry.mate and entry.id in reports and entry.mate in reports:
                problems.extend(
                    check_mates(
                        reports[entry.id],
                        reports[entry.mate],
                        name_a=entry.path or entry.id,
                        name_b=next(f.path or f.id for f in manifest.files if f.id == entry.mate),
                    )
                )
        if problems:
            raise reject(department, problems)

        if identical is not None:
            return SubmissionOutcome(
                submission_id=identical[0],
                version=identical[1],
                status="accepted",
                unchanged=True,
                n_samples=len(manifest.samples),
                n_files=len(manifest.files),
            )

        plan = _plan(
            manifest,
            facts,
            stored,
            digest,
            staged,
            staged_index,
            stored_blobs,
            reports,
            manifest_name=name,
            encrypted=instance.blobs.encrypts,
            corrects=corrects,
            reason=reason,
        )
        area = area_of(instance) if adopted else None
        to_commit: list[StagedBlob] = []
        for file_id, blob in staged.items():
            if area is not None and file_id in adopted:
                area.commit(adopted[file_id].upload_id, blob)  # on S3 a server-side copy, not a second upload
            else:
                to_commit.append(blob)
        to_commit.extend(blob for blob, _kind in staged_index.values())
        _commit_blobs(instance.blobs, to_commit)
        outcome = catalog.record_accepted(plan)
        mark_submitted(instance, adopted.values(), outcome.submission_id)
        return outcome


def _check_reason(reason: str, name: str, *, max_chars: int) -> None:
    """A correction's reason is free text kept in the event log: no CPR number, no control character, bounded."""
    expected = f"at most {max_chars:,} characters of printable text without personal identifiers"
    why = None
    if len(reason) > max_chars:
        why = f"the reason is too long ({len(reason):,} characters; setting GENOMDB_MAX_TEXT_CHARS)"
    elif control_characters(reason):
        why = f"the reason contains control characters ({', '.join(control_characters(reason))})"
    if why is not None:
        raise InvalidInput(why, [Problem(name, why, field="--reason", expected=expected)])


LOCAL_COMMIT_THREADS = 8
"""A local commit is a rename and a directory fsync; this many run at once, so their waits for the disk overlap."""


def _commit_blobs(blobs: BlobStore, staged: list[StagedBlob]) -> None:
    """Commit staged blobs; all are committed (or one raised) before the catalog records them."""
    if not isinstance(blobs, LocalBlobStore) or len(staged) < 2:
        for blob in staged:
            blobs.commit(blob)
        return
    by_sha256 = {blob.sha256: blob for blob in staged}  # two files with the same bytes are one blob
    with ThreadPoolExecutor(max_workers=LOCAL_COMMIT_THREADS, thread_name_prefix="commit") as pool:
        for _ in pool.map(blobs.commit, by_sha256.values()):
            pass


def _new_blob(staged: StagedBlob, *, encrypted: bool) -> NewBlob:
    return NewBlob(sha256=staged.sha256, md5=staged.md5, size=staged.size, encrypted=encrypted)


def _plan(
    manifest: Manifest,
    facts: ManifestFacts,
    stored: dict[str, Any],
    digest: str,
    staged: dict[str, StagedBlob],
    staged_index: dict[str, tuple[StagedBlob, str]],
    stored_blobs: dict[str, tuple[NewBlob, NewBlob | None, str | None]],
    reports: dict[str, FileReport],
    *,
    manifest_name: str,
    encrypted: bool,
    corrects: str | None,
    reason: str | None,
) -> SubmissionPlan:
    persons = []
    for individual in manifest.individuals:
        identity = facts.identities[individual.id]
        if isinstance(identity, PersonIdentity):
            persons.append(
                NewPerson(
                    individual.id,
                    identity.pseudonym,
                    identity.birth_year,
                    identity.declared_sex.value,
                    individual.research_opt_out,
                    known=False,
                    does_not_want_to_know=individual.does_not_want_to_know,
                )
            )
        else:
            persons.append(
                NewPerson(
                    individual.id,
                    identity,
                    None,
                    None,
                    individual.research_opt_out,
                    known=True,
                    does_not_want_to_know=individual.does_not_want_to_know,
                )
            )
    files = []
    for entry in manifest.files:
        if entry.id in staged:
            blob = _new_blob(staged[entry.id], encrypted=encrypted)
            index = staged_index.get(entry.id)
            index_blob = _new_blob(index[0], encrypted=encrypted) if index else None
            index_name = index[1] if index else None
            file_facts = dict(reports[entry.id].facts)
        else:
            assert entry.sha256 is not None
            blob, index_blob, index_name = stored_blobs[entry.sha256]
            file_facts = {}
        files.append(
            NewFile(
                file_ref=entry.id,
                format=str(file_facts.get("container", entry.format.value)),  # a BCF sent as VCF is a BCF
                original_path=entry.path,
                blob=blob,
                index_blob=index_blob,
                index_name=index_name,
                run_ref=entry.run,
                mate_ref=entry.mate,
                sample_ids=facts.file_samples.get(entry.id, ()),
                facts=file_facts,
            )
        )
    return SubmissionPlan(
        department_code=manifest.submitter.department,
        manifest_name=manifest_name,
        title=manifest.title,
        manifest=stored,
        content_digest=digest,
        persons=tuple(persons),
        relationships=tuple(
            (individual.id, relative.relation.value, relative.individual)
            for individual in manifest.individuals
            for relative in individual.relatives
        ),
        samples=tuple(
            NewSample(s.id, s.individual, s.tissue, s.collection_date, s.withdrawn) for s in manifest.samples
        ),
        runs=tuple(
            NewRun(
                r.id,
                r.sample,
                r.platform.value,
                r.read_type.value,
                r.instrument,
                r.library_strategy,
                r.library_id,
                r.run_date,
            )
            for r in manifest.runs
        ),
        files=tuple(files),
        analyses=tuple(
            NewAnalysis(
                a.id,
                a.pipeline.name,
                a.pipeline.version,
                a.reference_build,
                tuple(a.samples),
                tuple(a.inputs),
                tuple(a.outputs),
            )
            for a in manifest.analyses
        ),
        corrects=corrects,
        reason=reason,
    )
