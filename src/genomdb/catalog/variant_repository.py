"""Catalog reads and writes of harmonisation and the variant store; ORM rows never leave this module."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session, aliased

from genomdb.catalog.repository import Catalog
from genomdb.catalog.tables import (
    AnalysisFileRow,
    AnalysisRow,
    AnalysisSampleRow,
    DepartmentRow,
    FileRow,
    FileSampleRow,
    PersonRow,
    RegionRow,
    RunRow,
    SampleRow,
    SubmissionVersionRow,
)
from genomdb.catalog.variant_tables import BatchSampleRow, SampleQcRow, VariantBatchRow
from genomdb.errors import Conflict, NotFound
from genomdb.model.catalog import SubmissionStatus
from genomdb.variants.layout import SCHEMA_VERSION
from genomdb.variants.records import (
    CallFile,
    CohortSample,
    NewBatch,
    SampleQc,
    SampleQcRecord,
    VariantBatch,
)

CALL_FILE_FORMATS = ("GVCF", "VCF")
_FORMAT_PREFERENCE = {"GVCF": 0, "VCF": 1}
_CHUNK = 500


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- what to harmonise ---------------------------------------------------------------------------------------


def _resolve_analyses(session: Session, names: Sequence[str]) -> set[int]:
    """Catalog ids of accepted analyses named ``REF`` or ``SUB-…/REF``; unknown or ambiguous names raise."""
    found: set[int] = set()
    for name in names:
        submission_id, _, ref = name.rpartition("/")
        query = (
            select(AnalysisRow.id, SubmissionVersionRow.submission_id)
            .join(SubmissionVersionRow, SubmissionVersionRow.id == AnalysisRow.submission_version_id)
            .where(AnalysisRow.analysis_ref == ref, SubmissionVersionRow.status == SubmissionStatus.ACCEPTED)
        )
        if submission_id:
            query = query.where(SubmissionVersionRow.submission_id == submission_id)
        rows = session.execute(query).all()
        if not rows:
            raise NotFound(f"no analysis {name} in an accepted submission")
        if len(rows) > 1:
            submissions = ", ".join(sorted(str(row[1]) for row in rows))
            raise Conflict(f"analysis {ref} exists in several submissions ({submissions}); name it as SUB-…/{ref}")
        found.add(int(rows[0][0]))
    return found


def call_files_to_harmonise(catalog: Catalog, *, analyses: Sequence[str] | None = None) -> list[CallFile]:
    """One VCF/gVCF per current, not yet harmonised sample version (of the named analyses, if given).

    A sample version with several call files uses one on GRCh38 before others, a gVCF before a VCF, then the
    newest file.
    """
    with catalog.session() as session:
        query = (
            select(
                SampleRow.id,
                SampleRow.sample_key,
                SampleRow.submitter_sample_id,
                DepartmentRow.code,
                PersonRow.declared_sex,
                AnalysisRow.id,
                AnalysisRow.analysis_ref,
                SubmissionVersionRow.submission_id,
                AnalysisRow.reference_build,
                FileRow.id,
                FileRow.file_ref,
                FileRow.format,
                FileRow.original_path,
                FileRow.sha256,
                FileRow.size,
                FileRow.facts,
            )
            .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
            .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
            .join(PersonRow, PersonRow.id == SampleRow.person_id)
            .join(AnalysisSampleRow, AnalysisSampleRow.sample_id == SampleRow.id)
            .join(AnalysisRow, AnalysisRow.id == AnalysisSampleRow.analysis_id)
            .join(
                AnalysisFileRow,
                (AnalysisFileRow.analysis_id == AnalysisRow.id) & (AnalysisFileRow.role == "output"),
            )
            .join(FileRow, FileRow.id == AnalysisFileRow.file_id)
            .join(FileSampleRow, (FileSampleRow.file_id == FileRow.id) & (FileSampleRow.sample_id == SampleRow.id))
            .where(
                SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                SampleRow.withdrawn.is_(False),
                FileRow.format.in_(CALL_FILE_FORMATS),
                ~exists().where(BatchSampleRow.sample_id == SampleRow.id),
            )
            .order_by(SampleRow.id, FileRow.id)
        )
        if analyses:
            query = query.where(AnalysisRow.id.in_(_resolve_analyses(session, analyses)))
        best: dict[int, CallFile] = {}
        for row in session.execute(query):
            facts = row[15] or {}
            candidate = CallFile(
                sample_id=row[0],
                sample_key=row[1],
                submitter_sample_id=row[2],
                department=row[3],
                declared_sex=row[4],
                analysis_id=row[5],
                analysis_ref=row[6],
                submission_id=row[7],
                reference_build=row[8],
                file_id=row[9],
                file_ref=row[10],
                file_format=row[11],
                original_path=row[12],
                sha256=row[13],
                size=int(row[14]),
                contigs=tuple(str(contig) for contig in facts.get("contigs", ())),
            )
            held = best.get(candidate.sample_id)
            if held is None or _preference(candidate) < _preference(held):
                best[candidate.sample_id] = candidate
        return list(best.values())


def _preference(call_file: CallFile) -> tuple[bool, int, int]:
    """Smaller is better: a GRCh38 file, then a gVCF, then the newest file."""
    on_grch38 = call_file.reference_build.lower() == "grch38"
    return (not on_grch38, _FORMAT_PREFERENCE[call_file.file_format], -call_file.file_id)


# --- registering a batch -------------------------------------------------------------------------------------


def record_batch(catalog: Catalog, batch: NewBatch) -> None:
    """Register a written batch, its sample versions and their QC in one transaction."""
    try:
        with catalog.session() as session:
            session.add(
                VariantBatchRow(
                    batch_id=batch.batch_id,
                    created_at=batch.created_at,
                    schema_version=SCHEMA_VERSION,
                    reference_build=batch.reference_build,
                    filters=batch.filters,
                    n_samples=len(batch.samples),
                    n_calls=batch.n_calls,
                    n_blocks=batch.n_blocks,
                    manifest_sha256=batch.manifest_sha256,
                )
            )
            session.flush()
            session.add_all(
                BatchSampleRow(sample_id=s.sample_id, batch_id=batch.batch_id, file_id=s.file_id) for s in batch.samples
            )
            session.add_all(_qc_row(s.qc, batch.batch_id) for s in batch.samples)
    except DatabaseIntegrityError:
        raise Conflict(
            f"batch {batch.batch_id} was not registered: some of its sample versions were harmonised meanwhile"
        ) from None


def _qc_row(qc: SampleQc, batch_id: str) -> SampleQcRow:
    return SampleQcRow(
        sample_id=qc.sample_id,
        batch_id=batch_id,
        n_calls=qc.n_calls,
        n_passing_calls=qc.n_passing_calls,
        call_rate=qc.call_rate,
        callable_bases=qc.callable_bases,
        target_bases=qc.target_bases,
        callable_fraction=qc.callable_fraction,
        n_snv=qc.n_snv,
        n_indel=qc.n_indel,
        ti_tv=qc.ti_tv,
        n_het=qc.n_het,
        n_hom_var=qc.n_hom_var,
        het_hom_ratio=qc.het_hom_ratio,
        chrx_heterozygosity=qc.chrx_heterozygosity,
        chrx_n_calls=qc.chrx_n_calls,
        inferred_sex=qc.inferred_sex,
        declared_sex=qc.declared_sex,
        ploidy_sex=qc.ploidy_sex,
        flags=list(qc.flags),
        flagged=qc.flagged,
    )


def _sample_qc(row: SampleQcRow) -> SampleQc:
    return SampleQc(
        sample_id=row.sample_id,
        n_calls=row.n_calls,
        n_passing_calls=row.n_passing_calls,
        call_rate=row.call_rate,
        callable_bases=row.callable_bases,
        target_bases=row.target_bases,
        callable_fraction=row.callable_fraction,
        n_snv=row.n_snv,
        n_indel=row.n_indel,
        ti_tv=row.ti_tv,
        n_het=row.n_het,
        n_hom_var=row.n_hom_var,
        het_hom_ratio=row.het_hom_ratio,
        chrx_heterozygosity=row.chrx_heterozygosity,
        chrx_n_calls=row.chrx_n_calls,
        inferred_sex=row.inferred_sex,
        declared_sex=row.declared_sex,
        ploidy_sex=row.ploidy_sex,
        flags=tuple(str(flag) for flag in row.flags),
    )


# --- reads ---------------------------------------------------------------------------------------------------


def registered_batch_ids(catalog: Catalog) -> set[str]:
    with catalog.session() as session:
        return set(session.scalars(select(VariantBatchRow.batch_id)))


def variant_batches(catalog: Catalog) -> list[VariantBatch]:
    """Every registered batch, oldest first, with the ids of the sample versions it holds."""
    with catalog.session() as session:
        members: dict[str, list[int]] = defaultdict(list)
        for batch_id, sample_id in session.execute(
            select(BatchSampleRow.batch_id, BatchSampleRow.sample_id).order_by(BatchSampleRow.sample_id)
        ):
            members[batch_id].append(sample_id)
        return [
            VariantBatch(
                batch_id=row.batch_id,
                created_at=_aware(row.created_at),
                reference_build=row.reference_build,
                filters=dict(row.filters),
                n_samples=row.n_samples,
                n_calls=row.n_calls,
                n_blocks=row.n_blocks,
                manifest_sha256=row.manifest_sha256,
                sample_ids=tuple(members[row.batch_id]),
            )
            for row in session.scalars(
                select(VariantBatchRow).order_by(VariantBatchRow.created_at, VariantBatchRow.batch_id)
            )
        ]


def variant_store_counts(catalog: Catalog) -> dict[str, int]:
    """Row counts of the variant-store tables."""
    tables = {"variant_batches": VariantBatchRow, "batch_samples": BatchSampleRow, "sample_qc": SampleQcRow}
    with catalog.session() as session:
        return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}


def current_sample_ids(catalog: Catalog, sample_ids: Iterable[int]) -> set[int]:
    """Which of these sample versions are current: accepted (not superseded) and not withdrawn."""
    wanted = sorted(set(sample_ids))
    found: set[int] = set()
    with catalog.session() as session:
        for chunk in _chunks(wanted):
            found.update(
                session.scalars(
                    select(SampleRow.id)
                    .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
                    .where(
                        SampleRow.id.in_(chunk),
                        SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                        SampleRow.withdrawn.is_(False),
                    )
                )
            )
    return found


def _qc_query() -> Any:
    return (
        select(
            SampleQcRow,
            SampleRow.sample_key,
            SampleRow.submitter_sample_id,
            DepartmentRow.code,
            SubmissionVersionRow.status,
            SampleRow.withdrawn,
        )
        .join(SampleRow, SampleRow.id == SampleQcRow.sample_id)
        .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
        .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
    )


def _qc_record(row: Any) -> SampleQcRecord:
    qc_row, sample_key, submitter_sample_id, department, status, withdrawn = row
    return SampleQcRecord(
        sample_key=sample_key,
        submitter_sample_id=submitter_sample_id,
        department=department,
        batch_id=qc_row.batch_id,
        current=status == SubmissionStatus.ACCEPTED and not withdrawn,
        qc=_sample_qc(qc_row),
    )


def sample_qc_records(catalog: Catalog, *, flagged_only: bool = False) -> list[SampleQcRecord]:
    """QC of every current harmonised sample version (only the flagged ones, if asked), by department and id."""
    query = _qc_query().where(SubmissionVersionRow.status == SubmissionStatus.ACCEPTED, SampleRow.withdrawn.is_(False))
    if flagged_only:
        query = query.where(SampleQcRow.flagged.is_(True))
    with catalog.session() as session:
        rows = session.execute(query.order_by(DepartmentRow.code, SampleRow.submitter_sample_id)).all()
        return [_qc_record(row) for row in rows]


def sample_qc_history(catalog: Catalog, key: str) -> list[SampleQcRecord]:
    """QC of every harmonised version of a sample, by sample key (``SMP-…``) or the department's own id."""
    query = _qc_query().where((SampleRow.sample_key == key) | (SampleRow.submitter_sample_id == key))
    with catalog.session() as session:
        rows = session.execute(query.order_by(SampleRow.id)).all()
        keys = {row[1] for row in rows}
        if len(keys) > 1:
            raise Conflict(f"{key} names {len(keys)} samples in different departments; use the SMP- key")
        return [_qc_record(row) for row in rows]


