"""The harmonised cohort as the frequency database sees it (docs/variant-store.md, last paragraph)."""

from __future__ import annotations

from genomdb.catalog.repository import Catalog
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import CohortSample

__all__ = ["CohortSample", "frequency_cohort"]


def frequency_cohort(catalog: Catalog) -> list[CohortSample]:
    """Every harmonised sample version, by id: labels for strata, state for inclusion, and QC figures.

    Superseded and withdrawn versions are listed too (``current`` False), so a release can say why it dropped
    them; which sample of a person counts is the frequency database's inclusion policy.
    """
    return variant_repository.cohort_samples(catalog.db)
