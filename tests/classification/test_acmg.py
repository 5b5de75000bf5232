"""ACMG/AMP combining rules (Richards et al. 2015, Table 5): every rule at its boundary, and the whole grid."""

from __future__ import annotations

import itertools

import hypothesis.strategies as st
import pytest
from hypothesis import given

from genomdb.classification.acmg import (
    BENIGN_RULES,
    CRITERIA,
    PATHOGENIC_RULES,
    AcmgClass,
    Criterion,
    CriterionError,
    Rule,
    Strength,
    class_warning,
    combine_criteria,
    format_criteria,
    parse_class,
    parse_criteria,
    parse_criterion,
)

P, LP, VUS, LB, B = (
    AcmgClass.PATHOGENIC,
    AcmgClass.LIKELY_PATHOGENIC,
    AcmgClass.UNCERTAIN,
    AcmgClass.LIKELY_BENIGN,
    AcmgClass.BENIGN,
)

# Distinct codes for each pathogenic strength, used in this order; a code never appears twice in one set.
_PATHOGENIC_POOL = {
    Strength.VERY_STRONG: ["PVS1", "PS2_VeryStrong"],
    Strength.STRONG: ["PS1", "PS3", "PS4"],
    Strength.MODERATE: ["PM1", "PM2", "PM4", "PM5"],
    Strength.SUPPORTING: ["PP1", "PP2", "PP3", "PP4", "PM3_Supporting"],
}
_BENIGN_POOL = {
    Strength.STAND_ALONE: ["BA1"],
    Strength.STRONG: ["BS1", "BS2", "BS3"],
    Strength.SUPPORTING: ["BP1", "BP2", "BP3", "BP4"],
}


def criteria_for(counts: dict[Strength, int], pool: dict[Strength, list[str]]) -> list[Criterion]:
    labels: list[str] = []
    for strength, n in counts.items():
        labels.extend(pool[strength][:n])
    criteria = [parse_criterion(label) for label in labels]
    assert len({c.code for c in criteria}) == len(criteria)
    return criteria


def literal_pathogenic(vs: int, s: int, m: int, p: int) -> AcmgClass | None:
    """Table 5 as written, counts read as minimums."""
    if (
        (vs >= 1 and (s >= 1 or m >= 2 or (m >= 1 and p >= 1) or p >= 2))
        or s >= 2
        or (s >= 1 and (m >= 3 or (m >= 2 and p >= 2) or (m >= 1 and p >= 4)))
    ):
        return P
    if (
        (vs >= 1 and m >= 1)
        or (s >= 1 and 1 <= m <= 2)
        or (s >= 1 and p >= 2)
        or m >= 3
        or (m >= 2 and p >= 2)
        or (m >= 1 and p >= 4)
    ):
        return LP
    return None


def expected_pathogenic(vs: int, s: int, m: int, p: int) -> AcmgClass | None:
    """The documented reading: a second Very strong criterion counts as Strong (Table 5 has one Very strong)."""
    return literal_pathogenic(min(vs, 1), s + max(vs - 1, 0), m, p)


def literal_benign(sa: int, bs: int, bp: int) -> AcmgClass | None:
    if sa >= 1 or bs >= 2:
        return B
    if (bs >= 1 and bp >= 1) or bp >= 2:
        return LB
    return None


def test_the_grid_of_pathogenic_and_benign_counts_matches_table_5() -> None:
    checked = 0
    for vs, s, m, p in itertools.product(range(3), range(4), range(5), range(6)):
        pathogenic = criteria_for(
            {Strength.VERY_STRONG: vs, Strength.STRONG: s, Strength.MODERATE: m, Strength.SUPPORTING: p},
            _PATHOGENIC_POOL,
        )
        expected_p = expected_pathogenic(vs, s, m, p)
        for sa, bs, bp in itertools.product(range(2), range(3), range(4)):
            benign = criteria_for(
                {Strength.STAND_ALONE: sa, Strength.STRONG: bs, Strength.SUPPORTING: bp}, _BENIGN_POOL
            )
            expected_b = literal_benign(sa, bs, bp)
            expected = VUS if expected_p and expected_b else expected_p or expected_b or VUS
            evaluation = combine_criteria([*pathogenic, *benign])
            assert evaluation.supported_class is expected, (vs, s, m, p, sa, bs, bp, evaluation.explanation)
            assert evaluation.contradictory == bool(expected_p and expected_b)
            checked += 1
    assert checked == 3 * 4 * 5 * 6 * 2 * 3 * 4


def _counts(rule: Rule) -> dict[Strength, int]:
    return {
        Strength.STAND_ALONE: rule.stand_alone,
        Strength.VERY_STRONG: rule.very_strong,
        Strength.STRONG: rule.strong,
        Strength.MODERATE: rule.moderate,
        Strength.SUPPORTING: rule.supporting,
    }


_RANK = {B: -2, LB: -1, VUS: 0, LP: 1, P: 2}


@pytest.mark.parametrize("rule", PATHOGENIC_RULES + BENIGN_RULES, ids=lambda r: r.name)
def test_every_rule_holds_at_its_minimum_and_fails_with_one_criterion_less(rule: Rule) -> None:
    pool = _PATHOGENIC_POOL if rule in PATHOGENIC_RULES else _BENIGN_POOL
    counts = {strength: n for strength, n in _counts(rule).items() if n}
    minimum = criteria_for(counts, pool)
    evaluation = combine_criteria(minimum)
    assert evaluation.supported_class is rule.result
    assert rule.is_met(_as_tuple(counts))
    for left_out in minimum:
        weaker = combine_criteria([c for c in minimum if c is not left_out]).supported_class
        assert abs(_RANK[weaker]) < abs(_RANK[rule.result]), (rule.name, left_out.label, weaker)


