"""Aggregate frequencies for every caller, always through the disclosure engine at the caller's tier.

A caller without a token answers at the public tier and spends from its query budget: one query per variant
looked up, ten per region or gene.
"""

from __future__ import annotations

from collections.abc import Sequence

from genomdb.api.context import Caller, ServiceContext
from genomdb.api.limits import RequestTooLarge
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.records import RegionFrequencies, VariantFrequency

REGION_COST = 10


def lookup_variant(
    context: ServiceContext, caller: Caller, key: str, *, release: str | None = None, tier: Tier | str | None = None
) -> VariantFrequency:
    """One variant (``chr19-11089362-G-A``): observed, not observed (with an upper bound), suppressed or not covered."""
    answer_tier = caller.tier(tier)
    context.charge(caller)
    return context.releases.database(release).lookup_variant(key, answer_tier)


def lookup_bulk(
    context: ServiceContext,
    caller: Caller,
    keys: Sequence[str],
    *,
    release: str | None = None,
    tier: Tier | str | None = None,
) -> list[VariantFrequency]:
    """Up to ``max_bulk_variants`` variants in one call, in the order given."""
    limit = context.settings.max_bulk_variants
    if len(keys) > limit:
        raise RequestTooLarge("the bulk look-up", limit=f"{limit:,} variants", found=f"{len(keys):,} variants")
    answer_tier = caller.tier(tier)
    context.charge(caller, max(1, len(keys)))
    return context.releases.database(release).bulk_lookup(keys, answer_tier)


def lookup_region(
    context: ServiceContext, caller: Caller, region: str, *, release: str | None = None, tier: Tier | str | None = None
) -> RegionFrequencies:
    """Every variant of the release starting inside a region (at most 5 Mb)."""
    answer_tier = caller.tier(tier)
    context.charge(caller, REGION_COST)
    return context.releases.database(release).lookup_region(region, answer_tier)


def lookup_gene(
    context: ServiceContext, caller: Caller, symbol: str, *, release: str | None = None, tier: Tier | str | None = None
) -> RegionFrequencies:
    """Every variant of the release inside a gene's GRCh38 span."""
    answer_tier = caller.tier(tier)
    context.charge(caller, REGION_COST)
    return context.releases.database(release).lookup_gene(symbol, answer_tier)