# --- the frequency cohort ------------------------------------------------------------------------------------


def _platforms(session: Session, files_of: dict[int, int]) -> dict[int, str | None]:
    """Sample version id → the one platform behind its harmonised file: its runs, else its analysis inputs' runs."""
    sample_platforms: dict[int, set[str]] = defaultdict(set)
    file_platforms: dict[int, set[str]] = defaultdict(set)
    output, given = aliased(AnalysisFileRow), aliased(AnalysisFileRow)
    for chunk in _chunks(sorted(files_of)):
        for sample_id, platform in session.execute(
            select(RunRow.sample_id, RunRow.platform).where(RunRow.sample_id.in_(chunk))
        ):
            sample_platforms[sample_id].add(platform)
    for chunk in _chunks(sorted(set(files_of.values()))):
        for file_id, platform in session.execute(
            select(output.file_id, RunRow.platform)
            .join(given, (given.analysis_id == output.analysis_id) & (given.role == "input"))
            .join(FileRow, FileRow.id == given.file_id)
            .join(RunRow, RunRow.id == FileRow.run_id)
            .where(output.file_id.in_(chunk), output.role == "output")
        ):
            file_platforms[file_id].add(platform)
    found: dict[int, str | None] = {}
    for sample_id, file_id in files_of.items():
        found[sample_id] = None
        for candidates in (sample_platforms[sample_id], file_platforms[file_id]):
            if len(candidates) == 1:
                found[sample_id] = next(iter(candidates))
                break
    return found


