"""Schemas of the national variant database routes: assertions in (parsed into domain records, every problem named
by its field), versions, national views, conflict cases, recontact worklists and frequency suggestions out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from genomdb.classification.acmg import (
    CLASS_SPELLINGS_HELP,
    AcmgClass,
    Criterion,
    CriterionError,
    parse_class,
    parse_criteria,
    parse_criterion,
)
from genomdb.classification.model import (
    CONFLICT_STATES_HELP,
    INHERITANCE_HELP,
    ONTOLOGY_ID_HELP,
    AddOutcome,
    AssertionVersion,
    Condition,
    ConflictCase,
    ConflictState,
    ConsensusView,
    Crossing,
    InheritanceMode,
    NationalView,
    NewAssertion,
    Reclassification,
    RecontactWorklist,
    parse_conflict_states,
    parse_inheritance,
    parse_ontology_id,
)
from genomdb.classification.service import FrequencyEvidence
from genomdb.errors import InvalidInput, Problem

MAX_TEXT = 20_000
MAX_CRITERIA = 28
"""Every ACMG/AMP code at most once."""
CRITERIA_HELP = "ACMG/AMP codes with an optional strength: PVS1, PM2_Supporting, PP3_Strong, BS1, BA1 …"


class _Problems:
    """Every problem of one request body, each naming its field (``body.<field>``)."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, field: str, message: str, *, expected: str, found: str, location: str | None = None) -> None:
        self.found.append(
            Problem(
                "request", message, location=location or f"body.{field}", field=field, expected=expected, found=found
            )
        )

    def acmg_class(self, text: str) -> AcmgClass | None:
        parsed = parse_class(text)
        if parsed is None:
            self.add("acmg_class", "not an ACMG class", expected=CLASS_SPELLINGS_HELP, found=text or "empty")
        return parsed

    def inheritance(self, text: str) -> InheritanceMode | None:
        parsed = parse_inheritance(text)
        if parsed is None:
            self.add("inheritance", "unknown mode of inheritance", expected=INHERITANCE_HELP, found=text)
        return parsed

    def condition_id(self, text: str | None) -> str | None:
        if not text:
            return None
        parsed = parse_ontology_id(text)
        if parsed is None:
            self.add("condition_id", "not a MONDO, OMIM or Orphanet id", expected=ONTOLOGY_ID_HELP, found=text)
        return parsed

    def criteria(self, items: list[str]) -> tuple[Criterion, ...]:
        bad = False
        for n, item in enumerate(items):
            try:
                parse_criterion(item)
            except CriterionError as exc:
                bad = True
                self.add("criteria", str(exc), expected=CRITERIA_HELP, found=item, location=f"body.criteria[{n}]")
        if bad:
            return ()
        try:
            return parse_criteria(",".join(items))
        except CriterionError as exc:
            self.add("criteria", str(exc), expected="each code at most once", found=", ".join(items))
            return ()

    def raise_any(self, what: str) -> None:
        if self.found:
            raise InvalidInput(f"cannot {what}: {len(self.found)} problem(s)", self.found)


class AssertionIn(BaseModel):
    """A department's classification of a variant for a condition (as ``genomdb classify add`` takes it)."""

    model_config = ConfigDict(extra="forbid")

    variant: str = Field(
        min_length=1, max_length=500, description="chrom-pos-ref-alt on GRCh38", examples=["chr19-11100236-C-T"]
    )
    department: str | None = Field(
        default=None,
        max_length=64,
        description="always the caller's own department (the default); naming another department is refused (403)",
    )
    acmg_class: str = Field(description=CLASS_SPELLINGS_HELP, examples=["Likely pathogenic"])
    condition: str = Field(min_length=1, max_length=1000, examples=["Familial hypercholesterolemia"])
    condition_id: str | None = Field(default=None, max_length=64, description=ONTOLOGY_ID_HELP)
    inheritance: str = Field(default="unknown", max_length=64, description=INHERITANCE_HELP)
    criteria: list[str] = Field(
        default_factory=list, max_length=MAX_CRITERIA, description=CRITERIA_HELP, examples=[["PVS1", "PM2_Supporting"]]
    )
    evidence: str = Field(default="", max_length=MAX_TEXT)
    classifier: str = Field(default="", max_length=200, description="who classified")
    date: dt.date | None = Field(default=None, description="when the department classified it [default: today]")
    gene: str | None = Field(default=None, max_length=32, examples=["LDLR"])
    transcript: str | None = Field(default=None, max_length=64, examples=["NM_000527.5"])
    hgvs_c: str | None = Field(default=None, max_length=500)
    hgvs_p: str | None = Field(default=None, max_length=500)
    reason: str | None = Field(default=None, max_length=MAX_TEXT, description="why an earlier classification changed")

    def to_assertion(self) -> NewAssertion:
        """The domain record; InvalidInput lists every field that cannot be read."""
        problems = _Problems()
        acmg_class = problems.acmg_class(self.acmg_class)
        inheritance = problems.inheritance(self.inheritance)
        ontology_id = problems.condition_id(self.condition_id)
        criteria = problems.criteria(self.criteria)
        if not self.condition.strip():
            problems.add("condition", "no condition", expected="the condition, as free text", found="empty")
        problems.raise_any("record this classification")
        assert acmg_class is not None and inheritance is not None
        return NewAssertion(
            variant=self.variant,
            acmg_class=acmg_class,
            condition=Condition(self.condition.strip(), ontology_id),
            inheritance=inheritance,
            criteria=criteria,
            evidence=self.evidence,
            classifier=self.classifier,
            asserted_on=self.date,
            gene=self.gene or None,
            transcript=self.transcript or None,
            hgvs_c=self.hgvs_c or None,
            hgvs_p=self.hgvs_p or None,
            reason=self.reason or None,
        )


