"""The national view: VKGL consensus categories, ClinVar aggregate terms, review status, differing criteria."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from genomdb.classification.acmg import AcmgClass, combine_criteria, parse_criteria
from genomdb.classification.consensus import aggregate_term, consensus_category, consensus_view, national_view
from genomdb.classification.model import (
    AggregateTerm,
    AssertionStatus,
    AssertionVersion,
    Condition,
    ConsensusCategory,
    InheritanceMode,
    ReviewStatus,
)

P, LP, VUS, LB, B = (
    AcmgClass.PATHOGENIC,
    AcmgClass.LIKELY_PATHOGENIC,
    AcmgClass.UNCERTAIN,
    AcmgClass.LIKELY_BENIGN,
    AcmgClass.BENIGN,
)
FH = Condition("Familial hypercholesterolemia", "MONDO:0007750")


def version(
    department: str,
    acmg_class: AcmgClass,
    criteria: str = "",
    *,
    condition: Condition = FH,
    withdrawn: bool = False,
    number: int = 1,
) -> AssertionVersion:
    parsed = parse_criteria(criteria)
    return AssertionVersion(
        assertion_id=f"CLS-{department}-{condition.key}",
        version=number,
        department=department,
        status=AssertionStatus.WITHDRAWN if withdrawn else AssertionStatus.ASSERTED,
        variant_key="chr19-1000-C-A",
        vrs_allele_id="ga4gh:VA.x",
        acmg_class=acmg_class,
        condition=condition,
        inheritance=InheritanceMode.AUTOSOMAL_DOMINANT,
        criteria=parsed,
        supported_class=combine_criteria(parsed).supported_class,
        evidence="",
        classifier="",
        asserted_on=dt.date(2024, 1, 1),
        recorded_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        gene="LDLR",
    )


@pytest.mark.parametrize(
    ("classes", "category"),
    [
        ([P], ConsensusCategory.SINGLE_LAB),
        ([VUS], ConsensusCategory.SINGLE_LAB),
        ([P, P], ConsensusCategory.AGREEMENT),
        ([P, LP], ConsensusCategory.AGREEMENT),
        ([LP, LP, P], ConsensusCategory.AGREEMENT),
        ([VUS, VUS], ConsensusCategory.AGREEMENT),
        ([B, LB], ConsensusCategory.AGREEMENT),
        ([P, LB], ConsensusCategory.OPPOSITE),
        ([LP, B], ConsensusCategory.OPPOSITE),
        ([P, VUS, B], ConsensusCategory.OPPOSITE),
        ([LP, VUS], ConsensusCategory.NO_CONSENSUS),
        ([VUS, LB], ConsensusCategory.NO_CONSENSUS),
        ([P, LP, VUS], ConsensusCategory.NO_CONSENSUS),
        ([], None),
    ],
)
def test_vkgl_categories(classes: list[AcmgClass], category: ConsensusCategory | None) -> None:
    departments = [f"D{i}" for i in range(len(classes))]
    assert consensus_category(departments, classes) is category


def test_every_pair_of_classes_by_two_departments_has_the_vkgl_category_of_its_groups() -> None:
    for first, second in itertools.product(AcmgClass, repeat=2):
        category = consensus_category(["A", "B"], [first, second])
        groups = {first.group.value, second.group.value}
        if len(groups) == 1:
            assert category is ConsensusCategory.AGREEMENT
        elif groups == {"P/LP", "LB/B"}:
            assert category is ConsensusCategory.OPPOSITE
        else:
            assert category is ConsensusCategory.NO_CONSENSUS


def test_one_lab_with_several_assertions_is_still_one_lab() -> None:
    assert consensus_category(["A", "A"], [P, VUS]) is ConsensusCategory.SINGLE_LAB


@pytest.mark.parametrize(
    ("classes", "term"),
    [
        ([P], AggregateTerm.PATHOGENIC),
        ([P, P], AggregateTerm.PATHOGENIC),
        ([LP], AggregateTerm.LIKELY_PATHOGENIC),
        ([P, LP], AggregateTerm.PATHOGENIC_LIKELY_PATHOGENIC),
        ([VUS, VUS], AggregateTerm.UNCERTAIN),
        ([LB], AggregateTerm.LIKELY_BENIGN),
        ([B], AggregateTerm.BENIGN),
        ([B, LB, B], AggregateTerm.BENIGN_LIKELY_BENIGN),
        ([LP, VUS], AggregateTerm.CONFLICTING),
        ([P, B], AggregateTerm.CONFLICTING),
        ([VUS, LB], AggregateTerm.CONFLICTING),
        ([], AggregateTerm.NOT_CLASSIFIED),
    ],
)
def test_clinvar_aggregate_terms(classes: list[AcmgClass], term: AggregateTerm) -> None:
    assert aggregate_term(classes) is term
    assert term.is_actionable == (bool(classes) and all(c.is_actionable for c in classes))


def test_review_status_follows_submitters_and_conflicts() -> None:
    assert consensus_view([version("RH-KG", P)]).review_status is ReviewStatus.SINGLE_SUBMITTER
    agreement = consensus_view([version("RH-KG", P), version("RM-KG", LP)])
    assert agreement.review_status is ReviewStatus.MULTIPLE_NO_CONFLICTS
    assert agreement.aggregate is AggregateTerm.PATHOGENIC_LIKELY_PATHOGENIC
    assert agreement.summary == "Pathogenic(1), Likely pathogenic(1)"
    conflict = consensus_view([version("RH-KG", P), version("RM-KG", VUS)])
    assert conflict.review_status is ReviewStatus.CONFLICTING
    assert consensus_view([]).review_status is ReviewStatus.NONE


def test_withdrawn_versions_do_not_count() -> None:
    view = consensus_view([version("RH-KG", P), version("RM-KG", B, withdrawn=True, number=2)])
    assert view.category is ConsensusCategory.SINGLE_LAB and view.aggregate is AggregateTerm.PATHOGENIC


def test_differing_criteria_name_codes_and_strengths_per_department() -> None:
    view = consensus_view(
        [
            version("RH-KG", LP, "PVS1 PM2_Supporting PP4"),
            version("RM-KG", VUS, "PVS1_Moderate PM2_Supporting"),
            version("RN-KG", LP, "PVS1 PM2_Supporting PP4"),
        ]
    )
    differences = {d.code: dict(d.by_department) for d in view.criteria_differences}
    assert set(differences) == {"PVS1", "PP4"}  # PM2_Supporting was applied alike
    assert differences["PVS1"] == {"RH-KG": "PVS1", "RM-KG": "PVS1_Moderate", "RN-KG": "PVS1"}
    assert differences["PP4"] == {"RH-KG": "PP4", "RM-KG": None, "RN-KG": "PP4"}


def test_national_view_per_variant_and_per_condition() -> None:
    hboc = Condition("Hereditary breast and ovarian cancer syndrome", "MONDO:0003582")
    assertions = [
        version("RH-KG", P, "PVS1 PM2_Supporting PS4", condition=FH),
        version("RM-KG", P, "PVS1 PM2_Supporting PS4", condition=FH),
        version("RSJ-KG", VUS, condition=hboc),
    ]
    view = national_view("chr19-1000-C-A", assertions)
    assert view.overall.category is ConsensusCategory.NO_CONSENSUS
    by_condition = {c.condition: c for c in view.by_condition}
    assert by_condition["MONDO:0007750"].category is ConsensusCategory.AGREEMENT
    assert by_condition["MONDO:0003582"].category is ConsensusCategory.SINGLE_LAB
    assert by_condition["MONDO:0007750"].condition_label == "Familial hypercholesterolemia (MONDO:0007750)"
    assert view.genes == ("LDLR",) and view.vrs_allele_id == "ga4gh:VA.x"


def test_conditions_without_ontology_ids_group_by_name_ignoring_case_and_spacing() -> None:
    assert Condition("Familial  Hypercholesterolemia").key == Condition("familial hypercholesterolemia").key
    assert Condition("FH", "MONDO:0007750").key == Condition("other name", "MONDO:0007750").key