def cohort_samples(catalog: Catalog) -> list[CohortSample]:
    """Every harmonised sample version with its labels, state and QC figures, by sample version id."""
    with catalog.session() as session:
        rows = session.execute(
            select(
                SampleRow.id,
                SampleRow.sample_key,
                SampleRow.withdrawn,
                PersonRow.pseudonym,
                PersonRow.research_opt_out,
                RegionRow.code,
                DepartmentRow.code,
                SubmissionVersionRow.submission_id,
                SubmissionVersionRow.version,
                SubmissionVersionRow.status,
                BatchSampleRow.batch_id,
                BatchSampleRow.file_id,
                VariantBatchRow.created_at,
                SampleQcRow,
            )
            .join(BatchSampleRow, BatchSampleRow.sample_id == SampleRow.id)
            .join(VariantBatchRow, VariantBatchRow.batch_id == BatchSampleRow.batch_id)
            .join(SampleQcRow, SampleQcRow.sample_id == SampleRow.id)
            .join(PersonRow, PersonRow.id == SampleRow.person_id)
            .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
            .join(RegionRow, RegionRow.id == DepartmentRow.region_id)
            .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
            .order_by(SampleRow.id)
        ).all()
        platforms = _platforms(session, {row[0]: row[11] for row in rows})
        keys = sorted({row[1] for row in rows})
        withdrawn_keys: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            withdrawn_keys.update(
                session.scalars(
                    select(SampleRow.sample_key)
                    .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
                    .where(
                        SampleRow.sample_key.in_(keys[start : start + _CHUNK]),
                        SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                        SampleRow.withdrawn.is_(True),
                    )
                )
            )
        cohort = []
        for row in rows:
            qc = _sample_qc(row[13])
            cohort.append(
                CohortSample(
                    sample_id=row[0],
                    sample_key=row[1],
                    pseudonym=row[3],
                    region=row[5],
                    department=row[6],
                    platform=platforms[row[0]],
                    sex=qc.ploidy_sex,
                    research_opt_out=row[4],
                    current=row[9] == SubmissionStatus.ACCEPTED and not row[2],
                    withdrawn=row[2] or row[1] in withdrawn_keys,
                    batch_id=row[10],
                    submission_id=row[7],
                    submission_version=row[8],
                    harmonised_at=_aware(row[12]),
                    qc_passed=not qc.flagged,
                    flags=qc.flags,
                    call_rate=qc.call_rate,
                    callable_bases=qc.callable_bases,
                    callable_fraction=qc.callable_fraction,
                    ti_tv=qc.ti_tv,
                    het_hom_ratio=qc.het_hom_ratio,
                )
            )
        return cohort
