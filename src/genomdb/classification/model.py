"""Domain records of the national variant database, as the rest of genomdb (and the CLI, and later the API) sees
them. Table rows stay inside the catalog package; these are what its repository returns."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from genomdb.classification.acmg import AcmgClass, ClassGroup, Criterion


class InheritanceMode(StrEnum):
    """Mode of inheritance of the condition an assertion is about."""

    AUTOSOMAL_DOMINANT = "AD"
    AUTOSOMAL_RECESSIVE = "AR"
    SEMIDOMINANT = "SD"
    X_LINKED = "XL"
    X_LINKED_DOMINANT = "XLD"
    X_LINKED_RECESSIVE = "XLR"
    Y_LINKED = "YL"
    MITOCHONDRIAL = "MT"
    UNKNOWN = "unknown"

    @property
    def clinvar_term(self) -> str:
        """The term of the ClinVar submission spreadsheet's "Mode of inheritance" column."""
        return _CLINVAR_INHERITANCE[self]


_CLINVAR_INHERITANCE = {
    InheritanceMode.AUTOSOMAL_DOMINANT: "Autosomal dominant inheritance",
    InheritanceMode.AUTOSOMAL_RECESSIVE: "Autosomal recessive inheritance",
    InheritanceMode.SEMIDOMINANT: "Semidominant inheritance",
    InheritanceMode.X_LINKED: "X-linked inheritance",
    InheritanceMode.X_LINKED_DOMINANT: "X-linked dominant inheritance",
    InheritanceMode.X_LINKED_RECESSIVE: "X-linked recessive inheritance",
    InheritanceMode.Y_LINKED: "Y-linked inheritance",
    InheritanceMode.MITOCHONDRIAL: "Mitochondrial inheritance",
    InheritanceMode.UNKNOWN: "",
}
_INHERITANCE_SPELLINGS: dict[str, InheritanceMode] = {}
for _mode in InheritanceMode:
    for _spelling in (_mode.value, _mode.name, _CLINVAR_INHERITANCE[_mode]):
        if _spelling:
            _INHERITANCE_SPELLINGS[re.sub(r"[\s_\-]+", " ", _spelling.lower())] = _mode
_INHERITANCE_SPELLINGS.update(
    {
        "autosomal dominant": InheritanceMode.AUTOSOMAL_DOMINANT,
        "autosomal recessive": InheritanceMode.AUTOSOMAL_RECESSIVE,
        "semidominant": InheritanceMode.SEMIDOMINANT,
        "x linked": InheritanceMode.X_LINKED,
        "x linked dominant": InheritanceMode.X_LINKED_DOMINANT,
        "x linked recessive": InheritanceMode.X_LINKED_RECESSIVE,
        "mitochondrial": InheritanceMode.MITOCHONDRIAL,
        "": InheritanceMode.UNKNOWN,
        "not provided": InheritanceMode.UNKNOWN,
    }
)
INHERITANCE_HELP = "AD, AR, SD, XL, XLD, XLR, YL, MT or unknown (or the ClinVar terms)"


@lru_cache(maxsize=1024)
def parse_inheritance(text: str) -> InheritanceMode | None:
    return _INHERITANCE_SPELLINGS.get(re.sub(r"[\s_\-]+", " ", text.strip().lower()))


_ONTOLOGY_ID = re.compile(r"^\s*(?P<prefix>MONDO|OMIM|MIM|ORPHA|Orphanet)[:_ ]?(?P<number>\d+)\s*$", re.IGNORECASE)
ONTOLOGY_ID_HELP = "MONDO:0007750, OMIM:143890 or ORPHA:406"


@lru_cache(maxsize=16_384)
def parse_ontology_id(text: str) -> str | None:
    """``MONDO:0007750`` / ``OMIM:143890`` (``MIM:`` accepted) / ``ORPHA:406`` in canonical form, else None."""
    match = _ONTOLOGY_ID.match(text)
    if match is None:
        return None
    prefix = match["prefix"].upper()
    number = match["number"]
    if prefix == "MONDO":
        return f"MONDO:{number}" if len(number) == 7 else None
    if prefix in ("OMIM", "MIM"):
        return f"OMIM:{number}" if len(number) == 6 else None
    return f"ORPHA:{int(number)}"


