"""Poisson confidence bounds: the filtering allele frequency (FAF) and upper bounds for unobserved variants.

The filtering allele frequency of gnomAD (Whiffin et al. 2017, Hail's ``filtering_allele_frequency``) is the
highest true allele frequency at which observing the variant's allele count or more is still ``1 - confidence``
likely: ``FAF = λ / AN`` where ``P(X ≤ AC - 1 | X ~ Poisson(λ)) = confidence``, i.e. the lower one-sided
confidence bound of a Poisson count. As in gnomAD it is 0 for singletons (AC ≤ 1). Hail finds the root on a grid
of 1e-6 in AF; here the root is found exactly for counts up to 1,000 (Newton's method on the Poisson CDF,
started from the Wilson–Hilferty approximation) and taken from Wilson–Hilferty above that (relative error
< 1.2e-7), so values agree with gnomAD's to within its 1e-6 grid.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_TAIL_SIGMAS = 12.0
"""Terms of the Poisson CDF further than this many standard deviations below λ are below 1e-30 and are skipped."""
EXACT_UP_TO = 1000
"""Above this count the Wilson–Hilferty bound is used directly: its relative error is below 1.2e-7 there."""


def poisson_cdf(k: int, lam: float) -> float:
    """``P(X ≤ k)`` for ``X ~ Poisson(lam)``: the significant terms only, by the ratio recurrence of the pmf."""
    if k < 0:
        return 0.0
    if lam <= 0.0:
        return 1.0
    first = max(0, int(lam - _TAIL_SIGMAS * math.sqrt(lam)) - 1)
    if first > k:
        return 0.0
    term = math.exp(first * math.log(lam) - lam - math.lgamma(first + 1))
    total = term
    for j in range(first + 1, k + 1):
        term *= lam / j
        total += term
    return min(1.0, total)


def _poisson_log_pmf(k: int, lam: float) -> float:
    return k * math.log(lam) - lam - math.lgamma(k + 1)


@lru_cache(maxsize=65_536)
def poisson_lower_bound(count: int, confidence: float) -> float:
    """The one-sided lower confidence bound of a Poisson mean having observed ``count`` (0 for count 0)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    if count <= 0:
        return 0.0
    if count == 1:
        return -math.log(confidence)
    z = NormalDist().inv_cdf(confidence)
    guess: float = count * (1.0 - 1.0 / (9.0 * count) - z / (3.0 * math.sqrt(count))) ** 3
    if count > EXACT_UP_TO:
        return guess
    lam = max(guess, 1e-9)
    low, high = 0.0, float(count)
    for _ in range(100):
        value = poisson_cdf(count - 1, lam) - confidence
        if value > 0:
            low = lam
        else:
            high = lam
        log_pmf = _poisson_log_pmf(count - 1, lam)
        candidate = lam + value / math.exp(log_pmf) if log_pmf > -700.0 else (low + high) / 2.0
        if not low < candidate < high:
            candidate = (low + high) / 2.0
        if abs(candidate - lam) <= 1e-13 * max(1.0, lam):
            return candidate
        lam = candidate
    return lam


def filtering_allele_frequency(allele_count: int, allele_number: int, confidence: float = 0.95) -> float | None:
    """gnomAD's filtering allele frequency; None when nothing was callable (AN = 0), 0 for singletons."""
    if allele_number <= 0:
        return None
    if allele_count <= 1:
        return 0.0
    return float(poisson_lower_bound(allele_count, confidence)) / allele_number


def absent_upper_bound(allele_number: int, confidence: float = 0.95) -> float | None:
    """The highest allele frequency still compatible (one-sided, exact binomial) with 0 of ``allele_number``.

    ``1 - (1 - confidence) ** (1 / AN)``; about ``3 / AN`` at 95% (the rule of three). None when AN = 0.
    """
    if allele_number <= 0:
        return None
    return 1.0 - math.pow(1.0 - confidence, 1.0 / allele_number)
