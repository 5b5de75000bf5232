"""The national view: consensus between departments (VKGL categories) and the ClinVar-style aggregate term.

Pure functions of the current assertions (never of the database):

* VKGL consensus, over the class groups P/LP, VUS and LB/B: *classified by one lab* when a single department
  classified the variant; *agreement* when several did and all fall in one group; *opposite* when a P/LP
  classification stands against an LB/B one (whatever else there is); otherwise *no consensus* (a VUS against
  P/LP or against LB/B).
* ClinVar aggregate: one group → Pathogenic, Likely pathogenic or Pathogenic/Likely pathogenic (and the benign
  mirror), or Uncertain significance; more than one group → Conflicting classifications of pathogenicity. Review
  status: "criteria provided, single submitter" for one department, "…, multiple submitters, no conflicts" for
  several in one group, "…, conflicting classifications" otherwise.

The view is computed for the variant as a whole (what conflicts and recontact act on) and for each condition.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from genomdb.classification.acmg import CRITERIA, AcmgClass, ClassGroup, Criterion
from genomdb.classification.model import (
    AggregateTerm,
    AssertionVersion,
    ConsensusCategory,
    ConsensusView,
    CriterionComparison,
    NationalView,
    ReviewStatus,
)

_CODE_ORDER = {code: index for index, code in enumerate(CRITERIA)}


def consensus_category(departments: Iterable[str], classes: Iterable[AcmgClass]) -> ConsensusCategory | None:
    """The VKGL category of a set of classifications by the given departments (None when there are none)."""
    n_departments = len(set(departments))
    groups = {cls.group for cls in classes}
    if not groups:
        return None
    if n_departments <= 1:
        return ConsensusCategory.SINGLE_LAB
    if len(groups) == 1:
        return ConsensusCategory.AGREEMENT
    if ClassGroup.PATHOGENIC in groups and ClassGroup.BENIGN in groups:
        return ConsensusCategory.OPPOSITE
    return ConsensusCategory.NO_CONSENSUS


def aggregate_term(classes: Iterable[AcmgClass]) -> AggregateTerm:
    """ClinVar's aggregate term for a set of classifications."""
    present = set(classes)
    if not present:
        return AggregateTerm.NOT_CLASSIFIED
    groups = {cls.group for cls in present}
    if len(groups) > 1:
        return AggregateTerm.CONFLICTING
    if present == {AcmgClass.PATHOGENIC}:
        return AggregateTerm.PATHOGENIC
    if present == {AcmgClass.LIKELY_PATHOGENIC}:
        return AggregateTerm.LIKELY_PATHOGENIC
    if present == {AcmgClass.PATHOGENIC, AcmgClass.LIKELY_PATHOGENIC}:
        return AggregateTerm.PATHOGENIC_LIKELY_PATHOGENIC
    if present == {AcmgClass.BENIGN}:
        return AggregateTerm.BENIGN
    if present == {AcmgClass.LIKELY_BENIGN}:
        return AggregateTerm.LIKELY_BENIGN
    if present == {AcmgClass.BENIGN, AcmgClass.LIKELY_BENIGN}:
        return AggregateTerm.BENIGN_LIKELY_BENIGN
    return AggregateTerm.UNCERTAIN


def consensus_terms(versions: Iterable[AssertionVersion]) -> tuple[ConsensusCategory | None, AggregateTerm]:
    """The VKGL category and ClinVar term of a set of versions (withdrawn ones ignored), without the details."""
    active = [v for v in versions if not v.is_withdrawn]
    classes = [v.acmg_class for v in active]
    return consensus_category((v.department for v in active), classes), aggregate_term(classes)


def review_status(n_departments: int, aggregate: AggregateTerm) -> ReviewStatus:
    if aggregate is AggregateTerm.NOT_CLASSIFIED:
        return ReviewStatus.NONE
    if aggregate is AggregateTerm.CONFLICTING:
        return ReviewStatus.CONFLICTING
    return ReviewStatus.SINGLE_SUBMITTER if n_departments <= 1 else ReviewStatus.MULTIPLE_NO_CONFLICTS


def criteria_differences(assertions: Sequence[AssertionVersion]) -> tuple[CriterionComparison, ...]:
    """The criteria the departments did not apply alike (a code missing somewhere, or at another strength)."""
    applied: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    departments = sorted({a.department for a in assertions})
    for assertion in assertions:
        for criterion in assertion.criteria:
            applied[criterion.code][assertion.department].add(criterion.label)
    differences = []
    for code in sorted(applied, key=_CODE_ORDER.__getitem__):
        by_department = tuple(
            (department, "/".join(sorted(applied[code][department])) or None) for department in departments
        )
        if len({label for _, label in by_department}) > 1:
            differences.append(CriterionComparison(code, by_department))
    return tuple(differences)


def consensus_view(
    assertions: Sequence[AssertionVersion], *, condition: str | None = None, condition_label: str | None = None
) -> ConsensusView:
    """The national view over these assertions (withdrawn versions are ignored)."""
    active = [a for a in assertions if not a.is_withdrawn]
    departments = {a.department for a in active}
    classes = [a.acmg_class for a in active]
    counts = Counter(classes)
    by_class: dict[AcmgClass, set[str]] = defaultdict(set)
    for assertion in active:
        by_class[assertion.acmg_class].add(assertion.department)
    aggregate = aggregate_term(classes)
    ordered = [cls for cls in AcmgClass if counts[cls]]
    return ConsensusView(
        category=consensus_category(departments, classes),
        aggregate=aggregate,
        review_status=review_status(len(departments), aggregate),
        n_departments=len(departments),
        class_counts=tuple((cls, counts[cls]) for cls in ordered),
        departments_by_class=tuple((cls, tuple(sorted(by_class[cls]))) for cls in ordered),
        criteria_differences=criteria_differences(active) if len(departments) > 1 else (),
        condition=condition,
        condition_label=condition_label,
    )


def national_view(
    variant_key: str, assertions: Sequence[AssertionVersion], *, as_of: dt.datetime | None = None
) -> NationalView:
    """The national view of one variant from its current assertion versions (one per assertion)."""
    active = tuple(sorted((a for a in assertions if not a.is_withdrawn), key=lambda a: (a.department, a.assertion_id)))
    by_condition: dict[str, list[AssertionVersion]] = defaultdict(list)
    for assertion in active:
        by_condition[assertion.condition.key].append(assertion)
    overall = consensus_view(active)
    if len(by_condition) == 1:
        [(key, group)] = by_condition.items()
        condition_views: tuple[ConsensusView, ...] = (
            dataclasses.replace(overall, condition=key, condition_label=str(group[0].condition)),
        )
    else:
        condition_views = tuple(
            consensus_view(group, condition=key, condition_label=str(group[0].condition))
            for key, group in sorted(by_condition.items())
        )
    return NationalView(
        variant_key=variant_key,
        vrs_allele_id=next((a.vrs_allele_id for a in assertions), None),
        genes=tuple(sorted({a.gene for a in active if a.gene})),
        as_of=as_of,
        assertions=active,
        overall=overall,
        by_condition=condition_views,
    )


def criteria_labels(criteria: Iterable[Criterion]) -> str:
    return ", ".join(c.label for c in criteria)