@dataclass(frozen=True, slots=True)
class Condition:
    """The condition an assertion is about: free text as the department writes it, plus an optional ontology id."""

    name: str
    ontology_id: str | None = None

    @property
    def key(self) -> str:
        """What makes two conditions the same: the ontology id when given, else the name without case or spacing."""
        if self.ontology_id:
            return self.ontology_id
        return re.sub(r"\s+", " ", self.name.strip().lower())

    def __str__(self) -> str:
        return f"{self.name} ({self.ontology_id})" if self.ontology_id else self.name


class AssertionStatus(StrEnum):
    ASSERTED = "asserted"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class NewAssertion:
    """A department's classification of a variant for a condition, as submitted (before it is a version)."""

    variant: str
    acmg_class: AcmgClass
    condition: Condition
    inheritance: InheritanceMode = InheritanceMode.UNKNOWN
    criteria: tuple[Criterion, ...] = ()
    evidence: str = ""
    classifier: str = ""
    asserted_on: dt.date | None = None
    """The day the department made the classification (valid time); today when not given."""
    gene: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = None
    hgvs_p: str | None = None
    reason: str | None = None
    """Why a new version was made (a reclassification), kept with the version."""


@dataclass(frozen=True, slots=True)
class AssertionVersion:
    """One immutable version of a department's assertion. A change is a new version; so is a withdrawal.

    ``asserted_on`` is when the department made it (valid time), ``recorded_at`` when genomdb stored it
    (transaction time). ``supported_class`` is what the criteria support under ACMG Table 5; ``warning`` is set
    when it differs from ``acmg_class``.
    """

    assertion_id: str
    version: int
    department: str
    status: AssertionStatus
    variant_key: str
    vrs_allele_id: str
    acmg_class: AcmgClass
    condition: Condition
    inheritance: InheritanceMode
    criteria: tuple[Criterion, ...]
    supported_class: AcmgClass
    evidence: str
    classifier: str
    asserted_on: dt.date
    recorded_at: dt.datetime
    gene: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = None
    hgvs_p: str | None = None
    reason: str | None = None
    source: str | None = None

    @property
    def is_withdrawn(self) -> bool:
        return self.status is AssertionStatus.WITHDRAWN

    @property
    def warning(self) -> str | None:
        if self.is_withdrawn or self.acmg_class is self.supported_class:
            return None
        return f"asserted {self.acmg_class.value}; its criteria support {self.supported_class.value}"


@dataclass(frozen=True, slots=True)
class Reclassification:
    """A new version of an existing assertion: the class, why, and whatever else changes (None: as the current
    version says). The variant and the condition are the assertion's own."""

    acmg_class: AcmgClass
    reason: str
    criteria: tuple[Criterion, ...] | None = None
    inheritance: InheritanceMode | None = None
    evidence: str | None = None
    classifier: str | None = None
    asserted_on: dt.date | None = None
    gene: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = None
    hgvs_p: str | None = None

    def applied_to(self, current: AssertionVersion) -> NewAssertion:
        """The assertion to record as the version after ``current``."""

        def kept(value: str | None, before: str | None) -> str | None:
            return value if value is not None else before

        return NewAssertion(
            variant=current.variant_key,
            acmg_class=self.acmg_class,
            condition=current.condition,
            inheritance=self.inheritance if self.inheritance is not None else current.inheritance,
            criteria=self.criteria if self.criteria is not None else current.criteria,
            evidence=self.evidence if self.evidence is not None else current.evidence,
            classifier=self.classifier if self.classifier is not None else current.classifier,
            asserted_on=self.asserted_on,
            gene=kept(self.gene, current.gene),
            transcript=kept(self.transcript, current.transcript),
            hgvs_c=kept(self.hgvs_c, current.hgvs_c),
            hgvs_p=kept(self.hgvs_p, current.hgvs_p),
            reason=self.reason,
        )


class ConsensusCategory(StrEnum):
    """The VKGL consensus categories."""

    SINGLE_LAB = "classified by one lab"
    AGREEMENT = "agreement"
    NO_CONSENSUS = "no consensus"
    OPPOSITE = "opposite"

    @property
    def is_conflict(self) -> bool:
        return self in (ConsensusCategory.NO_CONSENSUS, ConsensusCategory.OPPOSITE)


