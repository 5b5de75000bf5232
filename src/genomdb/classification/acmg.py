"""ACMG/AMP classes, evidence criteria and the combining rules of Richards et al. 2015, Table 5.

A criterion is a code (``PVS1``, ``PS1``–``PS4``, ``PM1``–``PM6``, ``PP1``–``PP5``, ``BA1``, ``BS1``–``BS4``,
``BP1``–``BP7``) applied at a strength: its default, or another one written as a modifier (``PM2_Supporting``,
``PVS1_Strong``, ``PP3_Strong``, ``PS2_VeryStrong``). :func:`combine_criteria` is a pure function from criteria to
the class they support.

Two readings of Table 5 are made explicit here:

* counts are minimums ("1 Strong" means at least one), and a criterion may stand in for a weaker one that a rule
  asks for. This differs from a literal reading only for two or more Very strong criteria (``PVS1`` with
  ``PS2_VeryStrong``), which the table does not foresee: they count as Very strong plus Strong, i.e. Pathogenic;
* Table 5 has no Moderate level for benign evidence; a benign criterion applied at Moderate (``BP4_Moderate``, from
  the ClinGen in-silico calibration) counts as Supporting.

When the criteria reach a pathogenic class (P/LP) and a benign class (B/LB) at once, they are contradictory and
the supported class is Uncertain significance (Table 5, "Uncertain significance (ii)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache


class AcmgClass(StrEnum):
    """The five ACMG/AMP classes, written as ClinVar writes them."""

    PATHOGENIC = "Pathogenic"
    LIKELY_PATHOGENIC = "Likely pathogenic"
    UNCERTAIN = "Uncertain significance"
    LIKELY_BENIGN = "Likely benign"
    BENIGN = "Benign"

    @property
    def abbreviation(self) -> str:
        return _ABBREVIATIONS[self]

    @property
    def group(self) -> ClassGroup:
        """The VKGL class group: P/LP, VUS or LB/B."""
        return _GROUPS[self]

    @property
    def is_actionable(self) -> bool:
        return self.group is ClassGroup.PATHOGENIC

    @property
    def number(self) -> int:
        """The IARC-style class number: 5 Pathogenic … 1 Benign."""
        return 5 - list(AcmgClass).index(self)


class ClassGroup(StrEnum):
    """The three groups the Dutch national data share (VKGL) compares classifications by."""

    PATHOGENIC = "P/LP"
    UNCERTAIN = "VUS"
    BENIGN = "LB/B"


_GROUPS = {
    AcmgClass.PATHOGENIC: ClassGroup.PATHOGENIC,
    AcmgClass.LIKELY_PATHOGENIC: ClassGroup.PATHOGENIC,
    AcmgClass.UNCERTAIN: ClassGroup.UNCERTAIN,
    AcmgClass.LIKELY_BENIGN: ClassGroup.BENIGN,
    AcmgClass.BENIGN: ClassGroup.BENIGN,
}
_ABBREVIATIONS = {
    AcmgClass.PATHOGENIC: "P",
    AcmgClass.LIKELY_PATHOGENIC: "LP",
    AcmgClass.UNCERTAIN: "VUS",
    AcmgClass.LIKELY_BENIGN: "LB",
    AcmgClass.BENIGN: "B",
}
_CLASS_SPELLINGS: dict[str, AcmgClass] = {}
for _cls in AcmgClass:
    for _spelling in (_cls.value, _cls.name, _ABBREVIATIONS[_cls], str(_cls.number), f"class {_cls.number}"):
        _CLASS_SPELLINGS[re.sub(r"[\s_\-]+", " ", _spelling.lower())] = _cls
for _spelling, _cls in {
    "uncertain": AcmgClass.UNCERTAIN,
    "us": AcmgClass.UNCERTAIN,
    "vous": AcmgClass.UNCERTAIN,
    "variant of uncertain significance": AcmgClass.UNCERTAIN,
    "likely pathogenic variant": AcmgClass.LIKELY_PATHOGENIC,
}.items():
    _CLASS_SPELLINGS[_spelling] = _cls
CLASS_SPELLINGS_HELP = (
    "Pathogenic, Likely pathogenic, Uncertain significance, Likely benign, Benign (or P, LP, VUS, LB, B)"
)


@lru_cache(maxsize=1024)
def parse_class(text: str) -> AcmgClass | None:
    """An ACMG class as departments write it: ``Likely pathogenic``, ``LP``, ``likely_pathogenic``, ``4``."""
    return _CLASS_SPELLINGS.get(re.sub(r"[\s_\-]+", " ", text.strip().lower()))


class Strength(IntEnum):
    """Strength of a piece of evidence, weakest first."""

    SUPPORTING = 1
    MODERATE = 2
    STRONG = 3
    VERY_STRONG = 4
    STAND_ALONE = 5

    @property
    def label(self) -> str:
        return _STRENGTH_LABELS[self]


_STRENGTH_LABELS = {
    Strength.SUPPORTING: "Supporting",
    Strength.MODERATE: "Moderate",
    Strength.STRONG: "Strong",
    Strength.VERY_STRONG: "VeryStrong",
    Strength.STAND_ALONE: "StandAlone",
}
_STRENGTH_SPELLINGS = {
    "supporting": Strength.SUPPORTING,
    "moderate": Strength.MODERATE,
    "strong": Strength.STRONG,
    "verystrong": Strength.VERY_STRONG,
    "standalone": Strength.STAND_ALONE,
}


class Direction(StrEnum):
    PATHOGENIC = "pathogenic"
    BENIGN = "benign"


@dataclass(frozen=True, slots=True)
class CriterionDefinition:
    """One evidence code of Richards et al. 2015 with its default strength and the strengths it may take."""

    code: str
    direction: Direction
    default_strength: Strength
    allowed_strengths: frozenset[Strength]


def _definitions() -> dict[str, CriterionDefinition]:
    pathogenic = frozenset({Strength.VERY_STRONG, Strength.STRONG, Strength.MODERATE, Strength.SUPPORTING})
    benign = frozenset({Strength.STRONG, Strength.MODERATE, Strength.SUPPORTING})
    found: dict[str, CriterionDefinition] = {}

    def add(
        prefix: str, numbers: range, direction: Direction, strength: Strength, allowed: frozenset[Strength]
    ) -> None:
        for number in numbers:
            code = f"{prefix}{number}"
            found[code] = CriterionDefinition(code, direction, strength, allowed)

    add("PVS", range(1, 2), Direction.PATHOGENIC, Strength.VERY_STRONG, pathogenic)
    add("PS", range(1, 5), Direction.PATHOGENIC, Strength.STRONG, pathogenic)
    add("PM", range(1, 7), Direction.PATHOGENIC, Strength.MODERATE, pathogenic)
    add("PP", range(1, 6), Direction.PATHOGENIC, Strength.SUPPORTING, pathogenic)
    add("BA", range(1, 2), Direction.BENIGN, Strength.STAND_ALONE, frozenset({Strength.STAND_ALONE}))
    add("BS", range(1, 5), Direction.BENIGN, Strength.STRONG, benign)
    add("BP", range(1, 8), Direction.BENIGN, Strength.SUPPORTING, benign)
    return found


CRITERIA: dict[str, CriterionDefinition] = _definitions()
"""Every evidence code of Richards et al. 2015, by code."""


@dataclass(frozen=True, slots=True, order=True)
class Criterion:
    """An evidence code applied at a strength; ``label`` is how it is written (``PM2_Supporting``)."""

    code: str
    strength: Strength

    @property
    def definition(self) -> CriterionDefinition:
        return CRITERIA[self.code]

    @property
    def direction(self) -> Direction:
        return self.definition.direction

    @property
    def is_modified(self) -> bool:
        return self.strength is not self.definition.default_strength

    @property
    def label(self) -> str:
        return f"{self.code}_{self.strength.label}" if self.is_modified else self.code

    def __str__(self) -> str:
        return self.label


class CriterionError(ValueError):
    """A criterion that cannot be parsed; the message says what was expected."""


_CRITERION = re.compile(r"^(?P<code>[A-Za-z]{2,3}\d)(?:_(?P<strength>[A-Za-z]+))?$")
_STRENGTH_WORD = re.compile(
    r"(?<=\d)[\s_\-]*\(?\s*(very[\s_\-]*strong|strong|moderate|supporting|stand[\s_\-]*alone)(?:\s*\))?", re.IGNORECASE
)


def parse_criterion(text: str) -> Criterion:
    """``PM2``, ``PM2_Supporting``, ``PVS1_Strong``, ``PS2_VeryStrong``, ``pp3 (strong)`` → a Criterion."""
    compact = _STRENGTH_WORD.sub(lambda m: "_" + re.sub(r"[\s_\-]+", "", m[1]), text.strip())
    match = _CRITERION.match(compact)
    if match is None or match["code"].upper() not in CRITERIA:
        raise CriterionError(f"unknown ACMG criterion {text.strip()!r}")
    definition = CRITERIA[match["code"].upper()]
    strength = definition.default_strength
    if match["strength"]:
        found = _STRENGTH_SPELLINGS.get(match["strength"].lower())
        if found is None:
            raise CriterionError(
                f"unknown strength {match['strength']!r} in {text.strip()!r} "
                "(expected Supporting, Moderate, Strong or VeryStrong)"
            )
        strength = found
    if strength not in definition.allowed_strengths:
        allowed = ", ".join(s.label for s in sorted(definition.allowed_strengths, reverse=True))
        raise CriterionError(f"{definition.code} cannot be applied at {strength.label} (allowed: {allowed})")
    return Criterion(definition.code, strength)


@lru_cache(maxsize=16_384)
def parse_criteria(text: str) -> tuple[Criterion, ...]:
    """A list of criteria separated by commas, semicolons, ``|`` or spaces; each code at most once."""
    compact = _STRENGTH_WORD.sub(lambda m: "_" + re.sub(r"[\s_\-]+", "", m[1]), text)
    criteria = [parse_criterion(part) for part in re.split(r"[,;|\s]+", compact) if part]
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.code in seen:
            raise CriterionError(f"{criterion.code} is applied more than once")
        seen.add(criterion.code)
    return tuple(sorted(criteria, key=_criterion_order))


def _criterion_order(criterion: Criterion) -> tuple[int, int, int]:
    order = {"PVS": 0, "PS": 1, "PM": 2, "PP": 3, "BA": 4, "BS": 5, "BP": 6}
    return (order[criterion.code[:-1]], int(criterion.code[-1]), 0)


def format_criteria(criteria: Iterable[Criterion]) -> str:
    return ",".join(c.label for c in sorted(criteria, key=_criterion_order))


# --- Table 5 -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of Table 5: the least evidence, per strength, that supports ``result``."""

    name: str
    result: AcmgClass
    very_strong: int = 0
    strong: int = 0
    moderate: int = 0
    supporting: int = 0
    stand_alone: int = 0

    @property
    def requirement(self) -> tuple[int, int, int, int, int]:
        """Counts from the strongest level down: stand-alone, very strong, strong, moderate, supporting."""
        return (self.stand_alone, self.very_strong, self.strong, self.moderate, self.supporting)

    def is_met(self, counts: tuple[int, int, int, int, int]) -> bool:
        """Whether counts (same order as ``requirement``) meet this rule, a stronger criterion standing in for a
        weaker one: from the strongest level down, what is available must cover what is required."""
        available = required = 0
        for have, need in zip(counts, self.requirement, strict=True):
            available += have
            required += need
            if available < required:
                return False
        return True


