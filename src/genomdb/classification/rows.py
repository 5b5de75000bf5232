"""Mapping between the classification tables and domain records, and the queries the reader and writer share."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Row, Select, Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from genomdb.classification.acmg import AcmgClass, Criterion, parse_criterion
from genomdb.classification.model import (
    AggregateTerm,
    AssertionStatus,
    AssertionVersion,
    Condition,
    ConflictCase,
    ConflictEvent,
    ConflictState,
    ConsensusCategory,
    Crossing,
    CrossingDirection,
    InheritanceMode,
)
from genomdb.classification.tables import (
    ClassificationAssertionRow,
    ClassificationConflictEventRow,
    ClassificationConflictRow,
    ClassificationCrossingRow,
    ClassificationVersionRow,
)
from genomdb.db.base import Base

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


def _trigger_labels(session: Session, version_pks: Sequence[int]) -> dict[int, str]:
    labels: dict[int, str] = {}
    for chunk in _chunks(sorted(set(version_pks))):
        for pk, assertion_id, version in session.execute(
            select(
                ClassificationVersionRow.id,
                ClassificationAssertionRow.assertion_id,
                ClassificationVersionRow.version,
            )
            .join(ClassificationAssertionRow, ClassificationAssertionRow.id == ClassificationVersionRow.assertion_pk)
            .where(ClassificationVersionRow.id.in_(chunk))
        ):
            labels[pk] = f"{assertion_id}/v{version}"
    return labels


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
    labels = _trigger_labels(session, [row.opened_by_version_pk for row in rows] if with_history else [])
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
