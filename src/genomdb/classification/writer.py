"""The write side of the national variant database: one transaction's inserts and updates, as domain records.

Opened by :meth:`genomdb.classification.repository.ClassificationRepository.writing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, and_, insert, select, update
from sqlalchemy.orm import Session

from genomdb.catalog import relations as cat
from genomdb.classification.acmg import format_criteria
from genomdb.classification.model import (
    AssertionVersion,
    ConflictCase,
    ConflictState,
    Crossing,
    PlannedConflict,
    PlannedConflictUpdate,
    PlannedCrossing,
    PlannedVersion,
)
from genomdb.classification.rows import (
    _CURRENT,
    _aware,
    _chunks,
    _conflict_cases,
    _table,
    _utc,
    _version,
    _versions_select,
    new_id,
)
from genomdb.classification.tables import (
    ClassificationAssertionRow,
    ClassificationConflictEventRow,
    ClassificationConflictRow,
    ClassificationCrossingRow,
    ClassificationImportRow,
    ClassificationVersionRow,
    ClassificationWorklistEntryRow,
)
from genomdb.errors import NotFound


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
                select(cat.samples.c.id, cat.samples.c.person_id).where(cat.samples.c.id.in_(chunk))
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
