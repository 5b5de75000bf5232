"""Reads and writes of the national variant database's tables; ORM rows never leave this module.

Writes go through :meth:`ClassificationRepository.writing`, one transaction in which the service reads the
current state, decides, and records versions, conflict cases, crossings and worklists together. Writers are
serialised (an advisory lock on PostgreSQL, the database write lock on SQLite) so that two departments recording
at the same moment cannot both open a case for the same disagreement.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Row, Select, Table, and_, bindparam, func, insert, select, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from genomdb.catalog.classification_tables import (
    ClassificationAssertionRow,
    ClassificationConflictEventRow,
    ClassificationConflictRow,
    ClassificationCrossingRow,
    ClassificationFrequencyThresholdRow,
    ClassificationImportRow,
    ClassificationSequenceDigestRow,
    ClassificationVersionRow,
    ClassificationWorklistEntryRow,
)
from genomdb.catalog.repository import Catalog
from genomdb.catalog.tables import Base, DepartmentRow, PersonRow, SampleRow, SubmissionVersionRow, utcnow
from genomdb.classification.acmg import AcmgClass, Criterion, format_criteria, parse_criterion
from genomdb.classification.frequency_evidence import FrequencyThresholds
from genomdb.classification.model import (
    AggregateTerm,
    AssertionStatus,
    AssertionVersion,
    CarrierSample,
    Condition,
    ConflictCase,
    ConflictEvent,
    ConflictState,
    ConsensusCategory,
    Crossing,
    CrossingDirection,
    InheritanceMode,
    PlannedConflict,
    PlannedConflictUpdate,
    PlannedCrossing,
    PlannedVersion,
    RecontactWorklist,
    WorklistEntry,
)
from genomdb.errors import Conflict, NotFound, Unavailable
from genomdb.model.catalog import SubmissionStatus

_IN_CHUNK = 500
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
_WRITER_LOCK_KEY = 0x6E647663  # an arbitrary constant naming "the classification writer" for pg_advisory_xact_lock


def new_id(prefix: str) -> str:
    """A random public id (64 bits, base32): ``CLS-…``, ``CNF-…``, ``RCX-…``, ``IMP-…``."""
    return prefix + base64.b32encode(secrets.token_bytes(8)).decode("ascii").rstrip("=")


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@lru_cache(maxsize=4096)
def _criteria(text_value: str) -> tuple[Criterion, ...]:
    return tuple(parse_criterion(label) for label in text_value.split(",") if label)


def _table(row_class: type[Base]) -> Table:
    """The Core table of a row class: bulk inserts go through Core (executemany), not the ORM unit of work."""
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_VERSION_COLUMNS = (
    ClassificationVersionRow.id,
    ClassificationAssertionRow.assertion_id,
    ClassificationVersionRow.version,
    ClassificationVersionRow.department_id,
    ClassificationVersionRow.status,
    ClassificationVersionRow.variant_key,
    ClassificationVersionRow.vrs_allele_id,
    ClassificationVersionRow.acmg_class,
    ClassificationVersionRow.condition_name,
    ClassificationVersionRow.condition_id,
    ClassificationVersionRow.inheritance,
    ClassificationVersionRow.criteria,
    ClassificationVersionRow.supported_class,
    ClassificationVersionRow.evidence,
    ClassificationVersionRow.classifier,
    ClassificationVersionRow.asserted_on,
    ClassificationVersionRow.recorded_at,
    ClassificationVersionRow.gene,
    ClassificationVersionRow.transcript,
    ClassificationVersionRow.hgvs_c,
    ClassificationVersionRow.hgvs_p,
    ClassificationVersionRow.reason,
    ClassificationVersionRow.source,
)


def _versions_select() -> AnySelect:
    return select(*_VERSION_COLUMNS).join(
        ClassificationAssertionRow, ClassificationAssertionRow.id == ClassificationVersionRow.assertion_pk
    )


_CLASSES = {cls.value: cls for cls in AcmgClass}
_STATUSES = {status.value: status for status in AssertionStatus}
_INHERITANCE = {mode.value: mode for mode in InheritanceMode}


def _version(row: Row[Any], departments: dict[int, str]) -> AssertionVersion:
    return AssertionVersion(
        assertion_id=row.assertion_id,
        version=row.version,
        department=departments[row.department_id],
        status=_STATUSES[row.status],
        variant_key=row.variant_key,
        vrs_allele_id=row.vrs_allele_id,
        acmg_class=_CLASSES[row.acmg_class],
        condition=Condition(row.condition_name, row.condition_id),
        inheritance=_INHERITANCE[row.inheritance],
        criteria=_criteria(row.criteria),
        supported_class=_CLASSES[row.supported_class],
        evidence=row.evidence,
        classifier=row.classifier,
        asserted_on=row.asserted_on,
        recorded_at=_aware(row.recorded_at),
        gene=row.gene,
        transcript=row.transcript,
        hgvs_c=row.hgvs_c,
        hgvs_p=row.hgvs_p,
        reason=row.reason,
        source=row.source,
    )


_CURRENT = _versions_select().where(ClassificationVersionRow.version == ClassificationAssertionRow.current_version)
"""The current version of each assertion, through the assertion's pointer."""
_VARIANT_NOW = _CURRENT.where(ClassificationAssertionRow.variant_key == bindparam("key"))
_LATEST_AT = (
    select(ClassificationVersionRow.assertion_pk, func.max(ClassificationVersionRow.version).label("version"))
    .where(
        ClassificationVersionRow.variant_key == bindparam("key"),
        ClassificationVersionRow.recorded_at <= bindparam("at"),
    )
    .group_by(ClassificationVersionRow.assertion_pk)
    .subquery()
)
_VARIANT_AT = _versions_select().join(
    _LATEST_AT,
    and_(
        _LATEST_AT.c.assertion_pk == ClassificationVersionRow.assertion_pk,
        _LATEST_AT.c.version == ClassificationVersionRow.version,
    ),
)
"""Which version of each assertion about one variant stood at a moment: the newest version number per assertion
from the (variant_key, recorded_at, assertion_pk, version) index alone, then those rows by (assertion_pk, version)."""


