"""The national variant database: the one service every surface (CLI now, REST later) calls.

``ClassificationDatabase(instance)`` records departments' assertions (add, import, withdraw), answers what the
database says about a variant now or as of any moment (show, history, as_of, national_view), and keeps the
consequences in the same transaction as the versions that cause them: a conflict case when departments come to
disagree, and recontact worklists when the national view of a variant crosses the actionable (P/LP) boundary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from genomdb.classification.acmg import AcmgClass, combine_criteria
from genomdb.classification.alleles import AlleleResolver, ResolvedVariant
from genomdb.classification.consensus import consensus_terms, national_view
from genomdb.classification.exports import write_clinvar_submission, write_national_tsv, write_national_vcf
from genomdb.classification.frequency_evidence import (
    FrequencyObservation,
    FrequencySuggestion,
    FrequencyThresholds,
    propose_frequency_criteria,
    thresholds_for,
)
from genomdb.classification.imports import ParsedRow, read_export
from genomdb.classification.model import (
    AddOutcome,
    AggregateTerm,
    AssertionStatus,
    AssertionVersion,
    ConflictCase,
    ConflictState,
    Crossing,
    CrossingDirection,
    ImportOutcome,
    NationalView,
    NewAssertion,
    PlannedConflict,
    PlannedConflictUpdate,
    PlannedCrossing,
    PlannedVersion,
    RecontactWorklist,
    WriteOutcome,
)
from genomdb.classification.recontact import CarrierSource, carriers_of, default_carrier_source
from genomdb.classification.repository import ClassificationRepository
from genomdb.classification.variants import VariantKeyError, parse_variant_key
from genomdb.classification.writer import ClassificationWriter
from genomdb.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from genomdb.instance import Instance

Clock = Callable[[], dt.datetime]
Moment = dt.datetime | dt.date
_VRS_ID = re.compile(r"^ga4gh:VA\.[0-9A-Za-z_\-]{32}$")


class FrequencySource:
    """Looks up the national frequency of a variant; the default asks ``genomdb.frequency`` when it is there."""

    def __init__(self, instance: Instance) -> None:
        self._instance = instance

    def lookup(self, variant_key: str) -> FrequencyObservation | None:
        """The current release's counts and FAF95 for a variant, or None when there is no release."""
        from genomdb.classification.frequency_lookup import national_frequency

        return national_frequency(self._instance, variant_key)


@dataclass(frozen=True, slots=True)
class VariantReport:
    """Everything ``classify show`` shows: the national view, its conflict case and frequency suggestions."""

    national: NationalView
    conflict: ConflictCase | None
    frequency: FrequencyObservation | None
    suggestions: tuple[FrequencySuggestion, ...]


def known_at(moment: Moment | None) -> dt.datetime | None:
    """A transaction-time bound: a date means the end of that day (UTC), a naive datetime is UTC."""
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(moment, dt.time.max, tzinfo=dt.UTC)


def parse_moment(text: str | None, *, field: str = "as_of") -> Moment | None:
    """``2024-05-01`` → a date (the end of that day); ``2024-05-01T12:00`` (optionally with an offset) → a time.

    InvalidInput names ``field`` (the option or parameter the text came from).
    """
    if text is None or not text.strip():
        return None
    try:
        if len(text.strip()) == 10:
            return dt.date.fromisoformat(text.strip())
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"cannot read {field}",
            [Problem(field, "not a date or time", field=field, expected="YYYY-MM-DD or YYYY-MM-DDTHH:MM", found=text)],
        ) from None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _same_content(current: AssertionVersion, new: PlannedVersion, *, dated: bool) -> bool:
    """Whether a new assertion says what the current version says (the date only counts when one was given)."""
    return (
        current.status is AssertionStatus.ASSERTED
        and new.status is AssertionStatus.ASSERTED
        and current.acmg_class is new.acmg_class
        and set(current.criteria) == set(new.criteria)
        and current.condition == new.condition
        and current.inheritance is new.inheritance
        and current.evidence == new.evidence
        and current.classifier == new.classifier
        and (current.asserted_on == new.asserted_on or not dated)
        and (current.gene, current.transcript, current.hgvs_c, current.hgvs_p)
        == (new.gene, new.transcript, new.hgvs_c, new.hgvs_p)
    )


