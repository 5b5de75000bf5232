"""The one disclosure-control engine: every frequency that leaves genomdb passes through :func:`disclose`.

Policy, per tier (``public`` is the default of every lookup):

* **Floor k on both sides.** A stratum is *small* when it has callable alleles and either ``0 < AC < k`` or
  ``AN - AC < k`` (a variant carried by almost every callable allele identifies carriers as surely as a rare
  one). ``AC = 0`` with ``AN ≥ k`` is not small: "nobody in a large group carries it" discloses nobody.
* **Concealment (public tier).** A variant whose total AC is under its floor is *not revealed to exist*: its
  counts are replaced by "not observed" (AC 0 in every stratum, the same AN and callable individuals) before
  anything else is decided, so its answer is, field for field, the answer for a variant nobody carries at that
  position, and listings leave it out. Each variant's floor is a draw from a logistic distribution (centre 120,
  scale 30, cut to 10–300), fixed per variant by a keyed hash (:class:`ConcealmentKey`, derived from an instance
  secret): one carrier more or less changes the odds that a variant is shown by at most about ``exp(1/30)``,
  instead of switching it at a fixed floor.
* **Counts withheld (public tier).** A revealed variant says "observed among N callable individuals" and shows AN,
  never AC, AF, FAF or genotype counts: the measured attack learnt more from rounded counts than from the Beacon's
  yes/no (docs/frequency.md, "Membership inference").
* **Suppression.** A small stratum that is revealed (registered tier, or a variant nearly every allele carries)
  shows AN but no AC, AF, FAF, nhomalt or nhemi. Counts of homozygotes or hemizygotes below k are withheld on their
  own (shown as None) without suppressing AC.
* **Collapse.** When any stratum other than ``all`` is small, every stratum but ``all`` is withheld, so a
  suppressed stratum cannot be recovered by subtracting the others from the total.
* **Rounding.** Counts (AC, AN, nhomalt, nhemi, callable individuals) are rounded half-up to a multiple of
  ``round_to`` after the floor was applied to the exact values; AF and FAF are recomputed from the rounded counts,
  so an exact count cannot be recovered from a frequency.

| tier | k | under the floor | floor per variant | counts | collapse | round to |
|---|---|---|---|---|---|---|
| public | 10 | not revealed (as not observed) | keyed logistic, 10–300 | withheld (AN shown) | yes | 5 |
| registered | 5 | revealed, counts withheld | k | shown | yes | 1 |
| controlled | 0 (off) | shown | – | shown | no | 1 |

Every :class:`~genomdb.frequency.records.VariantFrequency` says whether its tier reveals that the release
observed the variant (``revealed``): listings, neighbours, plots, CSV and the Beacon's ``exists`` use that flag
and nothing else. Who may use which tier is decided by the caller (the access policy of the API or CLI), not here.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from genomdb.errors import InvalidInput, Problem
from genomdb.frequency.faf import absent_upper_bound, filtering_allele_frequency
from genomdb.frequency.keys import VariantKey
from genomdb.frequency.records import (
    FrequencyStatus,
    RawStratumCounts,
    StratumFrequency,
    VariantFrequency,
)
from genomdb.frequency.strata import TOTAL


class Tier(StrEnum):
    PUBLIC = "public"
    REGISTERED = "registered"
    CONTROLLED = "controlled"


@dataclass(frozen=True, slots=True)
class ConcealmentKey:
    """The secret that places each variant's floor inside ``[k, k + blur]`` (see the module docs).

    Derived from an instance secret, so the same variant has the same floor in every release and on every surface
    (asking again, or asking another surface, learns nothing new), and nobody without the secret can compute it.
    """

    secret: bytes

    @classmethod
    def derived_from(cls, instance_secret: bytes) -> ConcealmentKey:
        """A key of its own, derived from an instance secret (never the secret itself)."""
        return cls(hmac.new(instance_secret, b"genomdb disclosure floors v1", hashlib.sha256).digest())

    def uniform(self, variant: VariantKey) -> float:
        """A variant's draw in ``[0, 1)``, uniform over variants and fixed for the variant."""
        digest = hmac.new(self.secret, variant.key.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64


@functools.cache
def _logistic_floors(low: int, high: int, center: float, scale: float) -> tuple[tuple[int, float], ...]:
    """Floors ``low … high`` with logistic probabilities (the tails lumped onto the two ends)."""
    cumulative = [1.0 / (1.0 + math.exp(-(x - center) / scale)) for x in range(low, high)] + [1.0]
    return tuple((low + i, c - (cumulative[i - 1] if i else 0.0)) for i, c in enumerate(cumulative))


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """How much one tier may see: the floor k (0 disables it), concealment under it, strata collapse, rounding."""

    tier: Tier
    min_count: int
    collapse_strata: bool
    round_to: int
    conceal_small: bool = False
    """A variant under its floor is answered exactly like one not observed, and listings leave it out."""
    floor_center: float = 0.0
    floor_scale: float = 0.0
    """With concealment and a scale > 0, each variant's floor is a keyed draw from a logistic distribution with this
    centre and scale, cut to ``[min_count, floor_max]``: whether one carrier more moves a variant across its floor
    changes the odds of an answer by at most about ``exp(1 / floor_scale)``."""
    floor_max: int = 0
    withhold_counts: bool = False
    """Revealed variants show that they were observed (and AN), never their counts: a count, even rounded, tells
    more about membership than the Beacon's yes/no (docs/frequency.md, "Membership inference")."""

    def floor_distribution(self) -> tuple[tuple[int, float], ...]:
        """Every floor a variant may get, with its probability (one floor, ``min_count``, without a spread)."""
        if not self.conceal_small or self.floor_scale <= 0 or self.floor_max <= self.min_count:
            return ((self.min_count, 1.0),)
        return _logistic_floors(self.min_count, self.floor_max, self.floor_center, self.floor_scale)

    def floor_of(self, variant: VariantKey, key: ConcealmentKey | None) -> int:
        """The AC under which a variant is concealed; without a key, the highest floor of the distribution."""
        distribution = self.floor_distribution()
        if key is None:
            return distribution[-1][0]
        draw, total = key.uniform(variant), 0.0
        for floor, probability in distribution:
            total += probability
            if draw < total:
                return floor
        return distribution[-1][0]

    def is_small(self, allele_count: int, allele_number: int) -> bool:
        """Whether a stratum's counts fall under the floor (see the module docs)."""
        k = self.min_count
        if k <= 0 or allele_number <= 0:
            return False
        return 0 < allele_count < k or allele_number - allele_count < k

    def rounded(self, count: int) -> int:
        if self.round_to <= 1:
            return count
        return ((2 * count + self.round_to) // (2 * self.round_to)) * self.round_to


PUBLIC_FLOOR_CENTER = 120.0
PUBLIC_FLOOR_SCALE = 30.0
PUBLIC_FLOOR_MAX = 300
"""The public floors: logistic around AC 120 with scale 30, cut to 10–300 — the narrowest of the distributions
``bench/privacy.py --sweep`` compared that holds the floor-aware attack to AUC ≤ 0.6 at 2,400 queries per target
(docs/frequency.md, "Membership inference")."""

POLICIES: dict[Tier, DisclosurePolicy] = {
    Tier.PUBLIC: DisclosurePolicy(
        Tier.PUBLIC,
        min_count=10,
        collapse_strata=True,
        round_to=5,
        conceal_small=True,
        floor_center=PUBLIC_FLOOR_CENTER,
        floor_scale=PUBLIC_FLOOR_SCALE,
        floor_max=PUBLIC_FLOOR_MAX,
        withhold_counts=True,
    ),
    Tier.REGISTERED: DisclosurePolicy(Tier.REGISTERED, min_count=5, collapse_strata=True, round_to=1),
    Tier.CONTROLLED: DisclosurePolicy(Tier.CONTROLLED, min_count=0, collapse_strata=False, round_to=1),
}


def policies_with_public_floors(center: float, scale: float, highest: int) -> dict[Tier, DisclosurePolicy]:
    """The tiers' policies with the public floors an instance configured (``GENOMDB_PUBLIC_FLOOR_*``)."""
    public = dataclasses.replace(
        POLICIES[Tier.PUBLIC],
        floor_center=center,
        floor_scale=scale,
        floor_max=max(highest, POLICIES[Tier.PUBLIC].min_count),
    )
    return {**POLICIES, Tier.PUBLIC: public}


def policy_for(tier: Tier | str) -> DisclosurePolicy:
    """The policy of a tier by name; InvalidInput for an unknown tier."""
    try:
        return POLICIES[Tier(tier)]
    except ValueError:
        raise InvalidInput(
            f"unknown disclosure tier {tier!r}",
            [Problem("tier", "unknown tier", expected=", ".join(t.value for t in Tier), found=str(tier))],
        ) from None


def _format_af(value: float) -> str:
    return f"{value:.2g}" if value < 1e-3 else f"{value:.4f}".rstrip("0").rstrip(".")


def _optional_count(policy: DisclosurePolicy, count: int) -> int | None:
    if 0 < count < policy.min_count:
        return None
    return policy.rounded(count)


def _shown(policy: DisclosurePolicy, raw: RawStratumCounts) -> StratumFrequency:
    ac = policy.rounded(raw.allele_count)
    an = policy.rounded(raw.allele_number)
    if an <= 0:
        return StratumFrequency(
            raw.stratum, ac, an, None, policy.rounded(raw.n_homalt), policy.rounded(raw.n_hemi), None, None
        )
    return StratumFrequency(
        stratum=raw.stratum,
        allele_count=ac,
        allele_number=an,
        allele_frequency=ac / an,
        n_homalt=_optional_count(policy, raw.n_homalt),
        n_hemi=_optional_count(policy, raw.n_hemi),
        faf95=filtering_allele_frequency(ac, an, 0.95),
        faf99=filtering_allele_frequency(ac, an, 0.99),
    )


def _withheld(policy: DisclosurePolicy, raw: RawStratumCounts) -> StratumFrequency:
    return StratumFrequency(raw.stratum, None, policy.rounded(raw.allele_number), None, None, None, None, None)


def disclose(
    variant: VariantKey,
    counts: Sequence[RawStratumCounts],
    *,
    callable_individuals: int,
    release_id: str,
    policy: DisclosurePolicy,
    key: ConcealmentKey | None = None,
) -> VariantFrequency:
    """Apply a tier's policy to a variant's exact counts (``counts[0]`` is ``all``; AC 0 when not observed).

    ``key`` places the variant's floor for concealment (without one, the highest floor of the range applies).
    """
    if not counts or counts[0].stratum != TOTAL:
        raise ValueError("counts must start with the 'all' stratum")
    if policy.conceal_small and 0 < counts[0].allele_count < policy.floor_of(variant, key):
        counts = [RawStratumCounts(c.stratum, 0, c.allele_number, 0, 0) for c in counts]
    total = counts[0]
    small = [policy.is_small(c.allele_count, c.allele_number) for c in counts]
    collapsed = policy.collapse_strata and any(small[1:])
    kept = [(c, s) for c, s in zip(counts, small, strict=True)][: 1 if collapsed else len(counts)]
    strata = tuple(_withheld(policy, c) if s else _shown(policy, c) for c, s in kept)
    individuals = policy.rounded(callable_individuals)
    shown_an = strata[0].allele_number or 0
    upper: float | None = None
    tier = policy.tier.value
    if total.allele_number <= 0:
        status = FrequencyStatus.NOT_COVERED
        message = "position not covered: no included individual is callable here"
    elif small[0]:
        status = FrequencyStatus.SUPPRESSED
        if total.allele_count == 0:
            message = f"not shown at tier {tier}: fewer than {policy.min_count} callable alleles"
        elif total.allele_count < policy.min_count:
            message = f"observed in fewer than {policy.min_count} alleles; counts withheld at tier {tier}"
        else:
            message = f"carried by nearly every callable allele; counts withheld at tier {tier}"
    elif total.allele_count == 0:
        status = FrequencyStatus.NOT_OBSERVED
        upper = absent_upper_bound(shown_an)
        message = (
            f"not observed among {individuals:,} callable individuals; "
            f"AF < {_format_af(upper or 0.0)} at 95% confidence"
        )
    elif policy.withhold_counts:
        status = FrequencyStatus.OBSERVED
        strata = tuple(_withheld(policy, c) for c, _ in kept)
        message = f"observed among {individuals:,} callable individuals; counts are shown from the registered tier"
    else:
        status = FrequencyStatus.OBSERVED
        shown = strata[0]
        message = (
            f"AC {shown.allele_count:,} of AN {shown.allele_number:,} (AF {_format_af(shown.allele_frequency or 0.0)})"
        )
        if shown.n_homalt:
            message += f", {shown.n_homalt:,} homozygous"
        if shown.n_hemi:
            message += f", {shown.n_hemi:,} hemizygous"
    if collapsed:
        message += f" (strata withheld at tier {tier})"
    return VariantFrequency(
        variant=variant,
        release_id=release_id,
        tier=tier,
        status=status,
        strata=strata,
        callable_individuals=individuals,
        af_upper_95=upper,
        collapsed=collapsed,
        message=message,
        revealed=total.allele_count > 0 and total.allele_number > 0,
    )