_P, _LP, _B, _LB = AcmgClass.PATHOGENIC, AcmgClass.LIKELY_PATHOGENIC, AcmgClass.BENIGN, AcmgClass.LIKELY_BENIGN
PATHOGENIC_RULES: tuple[Rule, ...] = (
    Rule("Pathogenic (i)(a): 1 Very strong and ≥1 Strong", _P, very_strong=1, strong=1),
    Rule("Pathogenic (i)(b): 1 Very strong and ≥2 Moderate", _P, very_strong=1, moderate=2),
    Rule("Pathogenic (i)(c): 1 Very strong, 1 Moderate and 1 Supporting", _P, very_strong=1, moderate=1, supporting=1),
    Rule("Pathogenic (i)(d): 1 Very strong and ≥2 Supporting", _P, very_strong=1, supporting=2),
    Rule("Pathogenic (ii): ≥2 Strong", _P, strong=2),
    Rule("Pathogenic (iii)(a): 1 Strong and ≥3 Moderate", _P, strong=1, moderate=3),
    Rule("Pathogenic (iii)(b): 1 Strong, 2 Moderate and ≥2 Supporting", _P, strong=1, moderate=2, supporting=2),
    Rule("Pathogenic (iii)(c): 1 Strong, 1 Moderate and ≥4 Supporting", _P, strong=1, moderate=1, supporting=4),
    Rule("Likely pathogenic (i): 1 Very strong and 1 Moderate", _LP, very_strong=1, moderate=1),
    Rule("Likely pathogenic (ii): 1 Strong and 1–2 Moderate", _LP, strong=1, moderate=1),
    Rule("Likely pathogenic (iii): 1 Strong and ≥2 Supporting", _LP, strong=1, supporting=2),
    Rule("Likely pathogenic (iv): ≥3 Moderate", _LP, moderate=3),
    Rule("Likely pathogenic (v): 2 Moderate and ≥2 Supporting", _LP, moderate=2, supporting=2),
    Rule("Likely pathogenic (vi): 1 Moderate and ≥4 Supporting", _LP, moderate=1, supporting=4),
)
BENIGN_RULES: tuple[Rule, ...] = (
    Rule("Benign (i): 1 Stand-alone", _B, stand_alone=1),
    Rule("Benign (ii): ≥2 Strong", _B, strong=2),
    Rule("Likely benign (i): 1 Strong and 1 Supporting", _LB, strong=1, supporting=1),
    Rule("Likely benign (ii): ≥2 Supporting", _LB, supporting=2),
)
"""Table 5 of Richards et al. 2015, in the table's order; the first rule met decides."""


