"""The catalog repository: every write of catalog rows goes through here (reads: :mod:`genomdb.catalog.search`)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias, TypeVar

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from genomdb.catalog.facts import CatalogFacts
from genomdb.catalog.seed import DepartmentSeed, RegionSeed
from genomdb.catalog.tables import (
    AnalysisFileRow,
    AnalysisRow,
    AnalysisSampleRow,
    BlobRow,
    DepartmentRow,
    FileRow,
    FileSampleRow,
    PersonRow,
    RegionRow,
    RelationshipRow,
    RunRow,
    SampleRow,
    SubmissionEventRow,
    SubmissionRow,
    SubmissionVersionRow,
)
from genomdb.db.base import Base, utcnow
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound
from genomdb.model.catalog import (
    Department,
    Region,
    StorageTier,
    SubmissionStatus,
)
from genomdb.model.submission import NewBlob, SubmissionOutcome, SubmissionPlan

VCF_FORMATS = ("VCF", "GVCF")
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
_Key = TypeVar("_Key")


def _insert(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in one statement (batched by SQLAlchemy): a submission of thousands of samples writes
    its rows an order of magnitude faster than the same rows added as objects and flushed one by one."""
    if rows:
        session.execute(insert(table), list(rows))


def _insert_returning_ids(session: Session, table: type[Base], rows: dict[_Key, dict[str, Any]]) -> dict[_Key, int]:
    """Insert ``rows`` in bulk and return the database id of each, under the key it was given with."""
    if not rows:
        return {}
    statement = insert(table).returning(table.__table__.c.id, sort_by_parameter_order=True)
    ids = session.scalars(statement, list(rows.values())).all()
    return dict(zip(rows, ids, strict=True))


def _short_id(prefix: str, n_bytes: int = 5) -> str:
    return prefix + base64.b32encode(secrets.token_bytes(n_bytes)).decode("ascii").rstrip("=")


