"""The disclosure engine: floors on AC and AN−AC, collapse of strata, rounding, per tier."""

from __future__ import annotations

import pytest

from genomdb.errors import InvalidInput
from genomdb.frequency.disclosure import ConcealmentKey, DisclosurePolicy, Tier, disclose, policy_for
from genomdb.frequency.keys import VariantKey
from genomdb.frequency.records import FrequencyStatus, RawStratumCounts

VARIANT = VariantKey("chr19", 11_089_362, "G", "A")


def _counts(*rows: tuple[str, int, int, int]) -> list[RawStratumCounts]:
    return [RawStratumCounts(stratum, ac, an, hom, 0) for stratum, ac, an, hom in rows]


def test_public_default_is_safe() -> None:
    public = policy_for(Tier.PUBLIC)
    assert public.min_count >= 10 and public.collapse_strata and public.round_to > 1
    assert policy_for("controlled").min_count == 0
    with pytest.raises(InvalidInput, match="tier"):
        policy_for("secret")


def test_rare_variant_is_concealed_in_public_withheld_for_registered_shown_for_controlled() -> None:
    counts = _counts(("all", 3, 2000, 0), ("XX", 1, 1000, 0), ("XY", 2, 1000, 0))
    public = disclose(VARIANT, counts, callable_individuals=1000, release_id="R", policy=policy_for("public"))
    absent = _counts(("all", 0, 2000, 0), ("XX", 0, 1000, 0), ("XY", 0, 1000, 0))
    nobody = disclose(VARIANT, absent, callable_individuals=1000, release_id="R", policy=policy_for("public"))
    assert public == nobody and not public.revealed
    assert public.status is FrequencyStatus.NOT_OBSERVED and public.total.allele_count == 0
    registered = disclose(VARIANT, counts, callable_individuals=1000, release_id="R", policy=policy_for("registered"))
    assert registered.status is FrequencyStatus.SUPPRESSED and registered.revealed and registered.collapsed
    assert len(registered.strata) == 1 and registered.total.allele_count is None
    assert registered.total.faf95 is None and registered.total.allele_number == 2000
    controlled = disclose(VARIANT, counts, callable_individuals=1000, release_id="R", policy=policy_for("controlled"))
    assert controlled.status is FrequencyStatus.OBSERVED and not controlled.collapsed and controlled.revealed
    assert [s.allele_count for s in controlled.strata] == [3, 1, 2]


def test_concealment_floor_is_keyed_per_variant_within_its_range() -> None:
    public = policy_for("public")
    distribution = public.floor_distribution()
    low, high = distribution[0][0], distribution[-1][0]
    assert public.conceal_small and low == public.min_count and high > low
    assert sum(p for _, p in distribution) == pytest.approx(1.0) and all(p > 0 for _, p in distribution)
    key = ConcealmentKey.derived_from(b"instance secret")
    variants = [VariantKey("chr1", 1000 + i, "A", "G") for i in range(4000)]
    floors = [public.floor_of(v, key) for v in variants]
    assert low <= min(floors) and max(floors) <= high and len(set(floors)) > (high - low) // 2
    expected = sum(f * p for f, p in distribution)
    assert sum(floors) / len(floors) == pytest.approx(expected, rel=0.05)  # drawn from the stated distribution
    assert floors == [public.floor_of(v, key) for v in variants]  # fixed per variant: asking again learns nothing
    other = ConcealmentKey.derived_from(b"another instance")
    assert floors != [public.floor_of(v, other) for v in variants]
    assert public.floor_of(variants[0], None) == high  # without a key, the highest floor
    for variant, floor in zip(variants[:60], floors, strict=False):
        for ac in (floor - 1, floor):
            found = disclose(
                variant,
                _counts(("all", ac, 4000, 0)),
                callable_individuals=2000,
                release_id="R",
                policy=public,
                key=key,
            )
            assert found.revealed == (ac >= floor)
            if not found.revealed:
                assert found.status is FrequencyStatus.NOT_OBSERVED and found.total.allele_count == 0
            else:  # the public tier says a variant was observed, never how often
                assert found.status is FrequencyStatus.OBSERVED and found.total.allele_count is None
                assert found.total.allele_frequency is None and found.total.allele_number == 4000


