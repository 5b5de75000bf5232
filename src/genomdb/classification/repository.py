"""Reads and writes of the national variant database's tables; ORM rows never leave this module.

Writes go through :meth:`ClassificationRepository.writing`, one transaction in which the service reads the
current state, decides, and records versions, conflict cases, crossings and worklists together. Writers are
serialised (an advisory lock on PostgreSQL, the database write lock on SQLite) so that two departments recording
at the same moment cannot both open a case for the same disagreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from genomdb.catalog import relations as cat
from genomdb.classification.frequency_evidence import FrequencyThresholds
from genomdb.classification.model import (
    AssertionVersion,
    CarrierSample,
    ConflictCase,
    ConflictState,
    Crossing,
    RecontactWorklist,
    WorklistEntry,
)
from genomdb.classification.rows import (
    _CURRENT,
    _VARIANT_AT,
    _VARIANT_NOW,
    _WRITER_LOCK_KEY,
    _chunks,
    _conflict_cases,
    _crossing,
    _latest_per_assertion,
    _set_conflict_state,
    _time_filters,
    _trigger_labels,
    _utc,
    _version,
    _versions_select,
)
from genomdb.classification.tables import (
    ClassificationAssertionRow,
    ClassificationConflictRow,
    ClassificationCrossingRow,
    ClassificationFrequencyThresholdRow,
    ClassificationImportRow,
    ClassificationSequenceDigestRow,
    ClassificationVersionRow,
    ClassificationWorklistEntryRow,
)
from genomdb.classification.writer import ClassificationWriter
from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound, Unavailable
from genomdb.model.catalog import SubmissionStatus


class ClassificationRepository:
    """The national variant database's storage, on the instance's catalog (SQLite or PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._department_codes: dict[int, str] = {}

    @property
    def backend(self) -> str:
        return self._db.backend

    def _departments(self, session: Session, *, refresh: bool = False) -> dict[int, str]:
        if refresh or not self._department_codes:
            self._department_codes = {
                row[0]: row[1] for row in session.execute(select(cat.departments.c.id, cat.departments.c.code))
            }
        return self._department_codes

    def _department_id(self, session: Session, code: str) -> int:
        for refresh in (False, True):
            for department_id, known in self._departments(session, refresh=refresh).items():
                if known == code:
                    return department_id
        raise NotFound(f"no department {code}: `genomdb catalog` knows the departments seeded at init")

    def department_exists(self, code: str) -> bool:
        with self._db.session() as session:
            try:
                self._department_id(session, code)
            except NotFound:
                return False
            return True

    # --- assertion versions -----------------------------------------------------------------------------

    def versions_for_variant(self, variant_key: str, *, known_at: dt.datetime | None = None) -> list[AssertionVersion]:
        """Every version of every assertion about a variant recorded up to ``known_at``, oldest first."""
        with self._db.session() as session:
            query = _time_filters(
                _versions_select().where(ClassificationVersionRow.variant_key == variant_key), known_at, None
            )
            rows = session.execute(query).all()
            departments = self._departments(session)
            return sorted(
                (_version(row, departments) for row in rows), key=lambda v: (v.recorded_at, v.assertion_id, v.version)
            )

    def variant_versions_at(self, variant_key: str, known_at: dt.datetime | None) -> list[AssertionVersion]:
        """The latest version of each assertion about one variant as known at ``known_at`` (None: now).

        The hot path of as-of queries: one prepared statement (see ``_VARIANT_AT``) on a plain connection,
        without an ORM session.
        """
        parameters: dict[str, Any] = {"key": variant_key}
        statement = _VARIANT_NOW
        if known_at is not None:
            statement = _VARIANT_AT
            parameters["at"] = _utc(known_at)
        try:
            with self._db.engine.connect() as connection:
                rows = connection.execute(statement, parameters).all()
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None
        departments = self._department_codes
        if any(row.department_id not in departments for row in rows):
            with self._db.session() as session:
                departments = self._departments(session, refresh=True)
        return [_version(row, departments) for row in rows]

    def versions_for_vrs_id(self, vrs_allele_id: str) -> list[AssertionVersion]:
        """Versions about the variant with this VRS Allele identifier (``ga4gh:VA.…``)."""
        with self._db.session() as session:
            rows = session.execute(
                _versions_select().where(ClassificationVersionRow.vrs_allele_id == vrs_allele_id).limit(1)
            ).all()
            departments = self._departments(session)
            return [_version(row, departments) for row in rows]

    def current_versions(
        self,
        *,
        variant_keys: Sequence[str] | None = None,
        department: str | None = None,
        known_at: dt.datetime | None = None,
        valid_on: dt.date | None = None,
    ) -> list[AssertionVersion]:
        """The latest version of each assertion (withdrawals included) as known at ``known_at`` (transaction
        time) and, optionally, among versions the departments had made by ``valid_on`` (valid time)."""
        with self._db.session() as session:
            departments = self._departments(session)
            now = known_at is None and valid_on is None
            base = _CURRENT if now else _time_filters(_versions_select(), known_at, valid_on)
            if department is not None:
                base = base.where(ClassificationVersionRow.department_id == self._department_id(session, department))
            if variant_keys is None:
                rows = list(session.execute(base).all())
            else:
                rows = []
                for chunk in _chunks(sorted(set(variant_keys))):
                    rows.extend(session.execute(base.where(ClassificationVersionRow.variant_key.in_(chunk))).all())
            return [_version(row, departments) for row in (rows if now else _latest_per_assertion(rows))]

    def iter_current_versions(
        self, *, known_at: dt.datetime | None = None, batch_size: int = 20_000
    ) -> Iterator[list[AssertionVersion]]:
        """All current versions, grouped by variant and ordered by variant key, streamed in batches of variants."""
        latest = _time_filters(
            select(
                ClassificationVersionRow.id.label("version_pk"),
                func.row_number()
                .over(
                    partition_by=ClassificationVersionRow.assertion_pk, order_by=ClassificationVersionRow.version.desc()
                )
                .label("rank"),
            ),
            known_at,
            None,
        ).subquery()
        query = (
            _versions_select()
            .join(latest, latest.c.version_pk == ClassificationVersionRow.id)
            .where(latest.c.rank == 1)
            if known_at is not None
            else _CURRENT
        ).order_by(ClassificationVersionRow.variant_key, ClassificationAssertionRow.assertion_id)
        with self._db.session() as session:
            departments = self._departments(session)
            group: list[AssertionVersion] = []
            batch: list[AssertionVersion] = []
            for row in session.execute(query).yield_per(batch_size):
                version = _version(row, departments)
                if group and group[-1].variant_key != version.variant_key:
                    batch.extend(group)
                    group = []
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
                group.append(version)
            batch.extend(group)
            if batch:
                yield batch

    def assertion_history(self, assertion_id: str) -> list[AssertionVersion]:
        with self._db.session() as session:
            rows = session.execute(
                _versions_select()
                .where(ClassificationAssertionRow.assertion_id == assertion_id)
                .order_by(ClassificationVersionRow.version)
            ).all()
            if not rows:
                raise NotFound(f"no assertion {assertion_id}")
            departments = self._departments(session)
            return [_version(row, departments) for row in rows]

    def department_history(self, department: str, *, known_at: dt.datetime | None = None) -> list[AssertionVersion]:
        """Every version a department recorded, oldest first."""
        with self._db.session() as session:
            query = _time_filters(
                _versions_select().where(
                    ClassificationVersionRow.department_id == self._department_id(session, department)
                ),
                known_at,
                None,
            ).order_by(ClassificationVersionRow.recorded_at, ClassificationVersionRow.id)
            departments = self._departments(session)
            return [_version(row, departments) for row in session.execute(query).all()]

    def counts(self) -> dict[str, int]:
        tables = {
            "assertions": ClassificationAssertionRow,
            "versions": ClassificationVersionRow,
            "imports": ClassificationImportRow,
            "conflicts": ClassificationConflictRow,
            "crossings": ClassificationCrossingRow,
            "worklist_entries": ClassificationWorklistEntryRow,
        }
        with self._db.session() as session:
            return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}

    # --- conflicts ----------------------------------------------------------------------------------------

    def conflicts(
        self,
        *,
        states: Iterable[ConflictState] | None = None,
        department: str | None = None,
        variant_key: str | None = None,
    ) -> list[ConflictCase]:
        with self._db.session() as session:
            query = select(ClassificationConflictRow).order_by(ClassificationConflictRow.opened_at)
            if states is not None:
                query = query.where(ClassificationConflictRow.state.in_([s.value for s in states]))
            if variant_key is not None:
                query = query.where(ClassificationConflictRow.variant_key == variant_key)
            rows = list(session.scalars(query))
            if department is not None:
                rows = [row for row in rows if department in row.departments]
            return _conflict_cases(session, rows)

    def conflict(self, conflict_id: str) -> ConflictCase:
        with self._db.session() as session:
            row = session.scalar(
                select(ClassificationConflictRow).where(ClassificationConflictRow.conflict_id == conflict_id)
            )
            if row is None:
                raise NotFound(f"no conflict case {conflict_id}")
            return _conflict_cases(session, [row])[0]

    def change_conflict_state(
        self, conflict_id: str, *, state: ConflictState, actor: str, note: str, resolution: str | None, at: dt.datetime
    ) -> ConflictCase:
        """Move a case to another state with an event (a resolution needs its text)."""
        with self._db.session() as session:
            row = session.scalar(
                select(ClassificationConflictRow)
                .where(ClassificationConflictRow.conflict_id == conflict_id)
                .with_for_update()
            )
            if row is None:
                raise NotFound(f"no conflict case {conflict_id}")
            if row.state == ConflictState.RESOLVED and state is not ConflictState.RESOLVED:
                raise Conflict(f"{conflict_id} is resolved; a new disagreement opens a new case")
            _set_conflict_state(session, row, state=state, at=at, actor=actor, note=note, resolution=resolution)
            session.flush()
            return _conflict_cases(session, [row])[0]

    # --- recontact ----------------------------------------------------------------------------------------

    def worklists(self, department: str, *, variant_key: str | None = None) -> list[RecontactWorklist]:
        """A department's recontact worklists: only persons whose samples that department submitted."""
        with self._db.session() as session:
            department_id = self._department_id(session, department)
            query = (
                select(
                    ClassificationCrossingRow,
                    cat.persons.c.pseudonym,
                    cat.samples.c.sample_key,
                    cat.samples.c.submitter_sample_id,
                    ClassificationWorklistEntryRow.alt_count,
                )
                .join(
                    ClassificationWorklistEntryRow,
                    ClassificationWorklistEntryRow.crossing_pk == ClassificationCrossingRow.id,
                )
                .join(cat.persons, cat.persons.c.id == ClassificationWorklistEntryRow.person_id)
                .join(cat.samples, cat.samples.c.id == ClassificationWorklistEntryRow.sample_id)
                .where(
                    ClassificationWorklistEntryRow.department_id == department_id,
                    cat.samples.c.department_id == department_id,
                )
                .order_by(ClassificationCrossingRow.at, ClassificationCrossingRow.id, cat.samples.c.submitter_sample_id)
            )
            if variant_key is not None:
                query = query.where(ClassificationCrossingRow.variant_key == variant_key)
            grouped: dict[int, tuple[Crossing, list[WorklistEntry]]] = {}
            triggers = _trigger_labels(session, [row[0].trigger_version_pk for row in session.execute(query)])
            for crossing_row, pseudonym, sample_key, submitter_sample_id, alt_count in session.execute(query):
                if crossing_row.id not in grouped:
                    grouped[crossing_row.id] = (_crossing(crossing_row, triggers), [])
                grouped[crossing_row.id][1].append(WorklistEntry(pseudonym, sample_key, submitter_sample_id, alt_count))
            return [RecontactWorklist(department, crossing, tuple(entries)) for crossing, entries in grouped.values()]

    def crossings(self, *, variant_key: str | None = None) -> list[Crossing]:
        with self._db.session() as session:
            query = select(ClassificationCrossingRow).order_by(
                ClassificationCrossingRow.at, ClassificationCrossingRow.id
            )
            if variant_key is not None:
                query = query.where(ClassificationCrossingRow.variant_key == variant_key)
            rows = list(session.scalars(query))
            triggers = _trigger_labels(session, [row.trigger_version_pk for row in rows])
            return [_crossing(row, triggers) for row in rows]

    def carrier_samples(self, carriers: Mapping[str, Sequence[tuple[int, int]]]) -> dict[str, list[CarrierSample]]:
        """Map variant-store carriers (sample version id, alt count) per variant to current samples and the
        departments that submitted them.

        A carrier found in an older version of a sample is attributed to the current version of that sample;
        samples that are withdrawn or no longer current are dropped.
        """
        found: dict[str, list[CarrierSample]] = {key: [] for key in carriers}
        all_ids = sorted({sample_id for pairs in carriers.values() for sample_id, _ in pairs})
        if not all_ids:
            return found
        with self._db.session() as session:
            keys: dict[int, str] = {}
            for chunk in _chunks(all_ids):
                for sample_id, sample_key in session.execute(
                    select(cat.samples.c.id, cat.samples.c.sample_key).where(cat.samples.c.id.in_(chunk))
                ):
                    keys[sample_id] = sample_key
            current: dict[str, tuple[int, str, str, str]] = {}
            for chunk in _chunks(sorted(set(keys.values()))):
                for sample_id, sample_key, submitter_sample_id, department, pseudonym in session.execute(
                    select(
                        cat.samples.c.id,
                        cat.samples.c.sample_key,
                        cat.samples.c.submitter_sample_id,
                        cat.departments.c.code,
                        cat.persons.c.pseudonym,
                    )
                    .join(cat.submission_versions, cat.submission_versions.c.id == cat.samples.c.submission_version_id)
                    .join(cat.departments, cat.departments.c.id == cat.samples.c.department_id)
                    .join(cat.persons, cat.persons.c.id == cat.samples.c.person_id)
                    .where(
                        cat.samples.c.sample_key.in_(chunk),
                        cat.submission_versions.c.status == SubmissionStatus.ACCEPTED,
                        cat.samples.c.withdrawn.is_(False),
                    )
                ):
                    current[sample_key] = (sample_id, submitter_sample_id, department, pseudonym)
        for variant_key, pairs in carriers.items():
            alt_by_key: dict[str, int] = {}
            for sample_id, alt_count in pairs:
                carrier_key = keys.get(sample_id)
                if carrier_key is not None and carrier_key in current:
                    alt_by_key[carrier_key] = max(alt_by_key.get(carrier_key, 0), alt_count)
            found[variant_key] = sorted(
                (
                    CarrierSample(current[k][0], k, current[k][1], current[k][2], current[k][3], alt_count)
                    for k, alt_count in alt_by_key.items()
                ),
                key=lambda c: (c.department, c.submitter_sample_id),
            )
        return found

    # --- configuration and caches -----------------------------------------------------------------------

    def frequency_thresholds(self) -> dict[str, FrequencyThresholds]:
        """The instance's own thresholds by gene symbol (``*`` for the default)."""
        with self._db.session() as session:
            return {
                row.gene: FrequencyThresholds(
                    gene=None if row.gene == "*" else row.gene,
                    ba1_above=row.ba1_above,
                    bs1_above=row.bs1_above,
                    pm2_below=row.pm2_below,
                    pm2_label=row.pm2_label,
                    source=row.source,
                )
                for row in session.scalars(select(ClassificationFrequencyThresholdRow))
            }

    def set_frequency_thresholds(self, thresholds: FrequencyThresholds) -> None:
        gene = thresholds.gene.upper() if thresholds.gene else "*"
        with self._db.session() as session:
            row = session.get(ClassificationFrequencyThresholdRow, gene)
            if row is None:
                row = ClassificationFrequencyThresholdRow(gene=gene)
                session.add(row)
            row.ba1_above = thresholds.ba1_above
            row.bs1_above = thresholds.bs1_above
            row.pm2_below = thresholds.pm2_below
            row.pm2_label = thresholds.pm2_label
            row.source = thresholds.source
            row.updated_at = utcnow()

    def sequence_digest(self, build: str, contig: str, fingerprint: str) -> str | None:
        with self._db.session() as session:
            row = session.get(ClassificationSequenceDigestRow, (build, contig))
            return row.refget_accession if row is not None and row.fingerprint == fingerprint else None

    def save_sequence_digest(self, build: str, contig: str, fingerprint: str, length: int, accession: str) -> None:
        with self._db.session() as session:
            row = session.get(ClassificationSequenceDigestRow, (build, contig))
            if row is None:
                row = ClassificationSequenceDigestRow(build=build, contig=contig)
                session.add(row)
            row.fingerprint = fingerprint
            row.length = length
            row.refget_accession = accession
            row.computed_at = utcnow()

    # --- writes ----------------------------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[ClassificationWriter]:
        """One write transaction, serialised against other classification writers."""
        try:
            with self._db.session() as session:
                if self.backend == "postgresql":
                    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITER_LOCK_KEY})
                else:
                    # Any write statement takes SQLite's database write lock for the rest of the transaction.
                    session.execute(
                        update(ClassificationFrequencyThresholdRow)
                        .where(ClassificationFrequencyThresholdRow.gene.is_(None))
                        .values(gene=ClassificationFrequencyThresholdRow.gene)
                    )
                yield ClassificationWriter(session, self._departments(session, refresh=True))
        except sa_exc.IntegrityError as exc:
            raise Conflict(f"a concurrent write changed the same assertion; try again ({exc.orig})") from None