@dataclass(frozen=True, slots=True)
class AcmgEvaluation:
    """What a set of criteria supports under Table 5, and why."""

    criteria: tuple[Criterion, ...]
    supported_class: AcmgClass
    pathogenic_rule: Rule | None
    benign_rule: Rule | None

    @property
    def contradictory(self) -> bool:
        """Both a pathogenic and a benign class are reached: Uncertain significance (ii)."""
        return self.pathogenic_rule is not None and self.benign_rule is not None

    @property
    def explanation(self) -> str:
        if self.contradictory:
            assert self.pathogenic_rule is not None and self.benign_rule is not None
            return f"Uncertain significance (ii): contradictory — {self.pathogenic_rule.name}; {self.benign_rule.name}"
        rule = self.pathogenic_rule or self.benign_rule
        if rule is not None:
            return rule.name
        if not self.criteria:
            return "Uncertain significance (i): no criteria"
        return "Uncertain significance (i): criteria for benign or pathogenic not met"


def _counts(criteria: Iterable[Criterion], direction: Direction) -> tuple[int, int, int, int, int]:
    counts = dict.fromkeys(Strength, 0)
    for criterion in criteria:
        if criterion.direction is direction:
            strength = criterion.strength
            if direction is Direction.BENIGN and strength is Strength.MODERATE:
                strength = Strength.SUPPORTING
            counts[strength] += 1
    return (
        counts[Strength.STAND_ALONE],
        counts[Strength.VERY_STRONG],
        counts[Strength.STRONG],
        counts[Strength.MODERATE],
        counts[Strength.SUPPORTING],
    )


