"""Catalog reads and writes of harmonisation and the variant store; ORM rows never leave this module."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.orm import Session

from genomdb.catalog import relations as cat
from genomdb.db.engine import Database
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
from genomdb.variants.tables import BatchSampleRow, SampleQcRow, VariantBatchRow

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
            select(cat.analyses.c.id, cat.submission_versions.c.submission_id)
            .join(cat.submission_versions, cat.submission_versions.c.id == cat.analyses.c.submission_version_id)
            .where(cat.analyses.c.analysis_ref == ref, cat.submission_versions.c.status == SubmissionStatus.ACCEPTED)
        )
        if submission_id:
            query = query.where(cat.submission_versions.c.submission_id == submission_id)
        rows = session.execute(query).all()
        if not rows:
            raise NotFound(f"no analysis {name} in an accepted submission")
        if len(rows) > 1:
            submissions = ", ".join(sorted(str(row[1]) for row in rows))
            raise Conflict(f"analysis {ref} exists in several submissions ({submissions}); name it as SUB-…/{ref}")
        found.add(int(rows[0][0]))
    return found


def call_files_to_harmonise(db: Database, *, analyses: Sequence[str] | None = None) -> list[CallFile]:
    """One VCF/gVCF per current, not yet harmonised sample version (of the named analyses, if given).

    A sample version with several call files uses one on GRCh38 before others, a gVCF before a VCF, then the
    newest file.
    """
    with db.session() as session:
        query = (
            select(
                cat.samples.c.id,
                cat.samples.c.sample_key,
                cat.samples.c.submitter_sample_id,
                cat.departments.c.code,
                cat.persons.c.declared_sex,
                cat.analyses.c.id,
                cat.analyses.c.analysis_ref,
                cat.submission_versions.c.submission_id,
                cat.analyses.c.reference_build,
                cat.files.c.id,
                cat.files.c.file_ref,
                cat.files.c.format,
                cat.files.c.original_path,
                cat.files.c.sha256,
                cat.files.c.size,
                cat.files.c.facts,
            )
            .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
            .join(cat.departments, cat.departments.c.id == cat.samples.c.department_id)
            .join(cat.persons, cat.persons.c.id == cat.samples.c.person_id)
            .join(cat.analysis_samples, cat.analysis_samples.c.sample_id == cat.samples.c.id)
            .join(cat.analyses, cat.analyses.c.id == cat.analysis_samples.c.analysis_id)
            .join(
                cat.analysis_files,
                (cat.analysis_files.c.analysis_id == cat.analyses.c.id) & (cat.analysis_files.c.role == "output"),
            )
            .join(cat.files, cat.files.c.id == cat.analysis_files.c.file_id)
            .join(
                cat.file_samples,
                (cat.file_samples.c.file_id == cat.files.c.id) & (cat.file_samples.c.sample_id == cat.samples.c.id),
            )
            .where(
                cat.submission_versions.c.status == SubmissionStatus.ACCEPTED,
                cat.samples.c.withdrawn.is_(False),
                cat.files.c.format.in_(CALL_FILE_FORMATS),
                ~exists().where(BatchSampleRow.sample_id == cat.samples.c.id),
            )
            .order_by(cat.samples.c.id, cat.files.c.id)
        )
        if analyses:
            query = query.where(cat.analyses.c.id.in_(_resolve_analyses(session, analyses)))
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


def record_batch(db: Database, batch: NewBatch) -> None:
    """Register a written batch, its sample versions and their QC in one transaction."""
    try:
        with db.session() as session:
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


def registered_batch_ids(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(VariantBatchRow.batch_id)))


def variant_batches(db: Database) -> list[VariantBatch]:
    """Every registered batch, oldest first, with the ids of the sample versions it holds."""
    with db.session() as session:
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


def variant_store_counts(db: Database) -> dict[str, int]:
    """Row counts of the variant-store tables."""
    tables = {"variant_batches": VariantBatchRow, "batch_samples": BatchSampleRow, "sample_qc": SampleQcRow}
    with db.session() as session:
        return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}


def current_sample_ids(db: Database, sample_ids: Iterable[int]) -> set[int]:
    """Which of these sample versions are current: accepted (not superseded) and not withdrawn."""
    wanted = sorted(set(sample_ids))
    found: set[int] = set()
    with db.session() as session:
        for chunk in _chunks(wanted):
            found.update(
                session.scalars(
                    select(cat.samples.c.id)
                    .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
                    .where(
                        cat.samples.c.id.in_(chunk),
                        cat.submission_versions.c.status == SubmissionStatus.ACCEPTED,
                        cat.samples.c.withdrawn.is_(False),
                    )
                )
            )
    return found


def _qc_query() -> Any:
    return (
        select(
            SampleQcRow,
            cat.samples.c.sample_key,
            cat.samples.c.submitter_sample_id,
            cat.departments.c.code,
            cat.submission_versions.c.status,
            cat.samples.c.withdrawn,
        )
        .join(cat.samples, cat.samples.c.id == SampleQcRow.sample_id)
        .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
        .join(cat.departments, cat.departments.c.id == cat.samples.c.department_id)
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


def sample_qc_records(db: Database, *, flagged_only: bool = False) -> list[SampleQcRecord]:
    """QC of every current harmonised sample version (only the flagged ones, if asked), by department and id."""
    query = _qc_query().where(
        cat.submission_versions.c.status == SubmissionStatus.ACCEPTED, cat.samples.c.withdrawn.is_(False)
    )
    if flagged_only:
        query = query.where(SampleQcRow.flagged.is_(True))
    with db.session() as session:
        rows = session.execute(query.order_by(cat.departments.c.code, cat.samples.c.submitter_sample_id)).all()
        return [_qc_record(row) for row in rows]


def sample_qc_history(db: Database, key: str) -> list[SampleQcRecord]:
    """QC of every harmonised version of a sample, by sample key (``SMP-…``) or the department's own id."""
    query = _qc_query().where((cat.samples.c.sample_key == key) | (cat.samples.c.submitter_sample_id == key))
    with db.session() as session:
        rows = session.execute(query.order_by(cat.samples.c.id)).all()
        keys = {row[1] for row in rows}
        if len(keys) > 1:
            raise Conflict(f"{key} names {len(keys)} samples in different departments; use the SMP- key")
        return [_qc_record(row) for row in rows]


