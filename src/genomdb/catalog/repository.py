"""The catalog repository: every read and write of catalog rows goes through here."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

from sqlalchemy import Engine, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from genomdb.catalog.migrate import current_revisions, head_revisions, upgrade_to_head
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
    utcnow,
)
from genomdb.errors import Conflict, NotFound, Unavailable
from genomdb.model.catalog import (
    Analysis,
    Department,
    Person,
    Region,
    SampleDetail,
    SampleSummary,
    SearchFilters,
    SequencingRun,
    StorageTier,
    StoredFile,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
    SubmissionVersion,
)
from genomdb.model.submission import NewBlob, SubmissionOutcome, SubmissionPlan

VCF_FORMATS = ("VCF", "GVCF")
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


def _short_id(prefix: str, n_bytes: int = 5) -> str:
    return prefix + base64.b32encode(secrets.token_bytes(n_bytes)).decode("ascii").rstrip("=")


def create_catalog(url: str) -> Catalog:
    """Open the catalog at a SQLAlchemy URL: ``sqlite:///path`` (embedded) or ``postgresql+psycopg://…``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        raise Unavailable(
            f"unsupported catalog URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg://"
        )
    return Catalog(engine)


class Catalog:
    """Metadata catalogue over SQLAlchemy; behaves the same on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back on any exception."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None

    # --- schema and seed data -------------------------------------------------------------------------

    def migrate(self) -> None:
        try:
            upgrade_to_head(self.engine)
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None

    def is_current(self) -> bool:
        return current_revisions(self.engine) == head_revisions()

    def seed(self, regions: Iterable[RegionSeed], departments: Iterable[DepartmentSeed]) -> int:
        """Insert regions and departments that are not there yet; return how many rows were added."""
        added = 0
        with self.session() as session:
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
        with self.session() as session:
            rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
            return [_department(row) for row in rows]

    def department(self, code: str) -> Department | None:
        with self.session() as session:
            row = session.scalar(select(DepartmentRow).where(DepartmentRow.code == code))
            return _department(row) if row else None

    # --- facts data-in needs before it writes -------------------------------------------------------------

    def submission_department(self, submission_id: str) -> tuple[str, SubmissionStatus]:
        with self.session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None:
                raise NotFound(f"no submission {submission_id}")
            return row.department_code, SubmissionStatus(row.status)

    def find_identical(self, department_code: str, content_digest: str) -> tuple[str, int] | None:
        """The accepted, current submission version with exactly this content, if any."""
        with self.session() as session:
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
        with self.session() as session:
            return set(session.scalars(select(PersonRow.pseudonym).where(PersonRow.pseudonym.in_(wanted))))

    def samples_elsewhere(
        self, department_code: str, submitter_sample_ids: Iterable[str], *, except_submission: str | None
    ) -> dict[str, str]:
        """Which of these sample ids the department already has in another current submission."""
        wanted = set(submitter_sample_ids)
        if not wanted:
            return {}
        with self.session() as session:
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
        with self.session() as session:
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
        with self.session() as session:
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
            person_rows: dict[str, PersonRow] = {}
            for person in plan.persons:
                row = existing_people.get(person.pseudonym)
                if row is None:
                    row = PersonRow(
                        pseudonym=person.pseudonym,
                        birth_year=person.birth_year,
                        declared_sex=person.declared_sex,
                        research_opt_out=person.research_opt_out,
                        created_at=now,
                    )
                    session.add(row)
                elif row.research_opt_out != person.research_opt_out:
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
                person_rows[person.local_id] = row
            session.flush()
            person_ids = {local_id: row.id for local_id, row in person_rows.items()}
            known_links = {
                (row[0], row[1], row[2])
                for row in session.execute(
                    select(RelationshipRow.person_id, RelationshipRow.relation, RelationshipRow.relative_id).where(
                        RelationshipRow.person_id.in_(list(person_ids.values()))
                    )
                )
            }
            for local_id, relation, relative_local_id in plan.relationships:
                link = (person_ids[local_id], relation, person_ids[relative_local_id])
                if link not in known_links:
                    known_links.add(link)
                    session.add(
                        RelationshipRow(
                            person_id=link[0], relation=relation, relative_id=link[2], submission_version_id=version.id
                        )
                    )

            sample_rows = {
                sample.submitter_sample_id: SampleRow(
                    sample_key=previous_keys.get(sample.submitter_sample_id) or _short_id("SMP-", 6),
                    submission_version_id=version.id,
                    department_id=department.id,
                    submitter_sample_id=sample.submitter_sample_id,
                    person_id=person_ids[sample.person_local_id],
                    tissue=sample.tissue,
                    collection_date=sample.collection_date,
                    withdrawn=sample.withdrawn,
                )
                for sample in plan.samples
            }
            session.add_all(sample_rows.values())
            session.flush()
            sample_ids = {key: row.id for key, row in sample_rows.items()}

            run_rows = {
                run.run_ref: RunRow(
                    submission_version_id=version.id,
                    run_ref=run.run_ref,
                    sample_id=sample_ids[run.sample_id],
                    platform=run.platform,
                    read_type=run.read_type,
                    instrument=run.instrument,
                    library_strategy=run.library_strategy,
                    library_id=run.library_id,
                    run_date=run.run_date,
                )
                for run in plan.runs
            }
            session.add_all(run_rows.values())
            session.flush()
            run_ids = {key: row.id for key, row in run_rows.items()}

            new_blobs = {
                blob.sha256: blob
                for new_file in plan.files
                for blob in (new_file.blob, new_file.index_blob)
                if blob is not None
            }
            already = set(session.scalars(select(BlobRow.sha256).where(BlobRow.sha256.in_(list(new_blobs)))))
            bytes_stored = 0
            for sha256, blob in new_blobs.items():
                if sha256 not in already:
                    session.add(
                        BlobRow(
                            sha256=sha256,
                            size=blob.size,
                            md5=blob.md5,
                            tier=StorageTier.HOT,
                            encrypted=blob.encrypted,
                            stored_at=now,
                        )
                    )
                    bytes_stored += blob.size
            session.flush()

            file_rows = {
                new_file.file_ref: FileRow(
                    submission_version_id=version.id,
                    file_ref=new_file.file_ref,
                    run_id=run_ids.get(new_file.run_ref) if new_file.run_ref else None,
                    mate_ref=new_file.mate_ref,
                    format=new_file.format,
                    original_path=new_file.original_path,
                    size=new_file.blob.size,
                    sha256=new_file.blob.sha256,
                    md5=new_file.blob.md5,
                    index_sha256=new_file.index_blob.sha256 if new_file.index_blob else None,
                    index_name=new_file.index_name,
                    facts=new_file.facts,
                )
                for new_file in plan.files
            }
            session.add_all(file_rows.values())
            session.flush()
            file_ids = {key: row.id for key, row in file_rows.items()}
            session.add_all(
                FileSampleRow(file_id=file_ids[new_file.file_ref], sample_id=sample_ids[sample_id])
                for new_file in plan.files
                for sample_id in new_file.sample_ids
            )

            analysis_rows = {
                analysis.analysis_ref: AnalysisRow(
                    submission_version_id=version.id,
                    analysis_ref=analysis.analysis_ref,
                    pipeline_name=analysis.pipeline_name,
                    pipeline_version=analysis.pipeline_version,
                    reference_build=analysis.reference_build,
                )
                for analysis in plan.analyses
            }
            session.add_all(analysis_rows.values())
            session.flush()
            for analysis in plan.analyses:
                analysis_id = analysis_rows[analysis.analysis_ref].id
                session.add_all(
                    AnalysisSampleRow(analysis_id=analysis_id, sample_id=sample_ids[sample_id])
                    for sample_id in analysis.sample_ids
                )
                session.add_all(
                    AnalysisFileRow(analysis_id=analysis_id, file_id=file_ids[ref], role=role)
                    for role, refs in (("input", analysis.input_refs), ("output", analysis.output_refs))
                    for ref in refs
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
        with self.session() as session:
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
        with self.session() as session:
            session.add(SubmissionEventRow(submission_id=submission_id, kind=kind, detail=detail, at=utcnow()))

    @staticmethod
    def _next_version(session: Session, submission_id: str) -> int:
        latest = session.scalar(
            select(func.max(SubmissionVersionRow.version)).where(SubmissionVersionRow.submission_id == submission_id)
        )
        return int(latest or 0) + 1

    # --- blobs ---------------------------------------------------------------------------------------

    def registered_blobs(self) -> set[str]:
        with self.session() as session:
            return set(session.scalars(select(BlobRow.sha256)))

    def blob_tier(self, sha256: str) -> StorageTier:
        with self.session() as session:
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
        with self.session() as session:
            return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}

    def search(self, filters: SearchFilters) -> list[SampleSummary]:
        """Current (not superseded, not withdrawn) samples matching every given filter."""
        with self.session() as session:
            query = self._current_samples_query().add_columns(
                SampleRow.submitter_sample_id,
                PersonRow.pseudonym,
                DepartmentRow.code.label("department"),
                RegionRow.code.label("region"),
                SubmissionVersionRow.submission_id,
                SubmissionVersionRow.version,
                SubmissionVersionRow.created_at,
            )
            query = self._apply_filters(query, filters).order_by(SampleRow.id).limit(filters.limit)
            rows = session.execute(query).all()
            extras = self._sample_extras(session, [row[0] for row in rows])
            return [
                SampleSummary(
                    sample_key=row.sample_key,
                    submitter_sample_id=row.submitter_sample_id,
                    pseudonym=row.pseudonym,
                    department=row.department,
                    region=row.region,
                    submission_id=row.submission_id,
                    submission_version=row.version,
                    submitted_at=_aware(row.created_at),
                    **extras.get(row[0], _EMPTY_EXTRAS),
                )
                for row in rows
            ]

    @staticmethod
    def _current_samples_query() -> AnySelect:
        return (
            select(SampleRow.id, SampleRow.sample_key)
            .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
            .join(PersonRow, PersonRow.id == SampleRow.person_id)
            .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
            .join(RegionRow, RegionRow.id == DepartmentRow.region_id)
            .where(SubmissionVersionRow.status == SubmissionStatus.ACCEPTED, SampleRow.withdrawn.is_(False))
        )

    @staticmethod
    def _apply_filters(query: AnySelect, filters: SearchFilters) -> AnySelect:
        if filters.region:
            query = query.where(func.lower(RegionRow.code) == filters.region.lower())
        if filters.department:
            query = query.where(func.lower(DepartmentRow.code) == filters.department.lower())
        if filters.pseudonym:
            query = query.where(PersonRow.pseudonym == filters.pseudonym)
        if filters.submission_id:
            query = query.where(SubmissionVersionRow.submission_id == filters.submission_id)
        if filters.sample_key:
            query = query.where(SampleRow.sample_key == filters.sample_key)
        if filters.submitted_from:
            query = query.where(SubmissionVersionRow.created_at >= _day_start(filters.submitted_from))
        if filters.submitted_to:
            query = query.where(
                SubmissionVersionRow.created_at < _day_start(filters.submitted_to + dt.timedelta(days=1))
            )
        if filters.platform:
            query = query.where(
                select(RunRow.id)
                .where(RunRow.sample_id == SampleRow.id, func.upper(RunRow.platform) == filters.platform.upper())
                .exists()
            )
        if filters.read_type:
            query = query.where(
                select(RunRow.id)
                .where(
                    RunRow.sample_id == SampleRow.id,
                    func.lower(RunRow.read_type) == filters.read_type.lower(),
                )
                .exists()
            )
        if filters.reference_build:
            query = query.where(
                select(AnalysisSampleRow.analysis_id)
                .join(AnalysisRow, AnalysisRow.id == AnalysisSampleRow.analysis_id)
                .where(
                    AnalysisSampleRow.sample_id == SampleRow.id,
                    func.lower(AnalysisRow.reference_build) == filters.reference_build.lower(),
                )
                .exists()
            )
        formats: tuple[str, ...] = ()
        if filters.file_format:
            formats = (filters.file_format.upper(),)
        if formats:
            query = query.where(_has_file_format(formats))
        if filters.has_vcf is not None:
            clause = _has_file_format(VCF_FORMATS)
            query = query.where(clause if filters.has_vcf else ~clause)
        return query

    @staticmethod
    def _sample_extras(session: Session, sample_ids: Sequence[int]) -> dict[int, dict[str, tuple[str, ...]]]:
        if not sample_ids:
            return {}
        found: dict[int, dict[str, set[str]]] = defaultdict(
            lambda: {"platforms": set(), "read_types": set(), "formats": set(), "reference_builds": set()}
        )
        for chunk_start in range(0, len(sample_ids), 500):
            chunk = sample_ids[chunk_start : chunk_start + 500]
            for sample_id, platform, read_type in session.execute(
                select(RunRow.sample_id, RunRow.platform, RunRow.read_type).where(RunRow.sample_id.in_(chunk))
            ):
                found[sample_id]["platforms"].add(platform)
                found[sample_id]["read_types"].add(read_type)
            for sample_id, file_format in session.execute(
                select(FileSampleRow.sample_id, FileRow.format)
                .join(FileRow, FileRow.id == FileSampleRow.file_id)
                .where(FileSampleRow.sample_id.in_(chunk))
            ):
                found[sample_id]["formats"].add(file_format)
            for sample_id, build in session.execute(
                select(AnalysisSampleRow.sample_id, AnalysisRow.reference_build)
                .join(AnalysisRow, AnalysisRow.id == AnalysisSampleRow.analysis_id)
                .where(AnalysisSampleRow.sample_id.in_(chunk))
            ):
                found[sample_id]["reference_builds"].add(build)
        return {key: {name: tuple(sorted(values)) for name, values in value.items()} for key, value in found.items()}

    def person(self, pseudonym: str) -> tuple[Person, list[SampleSummary]]:
        with self.session() as session:
            row = session.scalar(select(PersonRow).where(PersonRow.pseudonym == pseudonym))
            if row is None:
                raise NotFound(f"no person with pseudonym {pseudonym}")
            relatives = session.execute(
                select(RelationshipRow.relation, PersonRow.pseudonym)
                .join(PersonRow, PersonRow.id == RelationshipRow.relative_id)
                .where(RelationshipRow.person_id == row.id)
                .order_by(RelationshipRow.relation, PersonRow.pseudonym)
            ).all()
            person = Person(
                pseudonym=row.pseudonym,
                birth_year=row.birth_year,
                declared_sex=row.declared_sex,
                research_opt_out=row.research_opt_out,
                relatives=tuple((relation, other) for relation, other in relatives),
            )
        return person, self.search(SearchFilters(pseudonym=pseudonym))

    def sample(self, key: str) -> SampleDetail:
        """A current sample by its sample key (``SMP-…``) or the department's own sample id."""
        with self.session() as session:
            query = self._current_samples_query().where(
                (SampleRow.sample_key == key) | (SampleRow.submitter_sample_id == key)
            )
            found = session.execute(query).all()
            if not found:
                raise NotFound(f"no current sample {key}")
            if len(found) > 1:
                raise Conflict(f"{key} names {len(found)} samples in different departments; use the SMP- key")
            sample_id, sample_key = found[0]
            sample_row = session.get(SampleRow, sample_id)
            assert sample_row is not None
            runs = session.scalars(select(RunRow).where(RunRow.sample_id == sample_id).order_by(RunRow.run_ref))
            run_refs = {}
            run_records = []
            for run in runs:
                run_refs[run.id] = run.run_ref
                run_records.append(
                    SequencingRun(
                        run_ref=run.run_ref,
                        platform=run.platform,
                        read_type=run.read_type,
                        instrument=run.instrument,
                        library_strategy=run.library_strategy,
                        library_id=run.library_id,
                        run_date=run.run_date,
                    )
                )
            file_rows = session.execute(
                select(FileRow, BlobRow)
                .join(FileSampleRow, FileSampleRow.file_id == FileRow.id)
                .join(BlobRow, BlobRow.sha256 == FileRow.sha256)
                .where(FileSampleRow.sample_id == sample_id)
                .order_by(FileRow.file_ref)
            ).all()
            files = tuple(
                _stored_file(file_row, blob_row, run_refs.get(file_row.run_id or -1))
                for file_row, blob_row in file_rows
            )
            analyses = []
            for analysis in session.scalars(
                select(AnalysisRow)
                .join(AnalysisSampleRow, AnalysisSampleRow.analysis_id == AnalysisRow.id)
                .where(AnalysisSampleRow.sample_id == sample_id)
            ):
                sample_keys = tuple(
                    session.scalars(
                        select(SampleRow.sample_key)
                        .join(AnalysisSampleRow, AnalysisSampleRow.sample_id == SampleRow.id)
                        .where(AnalysisSampleRow.analysis_id == analysis.id)
                    )
                )
                links = session.execute(
                    select(AnalysisFileRow.role, FileRow.file_ref)
                    .join(FileRow, FileRow.id == AnalysisFileRow.file_id)
                    .where(AnalysisFileRow.analysis_id == analysis.id)
                ).all()
                analyses.append(
                    Analysis(
                        analysis_ref=analysis.analysis_ref,
                        pipeline_name=analysis.pipeline_name,
                        pipeline_version=analysis.pipeline_version,
                        reference_build=analysis.reference_build,
                        sample_keys=sample_keys,
                        input_refs=tuple(sorted(ref for role, ref in links if role == "input")),
                        output_refs=tuple(sorted(ref for role, ref in links if role == "output")),
                    )
                )
            versions = session.execute(
                select(SubmissionVersionRow.submission_id, SubmissionVersionRow.version, SampleRow.id)
                .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
                .where(SampleRow.sample_key == sample_key)
                .order_by(SampleRow.id)
            ).all()
        (summary,) = self.search(SearchFilters(sample_key=sample_key))
        return SampleDetail(
            summary=summary,
            tissue=sample_row.tissue,
            collection_date=sample_row.collection_date,
            withdrawn=sample_row.withdrawn,
            runs=tuple(run_records),
            files=files,
            analyses=tuple(analyses),
            version_ids=tuple((sub, ver, sid) for sub, ver, sid in versions),
        )

    def submission(self, submission_id: str) -> Submission:
        with self.session() as session:
            row = session.get(SubmissionRow, submission_id)
            if row is None:
                raise NotFound(f"no submission {submission_id}")
            version_rows = session.scalars(
                select(SubmissionVersionRow)
                .where(SubmissionVersionRow.submission_id == submission_id)
                .order_by(SubmissionVersionRow.version)
            ).all()
            sample_counts = dict(
                session.execute(
                    select(SampleRow.submission_version_id, func.count())
                    .where(SampleRow.submission_version_id.in_([v.id for v in version_rows]))
                    .group_by(SampleRow.submission_version_id)
                ).all()
            )
            file_counts = dict(
                session.execute(
                    select(FileRow.submission_version_id, func.count())
                    .where(FileRow.submission_version_id.in_([v.id for v in version_rows]))
                    .group_by(FileRow.submission_version_id)
                ).all()
            )
            versions = tuple(
                SubmissionVersion(
                    version=v.version,
                    status=SubmissionStatus(v.status),
                    created_at=_aware(v.created_at),
                    reason=v.reason,
                    manifest_name=v.manifest_name,
                    title=v.title,
                    n_samples=int(sample_counts.get(v.id, 0)),
                    n_files=int(file_counts.get(v.id, 0)),
                    report=tuple(v.report or ()),
                )
                for v in version_rows
            )
            events = tuple(
                SubmissionEvent(at=_aware(e.at), kind=e.kind, version=e.version, detail=dict(e.detail or {}))
                for e in session.scalars(
                    select(SubmissionEventRow)
                    .where(SubmissionEventRow.submission_id == submission_id)
                    .order_by(SubmissionEventRow.id)
                )
            )
            return Submission(
                submission_id=row.id,
                department=row.department_code,
                status=SubmissionStatus(row.status),
                current_version=row.current_version,
                created_at=_aware(row.created_at),
                versions=versions,
                events=events,
            )

    def version_manifest(self, submission_id: str, version: int) -> dict[str, Any]:
        with self.session() as session:
            manifest = session.scalar(
                select(SubmissionVersionRow.manifest).where(
                    SubmissionVersionRow.submission_id == submission_id,
                    SubmissionVersionRow.version == version,
                )
            )
            if manifest is None:
                raise NotFound(f"no accepted version {version} of submission {submission_id}")
            return dict(manifest)