def test_any_small_stratum_collapses_to_the_total() -> None:
    counts = _counts(("all", 40, 2000, 2), ("XX", 36, 1000, 2), ("XY", 4, 1000, 0))
    registered = disclose(VARIANT, counts, callable_individuals=1000, release_id="R", policy=policy_for("registered"))
    assert registered.status is FrequencyStatus.OBSERVED and registered.collapsed
    assert [s.stratum for s in registered.strata] == ["all"]
    assert registered.total.allele_count == 40 and registered.total.n_homalt is None
    large = _counts(("all", 400, 2000, 20), ("XX", 200, 1000, 10), ("XY", 200, 1000, 10))
    shown = disclose(VARIANT, large, callable_individuals=1000, release_id="R", policy=policy_for("registered"))
    assert not shown.collapsed and [s.allele_count for s in shown.strata] == [400, 200, 200]


def test_floor_applies_to_non_carriers_too() -> None:
    counts = _counts(("all", 1995, 2000, 996))
    public = disclose(VARIANT, counts, callable_individuals=1000, release_id="R", policy=policy_for("public"))
    assert public.status is FrequencyStatus.SUPPRESSED and "nearly every" in public.message
    assert public.revealed  # carried by nearly everybody: that it exists says nothing about anyone


def test_rounding_recomputes_frequencies_from_rounded_counts() -> None:
    counts = _counts(("all", 123, 4567, 12))
    rounding = DisclosurePolicy(Tier.PUBLIC, min_count=10, collapse_strata=True, round_to=5)
    public = disclose(VARIANT, counts, callable_individuals=2284, release_id="R", policy=rounding)
    total = public.total
    assert (total.allele_count, total.allele_number, total.n_homalt) == (125, 4565, 10)
    assert total.allele_frequency == pytest.approx(125 / 4565)
    assert public.callable_individuals == 2285
    common = _counts(("all", 423, 4567, 12))  # above every public floor: shown to exist, never counted
    shown = disclose(VARIANT, common, callable_individuals=2284, release_id="R", policy=policy_for("public"))
    assert shown.status is FrequencyStatus.OBSERVED and shown.total.allele_count is None
    assert shown.total.allele_number == 4565 and shown.callable_individuals == 2285
    exact = disclose(VARIANT, counts, callable_individuals=2284, release_id="R", policy=policy_for("controlled"))
    assert exact.total.allele_count == 123 and exact.total.faf95 is not None


def test_absent_and_not_covered() -> None:
    absent = _counts(("all", 0, 2000, 0), ("XX", 0, 1000, 0), ("XY", 0, 1000, 0))
    found = disclose(VARIANT, absent, callable_individuals=1000, release_id="R", policy=policy_for("public"))
    assert found.status is FrequencyStatus.NOT_OBSERVED and not found.collapsed
    assert found.af_upper_95 == pytest.approx(1 - 0.05 ** (1 / 2000))
    assert "not observed among 1,000 callable individuals; AF < 0.0015 at 95% confidence" in found.message
    tiny = _counts(("all", 0, 2000, 0), ("XX", 0, 1996, 0), ("XY", 0, 4, 0))
    assert disclose(VARIANT, tiny, callable_individuals=1000, release_id="R", policy=policy_for("public")).collapsed
    empty = _counts(("all", 0, 0, 0), ("XX", 0, 0, 0))
    uncovered = disclose(VARIANT, empty, callable_individuals=0, release_id="R", policy=policy_for("public"))
    assert uncovered.status is FrequencyStatus.NOT_COVERED and "not covered" in uncovered.message
    with pytest.raises(ValueError):
        disclose(VARIANT, _counts(("XX", 0, 0, 0)), callable_individuals=0, release_id="R", policy=policy_for("public"))