class Catalog(CatalogFacts):
    """The metadata catalogue over the instance's database; behaves the same on SQLite and PostgreSQL.

    Writes (submissions, versions, events, seed rows) live here; the read side is :class:`CatalogSearch`, the facts
    that access decisions and data-out need are :class:`CatalogFacts`.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def backend(self) -> str:
        return self.db.backend

    # --- seed data ----------------------------------------------------------------------------------

    def seed(self, regions: Iterable[RegionSeed], departments: Iterable[DepartmentSeed]) -> int:
        """Insert regions and departments that are not there yet; return how many rows were added."""
        added = 0
        with self.db.session() as session:
            region_ids = {row.code: row.id for row in session.scalars(select(RegionRow))}
            for region in regions:
                if region.code not in region_ids:
                    row = RegionRow(code=region.code, name=region.name)
                    session.add(row)
                    session.flush()
                    region_ids[region.code] = row.id
                    added += 1
            known = set(session.scalars(select(DepartmentRow.code)))
            for dept in departments:
                if dept.code not in known:
                    session.add(DepartmentRow(code=dept.code, name=dept.name, region_id=region_ids[dept.region_code]))
                    added += 1
        return added

    def departments(self) -> list[Department]:
        with self.db.session() as session:
            rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
            return [_department(row) for row in rows]

    def department(self, code: str) -> Department | None:
        with self.db.session() as session:
            row = session.scalar(select(DepartmentRow).where(DepartmentRow.code == code))
            return _department(row) if row else None

    # --- facts data-in needs before it writes -------------------------------------------------------------

    def submission_department(self, submission_id: str) -> tuple[str, SubmissionStatus]:
        with self.db.session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None:
                raise NotFound(f"no submission {submission_id}")
            return row.department_code, SubmissionStatus(row.status)

    def find_identical(self, department_code: str, content_digest: str) -> tuple[str, int] | None:
        """The accepted, current submission version with exactly this content, if any."""
        with self.db.session() as session:
            row = session.execute(
                select(SubmissionVersionRow.submission_id, SubmissionVersionRow.version)
                .join(SubmissionRow, SubmissionRow.id == SubmissionVersionRow.submission_id)
                .where(
                    SubmissionVersionRow.content_digest == content_digest,
                    SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                    SubmissionRow.department_code == department_code,
                )
            ).first()
            return (row[0], row[1]) if row else None

    def known_pseudonyms(self, pseudonyms: Iterable[str]) -> set[str]:
        wanted = set(pseudonyms)
        if not wanted:
            return set()
        with self.db.session() as session:
            return set(session.scalars(select(PersonRow.pseudonym).where(PersonRow.pseudonym.in_(wanted))))

    def samples_elsewhere(
        self, department_code: str, submitter_sample_ids: Iterable[str], *, except_submission: str | None
    ) -> dict[str, str]:
        """Which of these sample ids the department already has in another current submission."""
        wanted = set(submitter_sample_ids)
        if not wanted:
            return {}
        with self.db.session() as session:
            query = (
                select(SampleRow.submitter_sample_id, SubmissionVersionRow.submission_id)
                .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
                .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
                .where(
                    DepartmentRow.code == department_code,
                    SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                    SampleRow.submitter_sample_id.in_(wanted),
                )
            )
            if except_submission:
                query = query.where(SubmissionVersionRow.submission_id != except_submission)
            return {str(row[0]): str(row[1]) for row in session.execute(query)}

    def current_blobs(self, submission_id: str) -> dict[str, tuple[NewBlob, NewBlob | None, str | None]]:
        """Blobs of the current version's files by sha256, so a correction can keep a file without resending it."""
        with self.db.session() as session:
            rows = session.execute(
                select(FileRow, BlobRow)
                .join(BlobRow, BlobRow.sha256 == FileRow.sha256)
                .join(SubmissionVersionRow, SubmissionVersionRow.id == FileRow.submission_version_id)
                .where(
                    SubmissionVersionRow.submission_id == submission_id,
                    SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                )
            ).all()
            found: dict[str, tuple[NewBlob, NewBlob | None, str | None]] = {}
            for file_row, blob_row in rows:
                index_blob = None
                if file_row.index_sha256:
                    index_row = session.get(BlobRow, file_row.index_sha256)
                    if index_row is not None:
                        index_blob = _new_blob(index_row)
                found[file_row.sha256] = (_new_blob(blob_row), index_blob, file_row.index_name)
            return found

    # --- writes ----------------------------------------------------------------------------------------

    def record_accepted(self, plan: SubmissionPlan) -> SubmissionOutcome:
        """Write an accepted submission (or correction) in one transaction."""
        now = utcnow()
        with self.db.session() as session:
            department = session.scalar(select(DepartmentRow).where(DepartmentRow.code == plan.department_code))
            if department is None:
                raise NotFound(f"no department {plan.department_code}")
            previous_keys: dict[str, str] = {}
            if plan.corrects:
                submission = session.get(SubmissionRow, plan.corrects, with_for_update=True)
                if submission is None:
                    raise NotFound(f"no submission {plan.corrects}")
                if submission.current_version is None:
                    raise Conflict(f"submission {plan.corrects} was never accepted; submit it anew")
                old = session.scalar(
                    select(SubmissionVersionRow).where(
                        SubmissionVersionRow.submission_id == submission.id,
                        SubmissionVersionRow.version == submission.current_version,
                    )
                )
                assert old is not None
                old.status = SubmissionStatus.SUPERSEDED
                previous_keys = dict(
                    session.execute(
                        select(SampleRow.submitter_sample_id, SampleRow.sample_key).where(
                            SampleRow.submission_version_id == old.id
                        )
                    ).all()
                )
                version_number = self._next_version(session, submission.id)
            else:
                submission = SubmissionRow(
                    id=_short_id("SUB-"),
                    department_id=department.id,
                    department_code=department.code,
                    status=SubmissionStatus.ACCEPTED,
                    created_at=now,
                )
                session.add(submission)
                version_number = 1
            submission.status = SubmissionStatus.ACCEPTED
            submission.current_version = version_number
            submission.updated_at = now
            version = SubmissionVersionRow(
                submission_id=submission.id,
                version=version_number,
                status=SubmissionStatus.ACCEPTED,
                reason=plan.reason,
                manifest_name=plan.manifest_name,
                title=plan.title,
                manifest=plan.manifest,
                content_digest=plan.content_digest,
                created_at=now,
            )
            session.add(version)
            session.flush()

            existing_people = {
                row.pseudonym: row
                for row in session.scalars(
                    select(PersonRow).where(PersonRow.pseudonym.in_([p.pseudonym for p in plan.persons]))
                )
            }
            person_ids: dict[str, int] = {}
            new_people: dict[str, dict[str, Any]] = {}
            for person in plan.persons:
                row = existing_people.get(person.pseudonym)
                if row is None:
                    new_people[person.local_id] = {
                        "pseudonym": person.pseudonym,
                        "birth_year": person.birth_year,
                        "declared_sex": person.declared_sex,
                        "research_opt_out": person.research_opt_out,
                        "does_not_want_to_know": bool(person.does_not_want_to_know),
                        "created_at": now,
                    }
                    continue
                if (
                    person.does_not_want_to_know is not None
                    and row.does_not_want_to_know != person.does_not_want_to_know
                ):
                    row.does_not_want_to_know = person.does_not_want_to_know
                    session.add(
                        SubmissionEventRow(
                            submission_id=submission.id,
                            version=version_number,
                            at=now,
                            kind="does_not_want_to_know_changed",
                            detail={"pseudonym": row.pseudonym, "does_not_want_to_know": person.does_not_want_to_know},
                        )
                    )
                if row.research_opt_out != person.research_opt_out:
                    row.research_opt_out = person.research_opt_out
                    session.add(
                        SubmissionEventRow(
                            submission_id=submission.id,
                            version=version_number,
                            at=now,
                            kind="research_opt_out_changed",
                            detail={"pseudonym": row.pseudonym, "research_opt_out": person.research_opt_out},
                        )
                    )
                person_ids[person.local_id] = row.id
            session.flush()
            person_ids |= _insert_returning_ids(session, PersonRow, new_people)
            known_links = {
                (row[0], row[1], row[2])
                for row in session.execute(
                    select(RelationshipRow.person_id, RelationshipRow.relation, RelationshipRow.relative_id).where(
                        RelationshipRow.person_id.in_(list(person_ids.values()))
                    )
                )
            }
            new_links: list[dict[str, Any]] = []
            for local_id, relation, relative_local_id in plan.relationships:
                link = (person_ids[local_id], relation, person_ids[relative_local_id])
                if link not in known_links:
                    known_links.add(link)
                    new_links.append(
                        {
                            "person_id": link[0],
                            "relation": relation,
                            "relative_id": link[2],
                            "submission_version_id": version.id,
                        }
                    )
            _insert(session, RelationshipRow, new_links)

            sample_ids = _insert_returning_ids(
                session,
                SampleRow,
                {
                    sample.submitter_sample_id: {
                        "sample_key": previous_keys.get(sample.submitter_sample_id) or _short_id("SMP-", 6),
                        "submission_version_id": version.id,
                        "department_id": department.id,
                        "submitter_sample_id": sample.submitter_sample_id,
                        "person_id": person_ids[sample.person_local_id],
                        "tissue": sample.tissue,
                        "collection_date": sample.collection_date,
                        "withdrawn": sample.withdrawn,
                    }
                    for sample in plan.samples
                },
            )
            run_ids = _insert_returning_ids(
                session,
                RunRow,
                {
                    run.run_ref: {
                        "submission_version_id": version.id,
                        "run_ref": run.run_ref,
                        "sample_id": sample_ids[run.sample_id],
                        "platform": run.platform,
                        "read_type": run.read_type,
                        "instrument": run.instrument,
                        "library_strategy": run.library_strategy,
                        "library_id": run.library_id,
                        "run_date": run.run_date,
                    }
                    for run in plan.runs
                },
            )

            new_blobs = {
                blob.sha256: blob
                for new_file in plan.files
                for blob in (new_file.blob, new_file.index_blob)
                if blob is not None
            }
            already = set(session.scalars(select(BlobRow.sha256).where(BlobRow.sha256.in_(list(new_blobs)))))
            blob_rows = [
                {
                    "sha256": sha256,
                    "size": blob.size,
                    "md5": blob.md5,
                    "tier": StorageTier.HOT,
                    "encrypted": blob.encrypted,
                    "stored_at": now,
                }
                for sha256, blob in new_blobs.items()
                if sha256 not in already
            ]
            _insert(session, BlobRow, blob_rows)
            bytes_stored = sum(blob.size for sha256, blob in new_blobs.items() if sha256 not in already)

            file_ids = _insert_returning_ids(
                session,
                FileRow,
                {
                    new_file.file_ref: {
                        "submission_version_id": version.id,
                        "file_ref": new_file.file_ref,
                        "run_id": run_ids.get(new_file.run_ref) if new_file.run_ref else None,
                        "mate_ref": new_file.mate_ref,
                        "format": new_file.format,
                        "original_path": new_file.original_path,
                        "size": new_file.blob.size,
                        "sha256": new_file.blob.sha256,
                        "md5": new_file.blob.md5,
                        "index_sha256": new_file.index_blob.sha256 if new_file.index_blob else None,
                        "index_name": new_file.index_name,
                        "facts": new_file.facts,
                    }
                    for new_file in plan.files
                },
            )
            _insert(
                session,
                FileSampleRow,
                [
                    {"file_id": file_ids[new_file.file_ref], "sample_id": sample_ids[sample_id]}
                    for new_file in plan.files
                    for sample_id in new_file.sample_ids
                ],
            )

            analysis_ids = _insert_returning_ids(
                session,
                AnalysisRow,
                {
                    analysis.analysis_ref: {
                        "submission_version_id": version.id,
                        "analysis_ref": analysis.analysis_ref,
                        "pipeline_name": analysis.pipeline_name,
                        "pipeline_version": analysis.pipeline_version,
                        "reference_build": analysis.reference_build,
                    }
                    for analysis in plan.analyses
                },
            )
            _insert(
                session,
                AnalysisSampleRow,
                [
                    {"analysis_id": analysis_ids[analysis.analysis_ref], "sample_id": sample_ids[sample_id]}
                    for analysis in plan.analyses
                    for sample_id in analysis.sample_ids
                ],
            )
            _insert(
                session,
                AnalysisFileRow,
                [
                    {"analysis_id": analysis_ids[analysis.analysis_ref], "file_id": file_ids[ref], "role": role}
                    for analysis in plan.analyses
                    for role, refs in (("input", analysis.input_refs), ("output", analysis.output_refs))
                    for ref in refs
                ],
            )

            session.add(
                SubmissionEventRow(
                    submission_id=submission.id,
                    version=version_number,
                    at=now,
                    kind="corrected" if plan.corrects else "accepted",
                    detail={
                        "manifest": plan.manifest_name,
                        "n_samples": len(plan.samples),
                        "n_files": len(plan.files),
                        "bytes_stored": bytes_stored,
                        **({"reason": plan.reason} if plan.reason else {}),
                    },
                )
            )
            return SubmissionOutcome(
                submission_id=submission.id,
                version=version_number,
                status=SubmissionStatus.ACCEPTED,
                n_samples=len(plan.samples),
                n_files=len(plan.files),
                bytes_stored=bytes_stored,
            )

    def record_rejected(
        self,
        *,
        department_code: str,
        manifest_name: str,
        report: Sequence[dict[str, Any]],
        corrects: str | None = None,
        reason: str | None = None,
    ) -> SubmissionOutcome:
        """Keep the rejection and its report; nothing else of the submission is written."""
        now = utcnow()
        with self.db.session() as session:
            submission = session.get(SubmissionRow, corrects) if corrects else None
            if submission is None:
                department = session.scalar(select(DepartmentRow).where(DepartmentRow.code == department_code))
                submission = SubmissionRow(
                    id=_short_id("SUB-"),
                    department_id=department.id if department else None,
                    department_code=department_code[:64],
                    status=SubmissionStatus.REJECTED,
                    current_version=None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(submission)
                session.flush()
                version_number = 1
            else:
                version_number = self._next_version(session, submission.id)
            session.add(
                SubmissionVersionRow(
                    submission_id=submission.id,
                    version=version_number,
                    status=SubmissionStatus.REJECTED,
                    reason=reason,
                    manifest_name=manifest_name,
                    report=list(report),
                    created_at=now,
                )
            )
            session.add(
                SubmissionEventRow(
                    submission_id=submission.id,
                    version=version_number,
                    at=now,
                    kind="correction_rejected" if corrects else "rejected",
                    detail={"manifest": manifest_name, "n_problems": len(report)},
                )
            )
            return SubmissionOutcome(
                submission_id=submission.id,
                version=version_number,
                status=SubmissionStatus.REJECTED,
                problems=tuple(report),
            )

    def record_event(self, submission_id: str, kind: str, detail: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.add(SubmissionEventRow(submission_id=submission_id, kind=kind, detail=detail, at=utcnow()))

    @staticmethod
    def _next_version(session: Session, submission_id: str) -> int:
        latest = session.scalar(
            select(func.max(SubmissionVersionRow.version)).where(SubmissionVersionRow.submission_id == submission_id)
        )
        return int(latest or 0) + 1

    # --- blobs ---------------------------------------------------------------------------------------

    def set_does_not_want_to_know(self, pseudonym: str, value: bool) -> bool:
        """Set a person's "does not want to know" flag; True when it changed. NotFound for an unknown person."""
        with self.db.session() as session:
            row = session.scalar(select(PersonRow).where(PersonRow.pseudonym == pseudonym))
            if row is None:
                raise NotFound(f"no person {pseudonym}")
            if row.does_not_want_to_know == value:
                return False
            row.does_not_want_to_know = value
            return True

    def registered_blobs(self) -> set[str]:
        with self.db.session() as session:
            return set(session.scalars(select(BlobRow.sha256)))

    def blob_tier(self, sha256: str) -> StorageTier:
        with self.db.session() as session:
            row = session.get(BlobRow, sha256)
            if row is None:
                raise NotFound(f"no stored blob {sha256}")
            return StorageTier(row.tier)

    # --- reads ---------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (what a steward and the tests look at)."""
        tables = {
            "persons": PersonRow,
            "samples": SampleRow,
            "runs": RunRow,
            "files": FileRow,
            "blobs": BlobRow,
            "analyses": AnalysisRow,
            "submissions": SubmissionRow,
            "submission_versions": SubmissionVersionRow,
            "events": SubmissionEventRow,
        }
        with self.db.session() as session:
            return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything genomdb stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _department(row: DepartmentRow) -> Department:
    return Department(code=row.code, name=row.name, region=Region(code=row.region.code, name=row.region.name))


def _new_blob(row: BlobRow) -> NewBlob:
    return NewBlob(sha256=row.sha256, md5=row.md5, size=row.size, encrypted=row.encrypted)