def _latest_per_assertion(rows: Iterable[Row[Any]]) -> list[Row[Any]]:
    latest: dict[str, Row[Any]] = {}
    for row in rows:
        kept = latest.get(row.assertion_id)
        if kept is None or row.version > kept.version:
            latest[row.assertion_id] = row
    return list(latest.values())


def _time_filters(query: AnySelect, known_at: dt.datetime | None, valid_on: dt.date | None) -> AnySelect:
    if known_at is not None:
        query = query.where(ClassificationVersionRow.recorded_at <= _utc(known_at))
    if valid_on is not None:
        query = query.where(ClassificationVersionRow.asserted_on <= valid_on)
    return query


class ClassificationRepository:
    """The national variant database's storage, on the instance's catalog (SQLite or PostgreSQL)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._department_codes: dict[int, str] = {}

    @property
    def backend(self) -> str:
        return self._catalog.backend

    def _departments(self, session: Session, *, refresh: bool = False) -> dict[int, str]:
        if refresh or not self._department_codes:
            self._department_codes = {
                row[0]: row[1] for row in session.execute(select(DepartmentRow.id, DepartmentRow.code))
            }
        return self._department_codes

    def _department_id(self, session: Session, code: str) -> int:
        for refresh in (False, True):
            for department_id, known in self._departments(session, refresh=refresh).items():
                if known == code:
                    return department_id
        raise NotFound(f"no department {code}: `genomdb catalog` knows the departments seeded at init")

    def department_exists(self, code: str) -> bool:
        with self._catalog.session() as session:
            try:
                self._department_id(session, code)
            except NotFound:
                return False
            return True

    # --- assertion versions -----------------------------------------------------------------------------

    def versions_for_variant(self, variant_key: str, *, known_at: dt.datetime | None = None) -> list[AssertionVersion]:
        """Every version of every assertion about a variant recorded up to ``known_at``, oldest first."""
        with self._catalog.session() as session:
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
            with self._catalog.engine.connect() as connection:
                rows = connection.execute(statement, parameters).all()
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None
        departments = self._department_codes
        if any(row.department_id not in departments for row in rows):
            with self._catalog.session() as session:
                departments = self._departments(session, refresh=True)
        return [_version(row, departments) for row in rows]

    def versions_for_vrs_id(self, vrs_allele_id: str) -> list[AssertionVersion]:
        """Versions about the variant with this VRS Allele identifier (``ga4gh:VA.…``)."""
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
            return {name: int(session.scalar(select(func.count()).select_from(t)) or 0) for name, t in tables.items()}

    # --- conflicts ----------------------------------------------------------------------------------------

    def conflicts(
        self,
        *,
        states: Iterable[ConflictState] | None = None,
        department: str | None = None,
        variant_key: str | None = None,
    ) -> list[ConflictCase]:
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
            department_id = self._department_id(session, department)
            query = (
                select(
                    ClassificationCrossingRow,
                    PersonRow.pseudonym,
                    SampleRow.sample_key,
                    SampleRow.submitter_sample_id,
                    ClassificationWorklistEntryRow.alt_count,
                )
                .join(
                    ClassificationWorklistEntryRow,
                    ClassificationWorklistEntryRow.crossing_pk == ClassificationCrossingRow.id,
                )
                .join(PersonRow, PersonRow.id == ClassificationWorklistEntryRow.person_id)
                .join(SampleRow, SampleRow.id == ClassificationWorklistEntryRow.sample_id)
                .where(
                    ClassificationWorklistEntryRow.department_id == department_id,
                    SampleRow.department_id == department_id,
                )
                .order_by(ClassificationCrossingRow.at, ClassificationCrossingRow.id, SampleRow.submitter_sample_id)
            )
            if variant_key is not None:
                query = query.where(ClassificationCrossingRow.variant_key == variant_key)
            grouped: dict[int, tuple[Crossing, list[WorklistEntry]]] = {}
            triggers = self._trigger_labels(session, [row[0].trigger_version_pk for row in session.execute(query)])
            for crossing_row, pseudonym, sample_key, submitter_sample_id, alt_count in session.execute(query):
                if crossing_row.id not in grouped:
                    grouped[crossing_row.id] = (_crossing(crossing_row, triggers), [])
                grouped[crossing_row.id][1].append(WorklistEntry(pseudonym, sample_key, submitter_sample_id, alt_count))
            return [RecontactWorklist(department, crossing, tuple(entries)) for crossing, entries in grouped.values()]

    def crossings(self, *, variant_key: str | None = None) -> list[Crossing]:
        with self._catalog.session() as session:
            query = select(ClassificationCrossingRow).order_by(
                ClassificationCrossingRow.at, ClassificationCrossingRow.id
            )
            if variant_key is not None:
                query = query.where(ClassificationCrossingRow.variant_key == variant_key)
            rows = list(session.scalars(query))
            triggers = self._trigger_labels(session, [row.trigger_version_pk for row in rows])
            return [_crossing(row, triggers) for row in rows]

    @staticmethod
    def _trigger_labels(session: Session, version_pks: Sequence[int]) -> dict[int, str]:
        labels: dict[int, str] = {}
        for chunk in _chunks(sorted(set(version_pks))):
            for pk, assertion_id, version in session.execute(
                select(
                    ClassificationVersionRow.id,
                    ClassificationAssertionRow.assertion_id,
                    ClassificationVersionRow.version,
                )
                .join(
                    ClassificationAssertionRow, ClassificationAssertionRow.id == ClassificationVersionRow.assertion_pk
                )
                .where(ClassificationVersionRow.id.in_(chunk))
            ):
                labels[pk] = f"{assertion_id}/v{version}"
        return labels

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
        with self._catalog.session() as session:
            keys: dict[int, str] = {}
            for chunk in _chunks(all_ids):
                for sample_id, sample_key in session.execute(
                    select(SampleRow.id, SampleRow.sample_key).where(SampleRow.id.in_(chunk))
                ):
                    keys[sample_id] = sample_key
            current: dict[str, tuple[int, str, str, str]] = {}
            for chunk in _chunks(sorted(set(keys.values()))):
                for sample_id, sample_key, submitter_sample_id, department, pseudonym in session.execute(
                    select(
                        SampleRow.id,
                        SampleRow.sample_key,
                        SampleRow.submitter_sample_id,
                        DepartmentRow.code,
                        PersonRow.pseudonym,
                    )
                    .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
                    .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
                    .join(PersonRow, PersonRow.id == SampleRow.person_id)
                    .where(
                        SampleRow.sample_key.in_(chunk),
                        SubmissionVersionRow.status == SubmissionStatus.ACCEPTED,
                        SampleRow.withdrawn.is_(False),
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
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
        with self._catalog.session() as session:
            row = session.get(ClassificationSequenceDigestRow, (build, contig))
            return row.refget_accession if row is not None and row.fingerprint == fingerprint else None

    def save_sequence_digest(self, build: str, contig: str, fingerprint: str, length: int, accession: str) -> None:
        with self._catalog.session() as session:
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
            with self._catalog.session() as session:
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


class ClassificationWriter:
    """The write side of one transaction; returns domain records only."""

    def __init__(self, session: Session, departments: dict[int, str]) -> None:
        self._session = session
        self._departments = departments
        self._department_ids = {code: department_id for department_id, code in departments.items()}
        self._version_pks: dict[tuple[str, int], int] = {}
        self._conflict_rows: dict[str, ClassificationConflictRow] = {}

    def department_id(self, code: str) -> int:
        found = self._department_ids.get(code)
        if found is None:
            raise NotFound(f"no department {code}")
        return found

    def current_versions(self, variant_keys: Iterable[str]) -> dict[str, list[AssertionVersion]]:
        """The latest version of every assertion about these variants, by variant key."""
        keys = sorted(set(variant_keys))
        rows: list[Row[Any]] = []
        for chunk in _chunks(keys):
            rows.extend(self._session.execute(_CURRENT.where(ClassificationAssertionRow.variant_key.in_(chunk))))
        found: dict[str, list[AssertionVersion]] = {key: [] for key in keys}
        for row in rows:
            self._version_pks[(row.assertion_id, row.version)] = row.id
            found[row.variant_key].append(_version(row, self._departments))
        return found

    def current_assertion(self, assertion_id: str) -> AssertionVersion:
        rows = self._session.execute(
            _versions_select().where(ClassificationAssertionRow.assertion_id == assertion_id)
        ).all()
        if not rows:
            raise NotFound(f"no assertion {assertion_id}")
        row = max(rows, key=lambda r: r.version)
        return _version(row, self._departments)

    def record_import(
        self,
        *,
        department: str,
        file_name: str,
        sha256: str,
        file_format: str,
        n_rows: int,
        n_new: int,
        at: dt.datetime,
    ) -> tuple[int, str]:
        row = ClassificationImportRow(
            import_id=new_id("IMP-"),
            department_id=self.department_id(department),
            file_name=file_name,
            file_sha256=sha256,
            file_format=file_format,
            n_rows=n_rows,
            n_new_versions=n_new,
            recorded_at=_utc(at),
        )
        self._session.add(row)
        self._session.flush()
        return row.id, row.import_id

    def insert_versions(
        self, planned: Sequence[PlannedVersion], *, import_pk: int | None = None
    ) -> list[AssertionVersion]:
        """Record new versions (and the assertions of those that start one) in bulk."""
        if not planned:
            return []
        new_assertions = [p for p in planned if p.assertion_id is None]
        assertion_ids = [new_id("CLS-") for _ in new_assertions]
        assertion_pks: dict[str, int] = {}
        if new_assertions:
            returned = self._session.execute(
                insert(_table(ClassificationAssertionRow)).returning(
                    ClassificationAssertionRow.id, ClassificationAssertionRow.assertion_id
                ),
                [
                    {
                        "assertion_id": assertion_id,
                        "department_id": self.department_id(p.department),
                        "variant_key": p.variant_key,
                        "condition_key": p.condition_key,
                        "current_version": p.version,
                        "created_at": _utc(p.recorded_at),
                    }
                    for assertion_id, p in zip(assertion_ids, new_assertions, strict=True)
                ],
            )
            assertion_pks.update({assertion_id: pk for pk, assertion_id in returned})
        existing = sorted({p.assertion_id for p in planned if p.assertion_id is not None})
        for chunk in _chunks(existing):
            assertion_pks.update(
                (assertion_id, pk)
                for pk, assertion_id in self._session.execute(
                    select(ClassificationAssertionRow.id, ClassificationAssertionRow.assertion_id).where(
                        ClassificationAssertionRow.assertion_id.in_(chunk)
                    )
                )
            )
        fresh = iter(assertion_ids)
        resolved = [p.assertion_id if p.assertion_id is not None else next(fresh) for p in planned]
        parameters = [
            {
                "assertion_pk": assertion_pks[assertion_id],
                "version": p.version,
                "status": p.status.value,
                "department_id": self.department_id(p.department),
                "variant_key": p.variant_key,
                "vrs_allele_id": p.vrs_allele_id,
                "acmg_class": p.acmg_class.value,
                "supported_class": p.supported_class.value,
                "criteria": format_criteria(p.criteria),
                "condition_name": p.condition.name,
                "condition_id": p.condition.ontology_id,
                "inheritance": p.inheritance.value,
                "gene": p.gene,
                "transcript": p.transcript,
                "hgvs_c": p.hgvs_c,
                "hgvs_p": p.hgvs_p,
                "evidence": p.evidence,
                "classifier": p.classifier,
                "asserted_on": p.asserted_on,
                "recorded_at": _utc(p.recorded_at),
                "reason": p.reason,
                "source": p.source,
                "import_pk": import_pk,
            }
            for assertion_id, p in zip(resolved, planned, strict=True)
        ]
        moved = [
            {"id": assertion_pks[p.assertion_id], "current_version": p.version}
            for p in planned
            if p.assertion_id is not None
        ]
        if moved:
            self._session.execute(update(ClassificationAssertionRow), moved)
        pk_by_assertion_pk = {pk: assertion_id for assertion_id, pk in assertion_pks.items()}
        returned_versions = self._session.execute(
            insert(_table(ClassificationVersionRow)).returning(
                ClassificationVersionRow.id, ClassificationVersionRow.assertion_pk, ClassificationVersionRow.version
            ),
            parameters,
        )
        for pk, assertion_pk, version in returned_versions:
            self._version_pks[(pk_by_assertion_pk[assertion_pk], version)] = pk
        return [
            AssertionVersion(
                assertion_id=assertion_id,
                version=p.version,
                department=p.department,
                status=p.status,
                variant_key=p.variant_key,
                vrs_allele_id=p.vrs_allele_id,
                acmg_class=p.acmg_class,
                condition=p.condition,
                inheritance=p.inheritance,
                criteria=p.criteria,
                supported_class=p.supported_class,
                evidence=p.evidence,
                classifier=p.classifier,
                asserted_on=p.asserted_on,
                recorded_at=_utc(p.recorded_at),
                gene=p.gene,
                transcript=p.transcript,
                hgvs_c=p.hgvs_c,
                hgvs_p=p.hgvs_p,
                reason=p.reason,
                source=p.source,
            )
            for assertion_id, p in zip(resolved, planned, strict=True)
        ]

    # conflicts

    def unresolved_conflicts(self, variant_keys: Iterable[str]) -> dict[str, ConflictCase]:
        rows: list[ClassificationConflictRow] = []
        for chunk in _chunks(sorted(set(variant_keys))):
            rows.extend(
                self._session.scalars(
                    select(ClassificationConflictRow).where(
                        ClassificationConflictRow.variant_key.in_(chunk),
                        ClassificationConflictRow.state != ConflictState.RESOLVED.value,
                    )
                )
            )
        self._conflict_rows.update({row.conflict_id: row for row in rows})
        return {case.variant_key: case for case in _conflict_cases(self._session, rows, with_history=False)}

    def last_conflict_signatures(self, variant_keys: Iterable[str]) -> dict[str, str]:
        """The signature of the most recent case of each variant (any state)."""
        found: dict[str, tuple[dt.datetime, int, str]] = {}
        for chunk in _chunks(sorted(set(variant_keys))):
            for key, opened_at, pk, signature in self._session.execute(
                select(
                    ClassificationConflictRow.variant_key,
                    ClassificationConflictRow.opened_at,
                    ClassificationConflictRow.id,
                    ClassificationConflictRow.signature,
                ).where(ClassificationConflictRow.variant_key.in_(chunk))
            ):
                moment = (_aware(opened_at), pk, signature)
                if key not in found or moment[:2] > found[key][:2]:
                    found[key] = moment
        return {key: value[2] for key, value in found.items()}

    def open_conflicts(self, cases: Sequence[PlannedConflict], *, at: dt.datetime) -> list[str]:
        """Open conflict cases (state open), each with its first event."""
        if not cases:
            return []
        conflict_ids = [new_id("CNF-") for _ in cases]
        returned = self._session.execute(
            insert(_table(ClassificationConflictRow)).returning(
                ClassificationConflictRow.id, ClassificationConflictRow.conflict_id
            ),
            [
                {
                    "conflict_id": conflict_id,
                    "variant_key": case.variant_key,
                    "category": case.category.value,
                    "departments": list(case.departments),
                    "classes": [list(pair) for pair in case.classes],
                    "signature": case.signature,
                    "state": ConflictState.OPEN.value,
                    "opened_at": _utc(at),
                    "opened_by_version_pk": self._version_pk(case.trigger),
                    "updated_at": _utc(at),
                }
                for conflict_id, case in zip(conflict_ids, cases, strict=True)
            ],
        )
        pks = {conflict_id: pk for pk, conflict_id in returned}
        self._session.execute(
            insert(_table(ClassificationConflictEventRow)),
            [
                {
                    "conflict_pk": pks[conflict_id],
                    "at": _utc(at),
                    "state": ConflictState.OPEN.value,
                    "actor": "genomdb",
                    "note": case.note,
                }
                for conflict_id, case in zip(conflict_ids, cases, strict=True)
            ],
        )
        return conflict_ids

    def update_conflicts(self, updates: Sequence[PlannedConflictUpdate], *, at: dt.datetime) -> None:
        """Record changed disagreements of unresolved cases (and resolve those whose disagreement went away)."""
        if not updates:
            return
        missing = sorted({u.conflict_id for u in updates} - set(self._conflict_rows))
        for chunk in _chunks(missing):
            for loaded in self._session.scalars(
                select(ClassificationConflictRow).where(ClassificationConflictRow.conflict_id.in_(chunk))
            ):
                self._conflict_rows[loaded.conflict_id] = loaded
        events = []
        for update_ in updates:
            if update_.conflict_id not in self._conflict_rows:
                raise NotFound(f"no conflict case {update_.conflict_id}")
            row = self._conflict_rows[update_.conflict_id]
            row.category = update_.category.value
            row.departments = list(update_.departments)
            row.classes = [list(pair) for pair in update_.classes]
            row.signature = update_.signature
            row.updated_at = _utc(at)
            if update_.resolve_with is not None:
                row.state = ConflictState.RESOLVED.value
                row.resolution = update_.resolve_with
                row.resolved_at = _utc(at)
            events.append(
                {"conflict_pk": row.id, "at": _utc(at), "state": row.state, "actor": "genomdb", "note": update_.note}
            )
        self._session.flush()
        self._session.execute(insert(_table(ClassificationConflictEventRow)), events)

    # recontact

    def record_crossings(self, crossings: Sequence[PlannedCrossing], *, at: dt.datetime) -> list[Crossing]:
        """Crossings of the actionable boundary, and per department its own carriers as worklist entries."""
        if not crossings:
            return []
        crossing_ids = [new_id("RCX-") for _ in crossings]
        returned = self._session.execute(
            insert(_table(ClassificationCrossingRow)).returning(
                ClassificationCrossingRow.id, ClassificationCrossingRow.crossing_id
            ),
            [
                {
                    "crossing_id": crossing_id,
                    "variant_key": c.variant_key,
                    "direction": c.direction.value,
                    "before_term": c.before.value,
                    "after_term": c.after.value,
                    "trigger_version_pk": self._version_pk(c.trigger),
                    "at": _utc(at),
                }
                for crossing_id, c in zip(crossing_ids, crossings, strict=True)
            ],
        )
        pks = {crossing_id: pk for pk, crossing_id in returned}
        sample_ids = sorted({carrier.sample_id for c in crossings for carrier in c.carriers})
        person_ids: dict[int, int] = {}
        for chunk in _chunks(sample_ids):
            for sample_id, person_id in self._session.execute(
                select(SampleRow.id, SampleRow.person_id).where(SampleRow.id.in_(chunk))
            ):
                person_ids[sample_id] = person_id
        entries = [
            {
                "crossing_pk": pks[crossing_id],
                "department_id": self.department_id(carrier.department),
                "person_id": person_ids[carrier.sample_id],
                "sample_id": carrier.sample_id,
                "alt_count": carrier.alt_count,
            }
            for crossing_id, c in zip(crossing_ids, crossings, strict=True)
            for carrier in c.carriers
        ]
        if entries:
            self._session.execute(insert(_table(ClassificationWorklistEntryRow)), entries)
        return [
            Crossing(
                crossing_id=crossing_id,
                variant_key=c.variant_key,
                direction=c.direction,
                before=c.before,
                after=c.after,
                trigger=f"{c.trigger.assertion_id}/v{c.trigger.version}",
                at=_utc(at),
            )
            for crossing_id, c in zip(crossing_ids, crossings, strict=True)
        ]

    def _version_pk(self, version: AssertionVersion) -> int:
        key = (version.assertion_id, version.version)
        if key not in self._version_pks:
            pk = self._session.scalar(
                select(ClassificationVersionRow.id)
                .join(
                    ClassificationAssertionRow, ClassificationAssertionRow.id == ClassificationVersionRow.assertion_pk
                )
                .where(
                    and_(
                        ClassificationAssertionRow.assertion_id == version.assertion_id,
                        ClassificationVersionRow.version == version.version,
                    )
                )
            )
            if pk is None:
                raise NotFound(f"no version {version.assertion_id}/v{version.version}")
            self._version_pks[key] = pk
        return self._version_pks[key]


def _set_conflict_state(
    session: Session,
    row: ClassificationConflictRow,
    *,
    state: ConflictState,
    at: dt.datetime,
    actor: str,
    note: str,
    resolution: str | None,
) -> None:
    row.state = state.value
    row.updated_at = _utc(at)
    if state is ConflictState.RESOLVED:
        row.resolution = resolution
        row.resolved_at = _utc(at)
    session.add(
        ClassificationConflictEventRow(conflict_pk=row.id, at=_utc(at), state=state.value, actor=actor, note=note)
    )


def _conflict_cases(
    session: Session, rows: Sequence[ClassificationConflictRow], *, with_history: bool = True
) -> list[ConflictCase]:
    """Cases from rows; without history (events, the opening version) when only the current state matters."""
    if not rows:
        return []
    session.flush()
    events: dict[int, list[ConflictEvent]] = defaultdict(list)
    pks = [row.id for row in rows] if with_history else []
    for chunk in _chunks(pks):
        for event in session.scalars(
            select(ClassificationConflictEventRow)
            .where(ClassificationConflictEventRow.conflict_pk.in_(chunk))
            .order_by(ClassificationConflictEventRow.at, ClassificationConflictEventRow.id)
        ):
            events[event.conflict_pk].append(
                ConflictEvent(_aware(event.at), ConflictState(event.state), event.actor, event.note)
            )
    labels = ClassificationRepository._trigger_labels(
        session, [row.opened_by_version_pk for row in rows] if with_history else []
    )
    return [
        ConflictCase(
            conflict_id=row.conflict_id,
            variant_key=row.variant_key,
            category=ConsensusCategory(row.category),
            departments=tuple(row.departments),
            classes=tuple((str(pair[0]), str(pair[1])) for pair in row.classes),
            state=ConflictState(row.state),
            opened_at=_aware(row.opened_at),
            opened_by=labels.get(row.opened_by_version_pk, ""),
            updated_at=_aware(row.updated_at),
            resolution=row.resolution,
            resolved_at=_aware(row.resolved_at) if row.resolved_at else None,
            events=tuple(events[row.id]),
        )
        for row in rows
    ]


def _crossing(row: ClassificationCrossingRow, triggers: dict[int, str]) -> Crossing:
    return Crossing(
        crossing_id=row.crossing_id,
        variant_key=row.variant_key,
        direction=CrossingDirection(row.direction),
        before=AggregateTerm(row.before_term),
        after=AggregateTerm(row.after_term),
        trigger=triggers.get(row.trigger_version_pk, ""),
        at=_aware(row.at),
    )