# --- the frequency cohort ------------------------------------------------------------------------------------


def _platforms(session: Session, files_of: dict[int, int]) -> dict[int, str | None]:
    """Sample version id → the one platform behind its harmonised file: its runs, else its analysis inputs' runs."""
    sample_platforms: dict[int, set[str]] = defaultdict(set)
    file_platforms: dict[int, set[str]] = defaultdict(set)
    output, given = cat.analysis_files.alias("output"), cat.analysis_files.alias("given")
    for chunk in _chunks(sorted(files_of)):
        for sample_id, platform in session.execute(
            select(cat.runs.c.sample_id, cat.runs.c.platform).where(cat.runs.c.sample_id.in_(chunk))
        ):
            sample_platforms[sample_id].add(platform)
    for chunk in _chunks(sorted(set(files_of.values()))):
        for file_id, platform in session.execute(
            select(output.c.file_id, cat.runs.c.platform)
            .join(given, (given.c.analysis_id == output.c.analysis_id) & (given.c.role == "input"))
            .join(cat.files, cat.files.c.id == given.c.file_id)
            .join(cat.runs, cat.runs.c.id == cat.files.c.run_id)
            .where(output.c.file_id.in_(chunk), output.c.role == "output")
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


def cohort_samples(db: Database) -> list[CohortSample]:
    """Every harmonised sample version with its labels, state and QC figures, by sample version id."""
    with db.session() as session:
        rows = session.execute(
            select(
                cat.samples.c.id,
                cat.samples.c.sample_key,
                cat.samples.c.withdrawn,
                cat.persons.c.pseudonym,
                cat.persons.c.research_opt_out,
                cat.regions.c.code,
                cat.departments.c.code,
                cat.submission_versions.c.submission_id,
                cat.submission_versions.c.version,
                cat.submission_versions.c.status,
                BatchSampleRow.batch_id,
                BatchSampleRow.file_id,
                VariantBatchRow.created_at,
                SampleQcRow.ploidy_sex,
                SampleQcRow.flags,
                SampleQcRow.call_rate,
                SampleQcRow.callable_bases,
                SampleQcRow.callable_fraction,
                SampleQcRow.ti_tv,
                SampleQcRow.het_hom_ratio,
            )
            .join(BatchSampleRow, BatchSampleRow.sample_id == cat.samples.c.id)
            .join(VariantBatchRow, VariantBatchRow.batch_id == BatchSampleRow.batch_id)
            .join(SampleQcRow, SampleQcRow.sample_id == cat.samples.c.id)
            .join(cat.persons, cat.persons.c.id == cat.samples.c.person_id)
            .join(cat.departments, cat.departments.c.id == cat.samples.c.department_id)
            .join(cat.regions, cat.regions.c.id == cat.departments.c.region_id)
            .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
            .order_by(cat.samples.c.id)
        ).all()
        platforms = _platforms(session, {row[0]: row[11] for row in rows})
        keys = sorted({row[1] for row in rows})
        withdrawn_keys: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            withdrawn_keys.update(
                session.scalars(
                    select(cat.samples.c.sample_key)
                    .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
                    .where(
                        cat.samples.c.sample_key.in_(keys[start : start + _CHUNK]),
                        cat.submission_versions.c.status == SubmissionStatus.ACCEPTED,
                        cat.samples.c.withdrawn.is_(True),
                    )
                )
            )
        cohort = []
        for row in rows:  # the QC columns only: loading whole QC rows as ORM objects cost more than the query
            flags = tuple(str(flag) for flag in row[14])
            cohort.append(
                CohortSample(
                    sample_id=row[0],
                    sample_key=row[1],
                    pseudonym=row[3],
                    region=row[5],
                    department=row[6],
                    platform=platforms[row[0]],
                    sex=row[13],
                    research_opt_out=row[4],
                    current=row[9] == SubmissionStatus.ACCEPTED and not row[2],
                    withdrawn=row[2] or row[1] in withdrawn_keys,
                    batch_id=row[10],
                    submission_id=row[7],
                    submission_version=row[8],
                    harmonised_at=_aware(row[12]),
                    qc_passed=not flags,
                    flags=flags,
                    call_rate=row[15],
                    callable_bases=row[16],
                    callable_fraction=row[17],
                    ti_tv=row[18],
                    het_hom_ratio=row[19],
                )
            )
        return cohort