class ReclassificationIn(BaseModel):
    """A new version of an assertion: the class and why; fields left out keep the current version's value."""

    model_config = ConfigDict(extra="forbid")

    acmg_class: str = Field(description=CLASS_SPELLINGS_HELP, examples=["Pathogenic"])
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="why the classification changes")
    criteria: list[str] | None = Field(default=None, max_length=MAX_CRITERIA, description=CRITERIA_HELP)
    inheritance: str | None = Field(default=None, max_length=64, description=INHERITANCE_HELP)
    evidence: str | None = Field(default=None, max_length=MAX_TEXT)
    classifier: str | None = Field(default=None, max_length=200)
    date: dt.date | None = Field(default=None, description="when the department reclassified it [default: today]")
    gene: str | None = Field(default=None, max_length=32)
    transcript: str | None = Field(default=None, max_length=64)
    hgvs_c: str | None = Field(default=None, max_length=500)
    hgvs_p: str | None = Field(default=None, max_length=500)

    def to_reclassification(self) -> Reclassification:
        problems = _Problems()
        acmg_class = problems.acmg_class(self.acmg_class)
        inheritance = problems.inheritance(self.inheritance) if self.inheritance is not None else None
        criteria = problems.criteria(self.criteria) if self.criteria is not None else None
        if not self.reason.strip():
            problems.add("reason", "no reason", expected="why the classification changes", found="empty")
        problems.raise_any("reclassify")
        assert acmg_class is not None
        return Reclassification(
            acmg_class=acmg_class,
            reason=self.reason.strip(),
            criteria=criteria,
            inheritance=inheritance,
            evidence=self.evidence,
            classifier=self.classifier,
            asserted_on=self.date,
            gene=self.gene,
            transcript=self.transcript,
            hgvs_c=self.hgvs_c,
            hgvs_p=self.hgvs_p,
        )


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="why the assertion is withdrawn")
    classifier: str = Field(default="", max_length=200, description="who withdraws it")


class ConflictUpdateIn(BaseModel):
    """Move a conflict case to under discussion (with a note) or to resolved (with the recorded resolution)."""

    model_config = ConfigDict(extra="forbid")

    state: str = Field(description="under discussion (also under-discussion) or resolved", examples=["resolved"])
    note: str | None = Field(default=None, max_length=MAX_TEXT, description="what is discussed, and with whom")
    resolution: str | None = Field(default=None, max_length=MAX_TEXT, examples=["agreed: Likely pathogenic"])

    def to_change(self) -> tuple[ConflictState, str]:
        """The new state and its text (the note, or the resolution); InvalidInput names the missing field."""
        problems = _Problems()
        states = parse_conflict_states(self.state)
        state = states[0] if states is not None and len(states) == 1 else None
        if state is None or state is ConflictState.OPEN:
            problems.add(
                "state",
                "a case moves to under discussion or resolved",
                expected="under discussion or resolved",
                found=self.state,
            )
            problems.raise_any("update this conflict case")
        assert state is not None
        field, text = ("resolution", self.resolution) if state is ConflictState.RESOLVED else ("note", self.note)
        if not (text or "").strip():
            problems.add(field, f"{state.value} needs a {field}", expected=f"the {field} as text", found="empty")
        problems.raise_any("update this conflict case")
        return state, (text or "").strip()


