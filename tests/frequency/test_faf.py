"""Poisson bounds: FAF against published values and an independent re-implementation of Hail's search."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genomdb.frequency.aggregate import FAF_CACHE, faf_lambdas
from genomdb.frequency.faf import (
    absent_upper_bound,
    filtering_allele_frequency,
    poisson_cdf,
    poisson_lower_bound,
)
from genomdb.frequency.release_files import FAF_CONFIDENCES, FafLookup

ONE_SIDED_95_LOWER = {1: 0.0513, 2: 0.355, 3: 0.818, 4: 1.366, 5: 1.970, 10: 5.425, 20: 13.25, 50: 38.96}
"""Lower one-sided 95% limits of a Poisson mean (standard tables, e.g. Pearson & Hartley; chi-square / 2)."""


@pytest.mark.parametrize(("count", "expected"), sorted(ONE_SIDED_95_LOWER.items()))
def test_lower_bound_matches_tables(count: int, expected: float) -> None:
    assert poisson_lower_bound(count, 0.95) == pytest.approx(expected, abs=6e-3)
    assert poisson_cdf(count - 1, poisson_lower_bound(count, 0.95)) == pytest.approx(0.95, abs=1e-9)


def _qpois(probability: float, lam: float) -> int:
    """Smallest k with P(X ≤ k) ≥ p (R's qpois), by plain summation (λ small enough for exp(-λ) > 0)."""
    k, term = 0, math.exp(-lam)
    total = term
    while total < probability:
        k += 1
        term *= lam / k
        total += term
    return k


def _hail_faf(ac: int, an: int, ci: float) -> float:
    """Hail's grid search: the largest AF on a 1e-6 grid whose ``qpois(ci, AN·AF)`` is still below AC."""
    if ac <= 1 or an == 0:
        return 0.0
    low, high = 0.0, 2.0 * ac / an
    for _ in range(60):
        middle = (low + high) / 2
        if _qpois(ci, an * middle) < ac:
            low = middle
        else:
            high = middle
    return math.floor(low / 1e-6) * 1e-6


@pytest.mark.parametrize(("ac", "an"), [(2, 1000), (3, 2000), (7, 10_000), (25, 5000), (120, 120_000)])
def test_faf_agrees_with_hail_within_its_grid(ac: int, an: int) -> None:
    ours = filtering_allele_frequency(ac, an, 0.95)
    assert ours is not None
    assert abs(ours - _hail_faf(ac, an, 0.95)) <= 1.01e-6
    assert 0 < ours < ac / an


def test_singletons_and_empty() -> None:
    assert filtering_allele_frequency(1, 1000) == 0.0
    assert filtering_allele_frequency(0, 1000) == 0.0
    assert filtering_allele_frequency(3, 0) is None
    assert poisson_lower_bound(1, 0.95) == pytest.approx(-math.log(0.95))
    assert filtering_allele_frequency(2, 1000, 0.99) < filtering_allele_frequency(2, 1000, 0.95)  # type: ignore[operator]
    with pytest.raises(ValueError):
        poisson_lower_bound(3, 1.5)


def test_large_counts_converge() -> None:
    lam = poisson_lower_bound(100_000, 0.95)
    assert poisson_cdf(99_999, lam) == pytest.approx(0.95, abs=1e-8)
    assert lam == pytest.approx(100_000 - 1.6449 * math.sqrt(100_000), rel=1e-4)


def test_absent_upper_bound_is_the_rule_of_three() -> None:
    bound = absent_upper_bound(1000)
    assert bound == pytest.approx(1 - 0.05 ** (1 / 1000))
    assert bound == pytest.approx(3 / 1000, rel=0.01)
    assert (1 - bound) ** 1000 == pytest.approx(0.05)
    assert absent_upper_bound(0) is None


def test_faf_lambda_cache_gives_the_computed_bounds(tmp_path: Path) -> None:
    counts = [2, 3, 17, 999, 1001, 40_000]
    direct = faf_lambdas(counts, None)
    first = faf_lambdas(counts[:3], tmp_path)
    again = faf_lambdas(counts, tmp_path)
    assert first.equals(direct.slice(0, 3))
    assert again.equals(direct)
    assert again.column("faf95").to_pylist()[1] == poisson_lower_bound(3, 0.95)
    (tmp_path / FAF_CACHE).write_bytes(b"not parquet")
    assert faf_lambdas(counts, tmp_path).equals(direct)


def test_lambdas_per_row_equal_the_bounds_of_each_count(tmp_path: Path) -> None:
    """The count-indexed table gives every row its own count's bound, as counts grow across calls and when
    the table starts from the cache; counts below 2 give 0."""
    first = np.array([0, 1, 2, 5, 2, 300, 5, 1])
    later = np.array([7_000, 5, 0, 9_999, 2, 301])
    names = [name for name, _ in FAF_CONFIDENCES]

    def expected(counts: np.ndarray[Any, Any]) -> dict[str, list[float]]:
        return {
            name: [poisson_lower_bound(int(c), conf) if c >= 2 else 0.0 for c in counts]
            for name, conf in FAF_CONFIDENCES
        }

    lookup = FafLookup(tmp_path)
    for counts in (first, later, first):
        got = lookup.lambdas(counts)
        assert {name: got[name].tolist() for name in names} == expected(counts)
    lookup.save()
    cached = FafLookup(tmp_path)
    got = cached.lambdas(later)
    assert {name: got[name].tolist() for name in names} == expected(later)
    assert not cached._changed  # every count came from the cache
    assert lookup.lambdas(np.array([], np.int64))["faf95"].tolist() == []