def _signature(versions: Sequence[AssertionVersion]) -> str:
    """What a disagreement is: which department holds which class group."""
    pairs = sorted({f"{v.department}={v.acmg_class.group.value}" for v in versions if not v.is_withdrawn})
    return ";".join(pairs)


def _classes(versions: Sequence[AssertionVersion]) -> list[tuple[str, str]]:
    return sorted({(v.department, v.acmg_class.abbreviation) for v in versions if not v.is_withdrawn})


def _describe(versions: Sequence[AssertionVersion]) -> str:
    return ", ".join(f"{department} {cls}" for department, cls in _classes(versions))


class ClassificationDatabase:
    """Departments' classifications, their history, the national view, conflicts and recontact worklists."""

    def __init__(
        self,
        instance: Instance,
        *,
        carriers: CarrierSource | None = None,
        frequency: FrequencySource | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._instance = instance
        self._repository = ClassificationRepository(instance.db)
        self._carriers = carriers
        self._frequency = frequency
        self._clock = clock or _utcnow
        self._resolver: AlleleResolver | None = None

    def close(self) -> None:
        if self._resolver is not None:
            self._resolver.close()
            self._resolver = None

    def __enter__(self) -> ClassificationDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- helpers ------------------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        moment = self._clock()
        return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    @property
    def resolver(self) -> AlleleResolver:
        """Variant normalisation and VRS identifiers on the instance's GRCh38 reference."""
        if self._resolver is None:
            self._resolver = AlleleResolver(
                self._instance.require_reference("GRCh38"),
                lookup=self._repository.sequence_digest,
                store=self._repository.save_sequence_digest,
            )
        return self._resolver

    def _carrier_source(self) -> CarrierSource:
        if self._carriers is None:
            self._carriers = default_carrier_source(self._instance)
        return self._carriers

    def _require_department(self, department: str) -> None:
        if not self._repository.department_exists(department):
            raise NotFound(f"no department {department}")

    def variant_key(self, variant: str) -> str:
        """The stored key for a variant written as a key or as its VRS identifier.

        An indel is normalised against the reference (when there is one); an SNV is its own key, so a look-up never
        reads the reference for one (an SNV whose REF does not match simply has no classifications).
        """
        text = variant.strip()
        if _VRS_ID.match(text):
            for version in self._repository.versions_for_vrs_id(text):
                return version.variant_key
            raise NotFound(f"no classification of {text}")
        try:
            key = parse_variant_key(text)
            if key.is_snv or (self._resolver is None and self._instance.reference_fasta("GRCh38") is None):
                return key.key
            return self.resolver.normalise(key).key
        except VariantKeyError as exc:
            raise InvalidInput(
                f"cannot read variant {text!r}",
                [Problem("variant", str(exc), field="variant", expected="chrom-pos-ref-alt on GRCh38", found=text)],
            ) from None

    def _plan(
        self, department: str, resolved: ResolvedVariant, assertion: NewAssertion, *, at: dt.datetime, source: str
    ) -> PlannedVersion:
        evaluation = combine_criteria(assertion.criteria)
        return PlannedVersion(
            department=department,
            variant_key=resolved.variant_key,
            condition_key=assertion.condition.key,
            status=AssertionStatus.ASSERTED,
            vrs_allele_id=resolved.vrs_allele_id,
            acmg_class=assertion.acmg_class,
            supported_class=evaluation.supported_class,
            criteria=evaluation.criteria,
            condition=assertion.condition,
            inheritance=assertion.inheritance,
            evidence=assertion.evidence,
            classifier=assertion.classifier,
            asserted_on=assertion.asserted_on or at.date(),
            recorded_at=at,
            source=source,
            gene=assertion.gene,
            transcript=assertion.transcript,
            hgvs_c=assertion.hgvs_c,
            hgvs_p=assertion.hgvs_p,
            reason=assertion.reason,
        )

    # --- writes ---------------------------------------------------------------------------------------------

    def add(self, department: str, assertion: NewAssertion, *, source: str = "api") -> AddOutcome:
        """Record a department's assertion: a new assertion, or a new version of its assertion about the same
        variant and condition. Identical to the current version → nothing is written (``unchanged``)."""
        self._require_department(department)
        try:
            resolved = self.resolver.resolve(assertion.variant)
        except VariantKeyError as exc:
            raise InvalidInput(
                f"cannot classify {assertion.variant!r}",
                [Problem("variant", str(exc), field="variant", expected="a GRCh38 variant", found=assertion.variant)],
            ) from None
        at = self._now()
        plan = self._plan(department, resolved, assertion, at=at, source=source)
        if plan.asserted_on > at.date():
            raise InvalidInput(
                "the classification date is in the future",
                [Problem("assertion", "date in the future", field="date", found=plan.asserted_on.isoformat())],
            )
        with self._repository.writing() as writer:
            before = writer.current_versions([plan.variant_key])[plan.variant_key]
            current = next(
                (v for v in before if v.department == department and v.condition.key == plan.condition_key), None
            )
            if current is not None and _same_content(current, plan, dated=assertion.asserted_on is not None):
                return AddOutcome(current, False, True, national_view(plan.variant_key, before))
            if current is not None:
                self._check_clock(current, at)
                plan = replace(plan, assertion_id=current.assertion_id, version=current.version + 1)
            [version] = writer.insert_versions([plan])
            after = [v for v in before if v.assertion_id != version.assertion_id] + [version]
            effects = self._consequences(writer, {plan.variant_key: (before, after, version)}, at=at)
        return AddOutcome(version, current is None, False, national_view(plan.variant_key, after), effects)

    def withdraw(
        self,
        assertion_id: str,
        *,
        department: str,
        reason: str,
        classifier: str = "",
        withdrawn_on: dt.date | None = None,
        source: str = "api",
    ) -> AddOutcome:
        """Withdraw a department's own assertion: a new version with status ``withdrawn``."""
        if not reason.strip():
            raise InvalidInput("a withdrawal needs a reason", [Problem("withdrawal", "no reason", field="reason")])
        at = self._now()
        with self._repository.writing() as writer:
            current = writer.current_assertion(assertion_id)
            if current.department != department:
                raise Forbidden(f"{assertion_id} belongs to {current.department}; a department withdraws only its own")
            if current.is_withdrawn:
                raise Conflict(f"{assertion_id} was already withdrawn (version {current.version})")
            self._check_clock(current, at)
            before = writer.current_versions([current.variant_key])[current.variant_key]
            plan = PlannedVersion(
                department=department,
                variant_key=current.variant_key,
                condition_key=current.condition.key,
                status=AssertionStatus.WITHDRAWN,
                vrs_allele_id=current.vrs_allele_id,
                acmg_class=current.acmg_class,
                supported_class=current.supported_class,
                criteria=current.criteria,
                condition=current.condition,
                inheritance=current.inheritance,
                evidence=current.evidence,
                classifier=classifier or current.classifier,
                asserted_on=withdrawn_on or at.date(),
                recorded_at=at,
                source=source,
                gene=current.gene,
                transcript=current.transcript,
                hgvs_c=current.hgvs_c,
                hgvs_p=current.hgvs_p,
                reason=reason,
                assertion_id=current.assertion_id,
                version=current.version + 1,
            )
            [version] = writer.insert_versions([plan])
            after = [v for v in before if v.assertion_id != assertion_id] + [version]
            effects = self._consequences(writer, {current.variant_key: (before, after, version)}, at=at)
        return AddOutcome(version, False, False, national_view(current.variant_key, after), effects)

    def import_file(
        self, department: str, path: Path, *, file_format: str | None = None, source: str = "import"
    ) -> ImportOutcome:
        """Import a department's TSV or VCF export. Any bad row rejects the whole file with every problem listed;
        rows identical to the current version are skipped, so importing the same export twice changes nothing."""
        self._require_department(department)
        at = self._now()
        parsed = read_export(path, file_format=file_format, today=at.date())
        problems = list(parsed.problems)
        resolved_rows: list[tuple[ParsedRow, ResolvedVariant]] = []
        seen: dict[tuple[str, str], int] = {}
        for line, variant in parsed.bad_row_variants:
            problem = self._variant_problem(parsed.name, line, variant)
            if problem is not None:
                problems.append(problem)
        for row in parsed.rows:
            try:
                resolved = self.resolver.resolve(row.assertion.variant)
            except VariantKeyError as exc:
                problems.append(_bad_variant(parsed.name, row.line, row.assertion.variant, exc))
                continue
            identity = (resolved.variant_key, row.assertion.condition.key)
            if identity in seen:
                problems.append(
                    Problem(
                        parsed.name,
                        "the same variant and condition twice in one file",
                        location=f"line {row.line}",
                        field="variant",
                        expected="one row per variant and condition",
                        found=f"{resolved.variant_key} again (first on line {seen[identity]})",
                    )
                )
                continue
            seen[identity] = row.line
            resolved_rows.append((row, resolved))
        if problems:
            problems.sort(key=_problem_order)
            raise InvalidInput(
                f"{parsed.name}: {len(problems)} problem(s); nothing was imported from this file", problems
            )
        plans = [
            (row, self._plan(department, resolved, row.assertion, at=at, source=source))
            for row, resolved in resolved_rows
        ]
        with self._repository.writing() as writer:
            before = writer.current_versions({plan.variant_key for _, plan in plans})
            current_by_identity = {
                (v.variant_key, v.condition.key): v
                for versions in before.values()
                for v in versions
                if v.department == department
            }
            to_insert: list[PlannedVersion] = []
            warnings: list[str] = []
            n_unchanged = n_new_assertions = 0
            for row, plan in plans:
                current = current_by_identity.get((plan.variant_key, plan.condition_key))
                if current is not None and _same_content(current, plan, dated=row.assertion.asserted_on is not None):
                    n_unchanged += 1
                    continue
                if current is None:
                    n_new_assertions += 1
                else:
                    self._check_clock(current, at)
                    plan = replace(plan, assertion_id=current.assertion_id, version=current.version + 1)
                if plan.acmg_class is not plan.supported_class:
                    warnings.append(
                        f"line {row.line}: {plan.variant_key} asserted {plan.acmg_class.value}; "
                        f"its criteria support {plan.supported_class.value}"
                    )
                to_insert.append(plan)
            import_pk, import_id = writer.record_import(
                department=department,
                file_name=parsed.name,
                sha256=parsed.sha256,
                file_format=parsed.file_format,
                n_rows=len(plans),
                n_new=len(to_insert),
                at=at,
            )
            inserted = writer.insert_versions(to_insert, import_pk=import_pk)
            changes: dict[str, tuple[list[AssertionVersion], list[AssertionVersion], AssertionVersion]] = {}
            for version in inserted:
                previous = (
                    changes[version.variant_key][1] if version.variant_key in changes else before[version.variant_key]
                )
                after = [v for v in previous if v.assertion_id != version.assertion_id] + [version]
                changes[version.variant_key] = (before[version.variant_key], after, version)
            effects = self._consequences(writer, changes, at=at)
        if parsed.ignored_columns:
            warnings.insert(0, "ignored columns: " + ", ".join(parsed.ignored_columns))
        return ImportOutcome(
            file=parsed.name,
            department=department,
            import_id=import_id,
            n_rows=len(plans),
            n_new_assertions=n_new_assertions,
            n_new_versions=len(inserted) - n_new_assertions,
            n_unchanged=n_unchanged,
            warnings=tuple(warnings),
            effects=effects,
        )

    def _variant_problem(self, file_name: str, line: int, variant: str) -> Problem | None:
        try:
            self.resolver.resolve(variant)
        except VariantKeyError as exc:
            return _bad_variant(file_name, line, variant, exc)
        return None

    @staticmethod
    def _check_clock(current: AssertionVersion, at: dt.datetime) -> None:
        if at < current.recorded_at:
            raise Conflict(
                f"{current.assertion_id} v{current.version} was recorded at {current.recorded_at.isoformat()}, "
                f"after this write's time {at.isoformat()}: versions are recorded in time order"
            )

    def _consequences(
        self,
        writer: ClassificationWriter,
        changes: dict[str, tuple[list[AssertionVersion], list[AssertionVersion], AssertionVersion]],
        *,
        at: dt.datetime,
    ) -> WriteOutcome:
        """Open, update or resolve conflict cases and record crossings (with worklists) for changed variants."""
        if not changes:
            return WriteOutcome()
        unresolved = writer.unresolved_conflicts(changes)
        last_signatures = writer.last_conflict_signatures(changes)
        to_open: list[PlannedConflict] = []
        to_update: list[PlannedConflictUpdate] = []
        crossing_changes: list[tuple[str, AggregateTerm, AggregateTerm, AssertionVersion]] = []
        for variant_key, (before, after, trigger) in sorted(changes.items()):
            category, aggregate = consensus_terms(after)
            case = unresolved.get(variant_key)
            signature = _signature(after)
            trigger_label = f"{trigger.assertion_id}/v{trigger.version} ({trigger.department})"
            classes = tuple(_classes(after))
            if category is not None and category.is_conflict:
                departments = tuple(sorted({v.department for v in after if not v.is_withdrawn}))
                note = f"{category.value}: {_describe(after)}, after {trigger_label}"
                if case is None and last_signatures.get(variant_key) != signature:
                    to_open.append(
                        PlannedConflict(variant_key, category, departments, classes, signature, trigger, note)
                    )
                elif case is not None and (case.category is not category or signature != _signature_of(case)):
                    to_update.append(
                        PlannedConflictUpdate(
                            case.conflict_id,
                            category,
                            departments,
                            classes,
                            signature,
                            f"disagreement changed — {note}",
                        )
                    )
            elif case is not None:
                summary = f"{aggregate.value} ({_describe(after) or 'no current classifications'})"
                to_update.append(
                    PlannedConflictUpdate(
                        case.conflict_id,
                        case.category,
                        case.departments,
                        classes,
                        signature,
                        f"disagreement gone after {trigger_label}: {summary}",
                        resolve_with=f"consensus reached after {trigger_label}: {summary}",
                    )
                )
            before_aggregate = consensus_terms(before)[1]
            if before_aggregate.is_actionable != aggregate.is_actionable:
                crossing_changes.append((variant_key, before_aggregate, aggregate, trigger))
        writer.update_conflicts(to_update, at=at)
        updated = [u.conflict_id for u in to_update if u.resolve_with is None]
        resolved = [u.conflict_id for u in to_update if u.resolve_with is not None]
        opened = writer.open_conflicts(to_open, at=at)
        crossings = self._record_crossings(writer, crossing_changes, at=at)
        n_entries = sum(len(c.carriers) for c in crossings[1])
        return WriteOutcome(tuple(opened), tuple(updated), tuple(resolved), tuple(crossings[0]), n_entries)

    def _record_crossings(
        self,
        writer: ClassificationWriter,
        changes: Sequence[tuple[str, AggregateTerm, AggregateTerm, AssertionVersion]],
        *,
        at: dt.datetime,
    ) -> tuple[list[Crossing], list[PlannedCrossing]]:
        if not changes:
            return [], []
        found = carriers_of(self._carrier_source(), [key for key, *_ in changes])
        carriers = self._repository.carrier_samples(found)
        planned = [
            PlannedCrossing(
                variant_key=key,
                direction=(
                    CrossingDirection.BECAME_ACTIONABLE
                    if after.is_actionable
                    else CrossingDirection.NO_LONGER_ACTIONABLE
                ),
                before=before,
                after=after,
                trigger=trigger,
                carriers=tuple(carriers[key]),
            )
            for key, before, after, trigger in changes
        ]
        return writer.record_crossings(planned, at=at), planned

    # --- reads --------------------------------------------------------------------------------------------

    def assertion(self, assertion_id: str) -> AssertionVersion:
        """The current (newest) version of an assertion; NotFound for an unknown id."""
        return self._repository.assertion_history(assertion_id)[-1]

    def history(
        self,
        variant: str | None = None,
        *,
        assertion_id: str | None = None,
        department: str | None = None,
        as_of: Moment | None = None,
    ) -> list[AssertionVersion]:
        """Every version, oldest first: of an assertion, of all assertions about a variant, or of a department."""
        if assertion_id is not None:
            versions = self._repository.assertion_history(assertion_id)
            bound = known_at(as_of)
            return [v for v in versions if bound is None or v.recorded_at <= bound]
        if variant is not None:
            versions = self._repository.versions_for_variant(self.variant_key(variant), known_at=known_at(as_of))
            return [v for v in versions if department is None or v.department == department]
        if department is not None:
            self._require_department(department)
            return self._repository.department_history(department, known_at=known_at(as_of))
        raise InvalidInput("history of what?", [Problem("history", "give a variant, an assertion or a department")])

    def as_of(
        self,
        when: Moment,
        *,
        variant: str | None = None,
        department: str | None = None,
        valid_on: dt.date | None = None,
    ) -> list[AssertionVersion]:
        """The assertions that stood at ``when`` (transaction time: what the database said then), for a variant,
        a department, or both; ``valid_on`` further restricts to versions the departments had made by that day."""
        if variant is None and department is None:
            raise InvalidInput("as of what?", [Problem("as_of", "give a variant or a department (or both)")])
        if department is not None:
            self._require_department(department)
        if variant is not None and department is None and valid_on is None:
            versions = self._repository.variant_versions_at(self.variant_key(variant), known_at(when))
        else:
            key = self.variant_key(variant) if variant is not None else None
            versions = self._repository.current_versions(
                variant_keys=[key] if key is not None else None,
                department=department,
                known_at=known_at(when),
                valid_on=valid_on,
            )
        return sorted((v for v in versions if not v.is_withdrawn), key=lambda v: (v.variant_key, v.department))

    def national_view(self, variant: str, *, as_of: Moment | None = None) -> NationalView:
        """The national view of a variant now, or as the database saw it at ``as_of``."""
        key = self.variant_key(variant)
        bound = known_at(as_of)
        return national_view(key, self._repository.variant_versions_at(key, bound), as_of=bound)

    def national_views(self, *, as_of: Moment | None = None) -> Iterator[NationalView]:
        """The national view of every classified variant, ordered by variant key."""
        bound = known_at(as_of)
        for batch in self._repository.iter_current_versions(known_at=bound):
            group: list[AssertionVersion] = []
            for version in batch:
                if group and group[-1].variant_key != version.variant_key:
                    yield national_view(group[0].variant_key, group, as_of=bound)
                    group = []
                group.append(version)
            if group:
                yield national_view(group[0].variant_key, group, as_of=bound)

    def show(self, variant: str, *, as_of: Moment | None = None, frequency: bool = True) -> VariantReport:
        """The national view of a variant, its conflict case, and (``frequency``) what the national frequency
        suggests."""
        view = self.national_view(variant, as_of=as_of)
        cases = self._repository.conflicts(variant_key=view.variant_key)
        bound = known_at(as_of)
        visible = [c for c in cases if bound is None or c.opened_at <= bound]
        conflict = visible[-1] if visible else None
        if not frequency:
            return VariantReport(view, conflict, None, ())
        observation, suggestions = self.frequency_evidence(view.variant_key, gene=view.genes[0] if view.genes else None)
        return VariantReport(view, conflict, observation, suggestions)

    def conflicts(
        self,
        *,
        states: Iterable[ConflictState] | None = None,
        department: str | None = None,
        variant: str | None = None,
    ) -> list[ConflictCase]:
        """Conflict cases, oldest first; filtered by state, by a department involved, or by variant."""
        key = self.variant_key(variant) if variant is not None else None
        return self._repository.conflicts(states=states, department=department, variant_key=key)

    def conflict(self, conflict_id: str) -> ConflictCase:
        """One conflict case with its events; NotFound for an unknown id."""
        return self._repository.conflict(conflict_id)

    def discuss_conflict(self, conflict_id: str, *, actor: str, note: str) -> ConflictCase:
        """Mark a case as under discussion, with a note."""
        return self._repository.change_conflict_state(
            conflict_id, state=ConflictState.UNDER_DISCUSSION, actor=actor, note=note, resolution=None, at=self._now()
        )

    def resolve_conflict(self, conflict_id: str, *, actor: str, resolution: str) -> ConflictCase:
        """Close a case with its recorded resolution (for example: agreed to disagree, or a reclassification)."""
        if not resolution.strip():
            raise InvalidInput(
                "a resolution needs its text", [Problem("conflict", "empty resolution", field="resolution")]
            )
        return self._repository.change_conflict_state(
            conflict_id,
            state=ConflictState.RESOLVED,
            actor=actor,
            note=resolution,
            resolution=resolution,
            at=self._now(),
        )

    def worklists(self, department: str, *, variant: str | None = None) -> list[RecontactWorklist]:
        """The department's recontact worklists; only persons whose samples the department itself submitted."""
        self._require_department(department)
        key = self.variant_key(variant) if variant is not None else None
        return self._repository.worklists(department, variant_key=key)

    def crossings(self, *, variant: str | None = None) -> list[Crossing]:
        key = self.variant_key(variant) if variant is not None else None
        return self._repository.crossings(variant_key=key)

    # --- frequency evidence ----------------------------------------------------------------------------------

    def frequency_thresholds(self, gene: str | None) -> FrequencyThresholds:
        return thresholds_for(gene, self._repository.frequency_thresholds())

    def set_frequency_thresholds(self, thresholds: FrequencyThresholds) -> None:
        self._repository.set_frequency_thresholds(thresholds)

    def frequency_evidence(
        self, variant: str, *, gene: str | None = None
    ) -> tuple[FrequencyObservation | None, tuple[FrequencySuggestion, ...]]:
        """The national frequency of a variant and the BA1/BS1/PM2 it suggests (a suggestion, never applied)."""
        source = self._frequency or FrequencySource(self._instance)
        observation = source.lookup(variant)
        return observation, propose_frequency_criteria(observation, self.frequency_thresholds(gene))

    # --- exports ------------------------------------------------------------------------------------------

    def export_national(self, out: TextIO, *, file_format: str = "tsv", as_of: Moment | None = None) -> int:
        """Write the national consensus as TSV or VCF (INFO fields); return the number of variants written."""
        bound = known_at(as_of)
        if file_format == "tsv":
            return write_national_tsv(self.national_views(as_of=bound), out, as_of=bound)
        if file_format == "vcf":
            return write_national_vcf(self.national_views(as_of=bound), out, as_of=bound)
        raise InvalidInput(
            "unknown export format", [Problem("export", "unknown format", expected="tsv or vcf", found=file_format)]
        )

    def export_department(self, department: str, out: TextIO, *, as_of: Moment | None = None) -> int:
        """Write a department's current assertions in the ClinVar submission spreadsheet's germline columns."""
        self._require_department(department)
        versions = self._repository.current_versions(department=department, known_at=known_at(as_of))
        return write_clinvar_submission(versions, out)

    def counts(self) -> dict[str, int]:
        return self._repository.counts()


def _signature_of(case: ConflictCase) -> str:
    groups = {cls: AcmgClass(_FULL[cls]).group.value for _, cls in case.classes}
    return ";".join(sorted({f"{department}={groups[cls]}" for department, cls in case.classes}))


_FULL = {cls.abbreviation: cls.value for cls in AcmgClass}


def _bad_variant(file_name: str, line: int, variant: str, error: VariantKeyError) -> Problem:
    return Problem(
        file_name,
        str(error),
        location=f"line {line}",
        field="variant",
        expected="a GRCh38 variant whose REF matches the reference",
        found=variant,
    )


def _problem_order(problem: Problem) -> tuple[int, str]:
    location = problem.location or ""
    number = int(location.split()[-1]) if location.startswith("line ") and location.split()[-1].isdigit() else 0
    return (number, problem.field or "")
