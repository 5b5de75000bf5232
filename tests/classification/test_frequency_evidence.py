"""BA1 / BS1 / PM2 suggestions from the national FAF95, with default and gene-specific thresholds."""

from __future__ import annotations

import pytest

from genomdb.classification.frequency_evidence import (
    BUILTIN_GENE_THRESHOLDS,
    DEFAULT_THRESHOLDS,
    FrequencyObservation,
    FrequencyThresholds,
    propose_frequency_criteria,
    thresholds_for,
)


def labels(observation: FrequencyObservation | None, thresholds: FrequencyThresholds) -> list[str]:
    return [s.criterion.label for s in propose_frequency_criteria(observation, thresholds)]


@pytest.mark.parametrize(
    ("faf95", "expected"),
    [
        (0.2, ["BA1"]),
        (0.0501, ["BA1"]),
        (0.05, ["BS1"]),  # BA1 is "above 5%"
        (0.0101, ["BS1"]),
        (0.01, []),
        (0.001, []),
        (0.0001, []),  # PM2 is "below 0.01%"
        (0.00009, ["PM2_Supporting"]),
    ],
)
def test_default_thresholds(faf95: float, expected: list[str]) -> None:
    assert labels(FrequencyObservation(5, 10_000, faf95), DEFAULT_THRESHOLDS) == expected


@pytest.mark.parametrize(
    ("faf95", "expected"),
    [
        (0.0051, ["BA1"]),
        (0.005, ["BS1"]),
        (0.0021, ["BS1"]),
        (0.002, []),
        (0.0002, []),
        (0.00019, ["PM2"]),
    ],
)
def test_ldlr_uses_the_clingen_fh_vcep_thresholds(faf95: float, expected: list[str]) -> None:
    ldlr = thresholds_for("ldlr")
    assert ldlr is BUILTIN_GENE_THRESHOLDS["LDLR"]
    assert labels(FrequencyObservation(5, 10_000, faf95), ldlr) == expected


def test_absent_among_callable_individuals_supports_pm2_but_not_covered_supports_nothing() -> None:
    absent = propose_frequency_criteria(FrequencyObservation(0, 12_000, None), DEFAULT_THRESHOLDS)
    assert [s.criterion.label for s in absent] == ["PM2_Supporting"]
    assert "absent among 12,000 callable alleles" in absent[0].reason
    assert labels(FrequencyObservation(0, 0, None), DEFAULT_THRESHOLDS) == []
    assert labels(None, DEFAULT_THRESHOLDS) == []
    assert labels(FrequencyObservation(3, 1000, None), DEFAULT_THRESHOLDS) == []


def test_instance_thresholds_override_built_in_ones() -> None:
    own = FrequencyThresholds("BRCA2", ba1_above=0.001, bs1_above=0.0002, pm2_below=0.00002, source="local")
    default = FrequencyThresholds(None, ba1_above=0.1, bs1_above=0.02, pm2_below=0.0001)
    overrides = {"BRCA2": own, "*": default}
    assert thresholds_for("BRCA2", overrides) is own
    assert thresholds_for("LDLR", overrides) is BUILTIN_GENE_THRESHOLDS["LDLR"]
    assert thresholds_for("TP53", overrides) is default
    assert thresholds_for(None) is DEFAULT_THRESHOLDS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ba1_above": 0.01, "bs1_above": 0.05}, "thresholds must satisfy"),
        ({"pm2_label": "PM1"}, "is not PM2"),
    ],
)
def test_inconsistent_thresholds_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FrequencyThresholds("X", **kwargs)  # type: ignore[arg-type]