class VersionOut(BaseModel):
    """One immutable version of a department's assertion."""

    assertion_id: str = Field(examples=["CLS-…"])
    version: int
    department: str
    status: str = Field(description="asserted or withdrawn")
    variant_key: str
    vrs_allele_id: str
    acmg_class: str
    supported_class: str = Field(description="what the criteria support under ACMG/AMP Table 5")
    warning: str | None = Field(description="set when the asserted class differs from what the criteria support")
    criteria: list[str]
    condition: str
    condition_id: str | None
    inheritance: str
    evidence: str
    classifier: str
    asserted_on: dt.date = Field(description="when the department made it (valid time)")
    recorded_at: dt.datetime = Field(description="when genomdb stored it (transaction time)")
    gene: str | None
    transcript: str | None
    hgvs_c: str | None
    hgvs_p: str | None
    reason: str | None

    @classmethod
    def of(cls, v: AssertionVersion) -> VersionOut:
        return cls(
            assertion_id=v.assertion_id,
            version=v.version,
            department=v.department,
            status=v.status.value,
            variant_key=v.variant_key,
            vrs_allele_id=v.vrs_allele_id,
            acmg_class=v.acmg_class.value,
            supported_class=v.supported_class.value,
            warning=v.warning,
            criteria=[c.label for c in v.criteria],
            condition=v.condition.name,
            condition_id=v.condition.ontology_id,
            inheritance=v.inheritance.value,
            evidence=v.evidence,
            classifier=v.classifier,
            asserted_on=v.asserted_on,
            recorded_at=v.recorded_at,
            gene=v.gene,
            transcript=v.transcript,
            hgvs_c=v.hgvs_c,
            hgvs_p=v.hgvs_p,
            reason=v.reason,
        )


class VersionsOut(BaseModel):
    versions: list[VersionOut]


class ClassCountOut(BaseModel):
    acmg_class: str
    n_assertions: int
    departments: list[str]


class CriterionDifferenceOut(BaseModel):
    code: str = Field(examples=["PVS1"])
    by_department: dict[str, str | None] = Field(description="the label each department applied; null: not applied")


class ConsensusOut(BaseModel):
    """The national view over current assertions: of the variant as a whole, or of one condition."""

    condition: str | None = Field(description="the condition key, for a per-condition view")
    condition_label: str | None
    consensus: str | None = Field(description="VKGL: classified by one lab, agreement, no consensus, opposite")
    aggregate: str = Field(description="ClinVar-style aggregate classification")
    review_status: str
    n_departments: int
    classes: list[ClassCountOut]
    criteria_differences: list[CriterionDifferenceOut]

    @classmethod
    def of(cls, view: ConsensusView) -> ConsensusOut:
        departments = dict(view.departments_by_class)
        return cls(
            condition=view.condition,
            condition_label=view.condition_label,
            consensus=view.category.value if view.category is not None else None,
            aggregate=view.aggregate.value,
            review_status=view.review_status.value,
            n_departments=view.n_departments,
            classes=[
                ClassCountOut(acmg_class=cls_.value, n_assertions=n, departments=list(departments.get(cls_, ())))
                for cls_, n in view.class_counts
            ],
            criteria_differences=[
                CriterionDifferenceOut(code=d.code, by_department=dict(d.by_department))
                for d in view.criteria_differences
            ],
        )


class NationalViewOut(BaseModel):
    variant_key: str
    vrs_allele_id: str | None
    genes: list[str]
    as_of: dt.datetime | None = Field(description="the moment answered for (null: now)")
    overall: ConsensusOut
    by_condition: list[ConsensusOut]
    assertions: list[VersionOut] = Field(description="each department's current assertion: class and criteria")

    @classmethod
    def of(cls, view: NationalView) -> NationalViewOut:
        return cls(
            variant_key=view.variant_key,
            vrs_allele_id=view.vrs_allele_id,
            genes=list(view.genes),
            as_of=view.as_of,
            overall=ConsensusOut.of(view.overall),
            by_condition=[ConsensusOut.of(c) for c in view.by_condition],
            assertions=[VersionOut.of(v) for v in view.assertions],
        )


class CrossingOut(BaseModel):
    """The national view of a variant crossed the actionable (P/LP) boundary."""

    crossing_id: str
    variant_key: str
    direction: str
    before: str
    after: str
    trigger: str = Field(description="the version whose recording made it cross")
    at: dt.datetime

    @classmethod
    def of(cls, c: Crossing) -> CrossingOut:
        return cls(
            crossing_id=c.crossing_id,
            variant_key=c.variant_key,
            direction=c.direction.value,
            before=c.before.value,
            after=c.after.value,
            trigger=c.trigger,
            at=c.at,
        )


