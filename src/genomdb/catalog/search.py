"""Reads of the metadata catalogue: search, and one person, sample or submission with everything about it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound
from genomdb.model.catalog import (
    Analysis,
    Person,
    SampleDetail,
    SampleSummary,
    SearchFilters,
    SequencingRun,
    StorageTier,
    StoredFile,
    Submission,
    SubmissionEvent,
    SubmissionListing,
    SubmissionStatus,
    SubmissionVersion,
)

VCF_FORMATS = ("VCF", "GVCF")
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


class CatalogSearch:
    """The catalogue's read side; mixed into :class:`genomdb.catalog.repository.Catalog`."""

    db: Database

    def search(self, filters: SearchFilters) -> list[SampleSummary]:
        """Current (not superseded, not withdrawn) samples matching every given filter."""
        with self.db.session() as session:
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
        with self.db.session() as session:
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
        with self.db.session() as session:
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
        with self.db.session() as session:
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
        with self.db.session() as session:
            manifest = session.scalar(
                select(SubmissionVersionRow.manifest).where(
                    SubmissionVersionRow.submission_id == submission_id,
                    SubmissionVersionRow.version == version,
                )
            )
            if manifest is None:
                raise NotFound(f"no accepted version {version} of submission {submission_id}")
            return dict(manifest)

    def submissions(self, *, department: str | None = None, limit: int = 1000) -> list[SubmissionListing]:
        """Submissions, newest first; only one department's when ``department`` is given."""
        query = select(SubmissionRow).order_by(SubmissionRow.created_at.desc(), SubmissionRow.id).limit(limit)
        if department is not None:
            query = query.where(SubmissionRow.department_code == department)
        with self.db.session() as session:
            return [
                SubmissionListing(
                    submission_id=row.id,
                    department=row.department_code,
                    status=SubmissionStatus(row.status),
                    current_version=row.current_version,
                    created_at=_aware(row.created_at),
                    updated_at=_aware(row.updated_at),
                )
                for row in session.scalars(query)
            ]


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
