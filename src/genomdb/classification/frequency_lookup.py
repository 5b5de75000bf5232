"""The national frequency of a variant, from the frequency database's newest release.

Classification is clinical work inside the national infrastructure, so the look-up uses the controlled tier (exact
counts: a variant seen twice among 10,000 alleles must still support PM2). No release yet, or a variant the release
does not cover, gives None: no frequency suggestion. A release that fails its integrity check is an error.
"""

from __future__ import annotations

from genomdb.classification.frequency_evidence import FrequencyObservation
from genomdb.errors import NotFound, Unavailable
from genomdb.instance import Instance

TIER = "controlled"


def national_frequency(instance: Instance, variant_key: str) -> FrequencyObservation | None:
    """AC, AN and FAF95 of the variant over all included individuals of the current release, or None."""
    try:
        from genomdb.frequency.lookup import FrequencyDatabase
    except ImportError:
        return None
    try:
        with FrequencyDatabase(instance) as database:
            found = database.lookup_variant(variant_key, TIER)
    except (NotFound, Unavailable):
        return None
    total = found.total
    if total.allele_number is None or total.allele_count is None:
        return None
    return FrequencyObservation(
        allele_count=int(total.allele_count),
        allele_number=int(total.allele_number),
        faf95=float(total.faf95) if total.faf95 is not None else None,
        release=found.release_id,
        tier=found.tier,
    )