class RecordedOut(BaseModel):
    """What a write stored, and what it changed beyond the version itself."""

    version: VersionOut
    created: bool = Field(description="a new assertion (not a new version of an existing one)")
    unchanged: bool = Field(description="identical to the current version: nothing was written")
    warning: str | None = Field(description="the ACMG/AMP combining-rule warning, when the class differs")
    national: ConsensusOut
    conflicts_opened: list[str]
    conflicts_updated: list[str]
    conflicts_resolved: list[str]
    crossings: list[CrossingOut] = Field(description="recontact worklists were filled: GET …/worklists")

    @classmethod
    def of(cls, o: AddOutcome) -> RecordedOut:
        return cls(
            version=VersionOut.of(o.version),
            created=o.created,
            unchanged=o.unchanged,
            warning=o.version.warning,
            national=ConsensusOut.of(o.national.overall),
            conflicts_opened=list(o.effects.conflicts_opened),
            conflicts_updated=list(o.effects.conflicts_updated),
            conflicts_resolved=list(o.effects.conflicts_resolved),
            crossings=[CrossingOut.of(c) for c in o.effects.crossings],
        )


class ConflictEventOut(BaseModel):
    at: dt.datetime
    state: str
    actor: str
    note: str


class DepartmentClassOut(BaseModel):
    department: str
    acmg_class: str = Field(examples=["LP"])


class ConflictOut(BaseModel):
    conflict_id: str = Field(examples=["CNF-…"])
    variant_key: str
    category: str = Field(description="no consensus or opposite")
    departments: list[str]
    classes: list[DepartmentClassOut]
    state: str = Field(description=CONFLICT_STATES_HELP)
    opened_at: dt.datetime
    opened_by: str = Field(description="the version whose recording made the disagreement appear")
    updated_at: dt.datetime
    resolution: str | None
    resolved_at: dt.datetime | None
    events: list[ConflictEventOut]

    @classmethod
    def of(cls, c: ConflictCase) -> ConflictOut:
        return cls(
            conflict_id=c.conflict_id,
            variant_key=c.variant_key,
            category=c.category.value,
            departments=list(c.departments),
            classes=[DepartmentClassOut(department=d, acmg_class=a) for d, a in c.classes],
            state=c.state.value,
            opened_at=c.opened_at,
            opened_by=c.opened_by,
            updated_at=c.updated_at,
            resolution=c.resolution,
            resolved_at=c.resolved_at,
            events=[ConflictEventOut(at=e.at, state=e.state.value, actor=e.actor, note=e.note) for e in c.events],
        )


class ConflictListOut(BaseModel):
    conflicts: list[ConflictOut]
    n_conflicts: int


class WorklistEntryOut(BaseModel):
    pseudonym: str
    sample_key: str
    submitter_sample_id: str
    alt_count: int = Field(description="copies of the alternate allele")


class WorklistOut(BaseModel):
    department: str
    crossing: CrossingOut
    entries: list[WorklistEntryOut]

    @classmethod
    def of(cls, w: RecontactWorklist) -> WorklistOut:
        return cls(
            department=w.department,
            crossing=CrossingOut.of(w.crossing),
            entries=[
                WorklistEntryOut(
                    pseudonym=e.pseudonym,
                    sample_key=e.sample_key,
                    submitter_sample_id=e.submitter_sample_id,
                    alt_count=e.alt_count,
                )
                for e in w.entries
            ],
        )


class WorklistsOut(BaseModel):
    department: str
    worklists: list[WorklistOut]
    n_persons: int


class ObservationOut(BaseModel):
    allele_count: int
    allele_number: int
    faf95: float | None
    release: str | None
    tier: str = Field(description="the disclosure tier of the counts")


class ThresholdsOut(BaseModel):
    gene: str | None = Field(description="null: the default thresholds")
    ba1_above: float
    bs1_above: float
    pm2_below: float
    pm2_label: str
    source: str


class SuggestionOut(BaseModel):
    criterion: str = Field(examples=["PM2_Supporting"])
    reason: str


class FrequencyEvidenceOut(BaseModel):
    """BA1, BS1 or PM2 as the national FAF95 suggests them: a suggestion, never added to anyone's criteria."""

    variant_key: str
    gene: str | None
    observation: ObservationOut | None = Field(description="null: no release covers the variant")
    thresholds: ThresholdsOut
    suggestions: list[SuggestionOut]
    note: str = "a suggestion from the national frequency (controlled tier): never added to anyone's criteria"

    @classmethod
    def of(cls, e: FrequencyEvidence) -> FrequencyEvidenceOut:
        o, t = e.observation, e.thresholds
        return cls(
            variant_key=e.variant_key,
            gene=e.gene,
            observation=ObservationOut(
                allele_count=o.allele_count,
                allele_number=o.allele_number,
                faf95=o.faf95,
                release=o.release,
                tier=o.tier,
            )
            if o is not None
            else None,
            thresholds=ThresholdsOut(
                gene=t.gene,
                ba1_above=t.ba1_above,
                bs1_above=t.bs1_above,
                pm2_below=t.pm2_below,
                pm2_label=t.pm2_label,
                source=t.source,
            ),
            suggestions=[SuggestionOut(criterion=s.criterion.label, reason=s.reason) for s in e.suggestions],
        )