def _as_tuple(counts: dict[Strength, int]) -> tuple[int, int, int, int, int]:
    order = (Strength.STAND_ALONE, Strength.VERY_STRONG, Strength.STRONG, Strength.MODERATE, Strength.SUPPORTING)
    return tuple(counts.get(s, 0) for s in order)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("criteria", "expected", "rule_prefix"),
    [
        ("PVS1 PM2_Supporting", VUS, "Uncertain significance (i)"),
        ("PVS1 PM2", LP, "Likely pathogenic (i)"),
        ("PVS1_Strong PM2 PP3", LP, "Likely pathogenic (ii)"),
        ("PVS1_Strong PS3", P, "Pathogenic (ii)"),
        ("PS3 PP3_Strong", P, "Pathogenic (ii)"),
        ("PM2_Supporting PP3 PP4 PP1", VUS, "Uncertain significance (i)"),
        ("PVS1 PS2_VeryStrong", P, "Pathogenic (i)(a)"),
        ("PS3_Moderate PM1 PM5", LP, "Likely pathogenic (iv)"),
        ("BP4_Moderate BP7", LB, "Likely benign (ii)"),
        ("BS1 BP4_Moderate", LB, "Likely benign (i)"),
        ("BS1_Supporting BP4", LB, "Likely benign (ii)"),
        ("BA1", B, "Benign (i)"),
        ("PVS1 PS3 BA1", VUS, "Uncertain significance (ii)"),
        ("PVS1 PS3 BP4", P, "Pathogenic (i)(a)"),
        ("", VUS, "Uncertain significance (i): no criteria"),
    ],
)
def test_strength_modifiers_change_what_a_criterion_counts_as(
    criteria: str, expected: AcmgClass, rule_prefix: str
) -> None:
    evaluation = combine_criteria(parse_criteria(criteria))
    assert evaluation.supported_class is expected
    assert evaluation.explanation.startswith(rule_prefix), evaluation.explanation


def test_a_criterion_is_counted_once() -> None:
    once = combine_criteria([parse_criterion("PS3"), parse_criterion("PS3")])
    assert once.supported_class is VUS and len(once.criteria) == 1


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("PVS1,PM2_Supporting;PP3", ["PVS1", "PM2_Supporting", "PP3"]),
        ("pm2-supporting | pp3 (strong)", ["PM2_Supporting", "PP3_Strong"]),
        ("PS2 Very Strong, PP1_Moderate", ["PS2_VeryStrong", "PP1_Moderate"]),
        ("BP4 BA1 PVS1", ["PVS1", "BA1", "BP4"]),
        ("PM2_Moderate", ["PM2"]),
        ("", []),
    ],
)
def test_criteria_are_parsed_as_departments_write_them(text: str, labels: list[str]) -> None:
    assert [c.label for c in parse_criteria(text)] == labels


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PX1", "unknown ACMG criterion"),
        ("PM7", "unknown ACMG criterion"),
        ("BP8", "unknown ACMG criterion"),
        ("PM2_Weak", "unknown strength"),
        ("BA1_Strong", "cannot be applied at Strong"),
        ("BS1_VeryStrong", "cannot be applied at VeryStrong"),
        ("PM2 PM2_Supporting", "more than once"),
    ],
)
def test_bad_criteria_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CriterionError, match=message):
        parse_criteria(text)


def test_format_round_trips_in_table_order() -> None:
    criteria = parse_criteria("BP4 PP3 PM2_Supporting PVS1")
    assert format_criteria(criteria) == "PVS1,PM2_Supporting,PP3,BP4"
    assert parse_criteria(format_criteria(criteria)) == criteria


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pathogenic", P),
        ("likely_pathogenic", LP),
        ("Likely Pathogenic", LP),
        ("LP", LP),
        ("VUS", VUS),
        ("Uncertain significance", VUS),
        ("variant of uncertain significance", VUS),
        ("class 3", VUS),
        ("LB", LB),
        ("likely-benign", LB),
        ("1", B),
        ("benign", B),
    ],
)
def test_classes_are_read_in_the_spellings_departments_use(text: str, expected: AcmgClass) -> None:
    assert parse_class(text) is expected


def test_unknown_class_is_none() -> None:
    assert parse_class("pathogenic-ish") is None


def test_warning_when_asserted_class_differs_from_what_the_criteria_support() -> None:
    evaluation = combine_criteria(parse_criteria("PVS1 PM2_Supporting"))
    warning = class_warning(P, evaluation)
    assert warning is not None and "support Uncertain significance" in warning and "PM2_Supporting" in warning
    assert class_warning(VUS, evaluation) is None


def test_class_groups_and_numbers() -> None:
    assert [c.number for c in AcmgClass] == [5, 4, 3, 2, 1]
    assert {c.group.value for c in AcmgClass} == {"P/LP", "VUS", "LB/B"}
    assert [c.is_actionable for c in AcmgClass] == [True, True, False, False, False]


_ANY_CRITERION = st.sampled_from(
    [
        Criterion(definition.code, strength)
        for definition in CRITERIA.values()
        for strength in sorted(definition.allowed_strengths)
    ]
)


@given(st.lists(_ANY_CRITERION, max_size=10, unique_by=lambda c: c.code), st.sampled_from([",", ";", " | ", " "]))
def test_any_set_of_criteria_survives_writing_and_reading(criteria: list[Criterion], separator: str) -> None:
    text = separator.join(c.label for c in criteria)
    parsed = parse_criteria(text)
    assert sorted(parsed) == sorted(criteria)
    assert parse_criteria(format_criteria(parsed)) == parsed
    assert combine_criteria(parsed) == combine_criteria(reversed(criteria))