class ReviewStatus(StrEnum):
    """ClinVar's review status of an aggregate classification (every genomdb assertion has ACMG criteria)."""

    NONE = "no classifications"
    SINGLE_SUBMITTER = "criteria provided, single submitter"
    MULTIPLE_NO_CONFLICTS = "criteria provided, multiple submitters, no conflicts"
    CONFLICTING = "criteria provided, conflicting classifications"


class AggregateTerm(StrEnum):
    """ClinVar's aggregate germline classification terms."""

    PATHOGENIC = "Pathogenic"
    LIKELY_PATHOGENIC = "Likely pathogenic"
    PATHOGENIC_LIKELY_PATHOGENIC = "Pathogenic/Likely pathogenic"
    UNCERTAIN = "Uncertain significance"
    LIKELY_BENIGN = "Likely benign"
    BENIGN = "Benign"
    BENIGN_LIKELY_BENIGN = "Benign/Likely benign"
    CONFLICTING = "Conflicting classifications of pathogenicity"
    NOT_CLASSIFIED = "not classified"

    @property
    def is_actionable(self) -> bool:
        """Pathogenic or likely pathogenic: the national view says a carrier should be told."""
        return self in (
            AggregateTerm.PATHOGENIC,
            AggregateTerm.LIKELY_PATHOGENIC,
            AggregateTerm.PATHOGENIC_LIKELY_PATHOGENIC,
        )


@dataclass(frozen=True, slots=True)
class CriterionComparison:
    """One criterion the disagreeing departments did not apply alike: the label each applied, or None."""

    code: str
    by_department: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class ConsensusView:
    """The national view over a set of current assertions: for a variant, or for a variant and one condition."""

    category: ConsensusCategory | None
    aggregate: AggregateTerm
    review_status: ReviewStatus
    n_departments: int
    class_counts: tuple[tuple[AcmgClass, int], ...]
    """Assertions per class, Pathogenic first; classes without assertions are left out."""
    departments_by_class: tuple[tuple[AcmgClass, tuple[str, ...]], ...]
    criteria_differences: tuple[CriterionComparison, ...]
    condition: str | None = None
    """The condition key when this view is for one condition; None for the variant as a whole."""
    condition_label: str | None = None

    @property
    def groups(self) -> frozenset[ClassGroup]:
        return frozenset(cls.group for cls, _ in self.class_counts)

    @property
    def is_actionable(self) -> bool:
        return self.aggregate.is_actionable

    @property
    def summary(self) -> str:
        """``Pathogenic(2), Likely pathogenic(1)`` — ClinVar's way of listing the classes behind a term."""
        return ", ".join(f"{cls.value}({n})" for cls, n in self.class_counts)


@dataclass(frozen=True, slots=True)
class NationalView:
    """What the database says about a variant (as of ``as_of``): its current assertions and their consensus."""

    variant_key: str
    vrs_allele_id: str | None
    genes: tuple[str, ...]
    as_of: dt.datetime | None
    assertions: tuple[AssertionVersion, ...]
    overall: ConsensusView
    by_condition: tuple[ConsensusView, ...]


class ConflictState(StrEnum):
    OPEN = "open"
    UNDER_DISCUSSION = "under discussion"
    RESOLVED = "resolved"


CONFLICT_STATES_HELP = "open, under-discussion, resolved or unresolved (open + under discussion)"


def parse_conflict_states(text: str) -> tuple[ConflictState, ...] | None:
    """``open``, ``under-discussion`` (or ``under discussion``), ``resolved``, or ``unresolved`` (open and under
    discussion) → the states; None when the text names none of them."""
    wanted = re.sub(r"[\s_\-]+", " ", text.strip().lower())
    if wanted == "unresolved":
        return (ConflictState.OPEN, ConflictState.UNDER_DISCUSSION)
    if wanted in {s.value for s in ConflictState}:
        return (ConflictState(wanted),)
    return None


@dataclass(frozen=True, slots=True)
class ConflictEvent:
    at: dt.datetime
    state: ConflictState
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class ConflictCase:
    """A disagreement between departments about a variant, opened when it appears and kept until resolved."""

    conflict_id: str
    variant_key: str
    category: ConsensusCategory
    departments: tuple[str, ...]
    classes: tuple[tuple[str, str], ...]
    """(department, class abbreviation) of every assertion involved when the case was opened or last updated."""
    state: ConflictState
    opened_at: dt.datetime
    opened_by: str
    """The assertion version (``CLS-…/v2``) whose recording made the disagreement appear."""
    updated_at: dt.datetime
    resolution: str | None = None
    resolved_at: dt.datetime | None = None
    events: tuple[ConflictEvent, ...] = ()