def _first_met(rules: Iterable[Rule], counts: tuple[int, int, int, int, int]) -> Rule | None:
    return next((rule for rule in rules if rule.is_met(counts)), None)


def combine_criteria(criteria: Iterable[Criterion]) -> AcmgEvaluation:
    """The class a set of criteria supports under Table 5 (each code counted once)."""
    return _combine(tuple(sorted({c.code: c for c in criteria}.values(), key=_criterion_order)))


@lru_cache(maxsize=65_536)
def _combine(unique: tuple[Criterion, ...]) -> AcmgEvaluation:
    pathogenic = _first_met(PATHOGENIC_RULES, _counts(unique, Direction.PATHOGENIC))
    benign = _first_met(BENIGN_RULES, _counts(unique, Direction.BENIGN))
    if pathogenic is not None and benign is not None:
        supported = AcmgClass.UNCERTAIN
    elif pathogenic is not None:
        supported = pathogenic.result
    elif benign is not None:
        supported = benign.result
    else:
        supported = AcmgClass.UNCERTAIN
    return AcmgEvaluation(unique, supported, pathogenic, benign)


def class_warning(asserted: AcmgClass, evaluation: AcmgEvaluation) -> str | None:
    """A warning when the asserted class differs from the class the assertion's own criteria support."""
    if asserted is evaluation.supported_class:
        return None
    applied = format_criteria(evaluation.criteria) or "none"
    return (
        f"asserted {asserted.value}, but the criteria applied ({applied}) support "
        f"{evaluation.supported_class.value} — {evaluation.explanation}"
    )