_EMPTY_EXTRAS: dict[str, tuple[str, ...]] = {
    "platforms": (),
    "read_types": (),
    "formats": (),
    "reference_builds": (),
}


def _has_file_format(formats: tuple[str, ...]) -> Any:
    return (
        select(FileSampleRow.file_id)
        .join(FileRow, FileRow.id == FileSampleRow.file_id)
        .where(FileSampleRow.sample_id == SampleRow.id, FileRow.format.in_(formats))
        .exists()
    )


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything genomdb stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _department(row: DepartmentRow) -> Department:
    return Department(code=row.code, name=row.name, region=Region(code=row.region.code, name=row.region.name))


def _new_blob(row: BlobRow) -> NewBlob:
    return NewBlob(sha256=row.sha256, md5=row.md5, size=row.size, encrypted=row.encrypted)


def _stored_file(row: FileRow, blob: BlobRow, run_ref: str | None) -> StoredFile:
    return StoredFile(
        file_ref=row.file_ref,
        format=row.format,
        original_path=row.original_path,
        size=row.size,
        sha256=row.sha256,
        md5=row.md5,
        tier=StorageTier(blob.tier),
        encrypted=blob.encrypted,
        index_sha256=row.index_sha256,
        index_name=row.index_name,
        facts=dict(row.facts or {}),
        run_ref=run_ref,
        mate_ref=row.mate_ref,
    )