class CrossingDirection(StrEnum):
    BECAME_ACTIONABLE = "became actionable"
    NO_LONGER_ACTIONABLE = "no longer actionable"


@dataclass(frozen=True, slots=True)
class Crossing:
    """The national view of a variant crossed the actionable (P/LP) boundary when ``trigger`` was recorded."""

    crossing_id: str
    variant_key: str
    direction: CrossingDirection
    before: AggregateTerm
    after: AggregateTerm
    trigger: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class WorklistEntry:
    """A person the department submitted a sample of, who carries the variant."""

    pseudonym: str
    sample_key: str
    submitter_sample_id: str
    alt_count: int


@dataclass(frozen=True, slots=True)
class RecontactWorklist:
    """One department's own carriers of a variant whose national view crossed the actionable boundary."""

    department: str
    crossing: Crossing
    entries: tuple[WorklistEntry, ...]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one add, withdrawal or import changed beyond the versions themselves."""

    conflicts_opened: tuple[str, ...] = ()
    conflicts_updated: tuple[str, ...] = ()
    conflicts_resolved: tuple[str, ...] = ()
    crossings: tuple[Crossing, ...] = ()
    n_worklist_entries: int = 0


@dataclass(frozen=True, slots=True)
class AddOutcome:
    version: AssertionVersion
    created: bool
    """A new assertion (version 1), not a new version of an existing one."""
    unchanged: bool
    """Identical to the current version: nothing was written."""
    national: NationalView
    effects: WriteOutcome = field(default_factory=WriteOutcome)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    file: str
    department: str
    import_id: str | None
    n_rows: int
    n_new_assertions: int
    n_new_versions: int
    n_unchanged: int
    warnings: tuple[str, ...]
    """Rows whose asserted class differs from the class their criteria support (imported all the same)."""
    effects: WriteOutcome = field(default_factory=WriteOutcome)


@dataclass(frozen=True, slots=True)
class PlannedVersion:
    """A version the service has decided to record; the repository gives it its assertion id and number."""

    department: str
    variant_key: str
    condition_key: str
    status: AssertionStatus
    vrs_allele_id: str
    acmg_class: AcmgClass
    supported_class: AcmgClass
    criteria: tuple[Criterion, ...]
    condition: Condition
    inheritance: InheritanceMode
    evidence: str
    classifier: str
    asserted_on: dt.date
    recorded_at: dt.datetime
    source: str
    gene: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = None
    hgvs_p: str | None = None
    reason: str | None = None
    assertion_id: str | None = None
    """The assertion this is a new version of; None for a new assertion."""
    version: int = 1


@dataclass(frozen=True, slots=True)
class CarrierSample:
    """A current sample carrying a variant, with the department that submitted it."""

    sample_id: int
    """The catalog's id of the current version of the sample."""
    sample_key: str
    submitter_sample_id: str
    department: str
    pseudonym: str
    alt_count: int


@dataclass(frozen=True, slots=True)
class PlannedConflict:
    """A conflict case the service has decided to open."""

    variant_key: str
    category: ConsensusCategory
    departments: tuple[str, ...]
    classes: tuple[tuple[str, str], ...]
    signature: str
    trigger: AssertionVersion
    note: str


@dataclass(frozen=True, slots=True)
class PlannedCrossing:
    """A crossing of the actionable boundary to record, with the carriers found for each department."""

    variant_key: str
    direction: CrossingDirection
    before: AggregateTerm
    after: AggregateTerm
    trigger: AssertionVersion
    carriers: tuple[CarrierSample, ...]


@dataclass(frozen=True, slots=True)
class PlannedConflictUpdate:
    """A change to an unresolved case: the disagreement changed, or (``resolve_with``) it went away."""

    conflict_id: str
    category: ConsensusCategory
    departments: tuple[str, ...]
    classes: tuple[tuple[str, str], ...]
    signature: str
    note: str
    resolve_with: str | None = None
