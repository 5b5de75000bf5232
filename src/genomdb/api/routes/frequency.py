"""Aggregate frequencies: variant, region, gene and bulk look-ups, at the caller's disclosure tier."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.frequency import BulkIn, BulkOut, RegionFrequenciesOut, VariantFrequencyOut
from genomdb.api.security import PUBLIC, service_context
from genomdb.api.services import frequency

router = APIRouter(prefix="/api/frequency", tags=["frequency"], responses=PROBLEMS)

ReleaseQuery = Annotated[str | None, Query(description="release id [default: the newest]")]
TierQuery = Annotated[
    str | None, Query(description="public, registered or controlled [default: the highest the caller may use]")
]


@router.get("/variants/{key}", response_model=VariantFrequencyOut)
async def variant(
    request: Request,
    key: str,
    caller: Annotated[Caller, Depends(PUBLIC)],
    release: ReleaseQuery = None,
    tier: TierQuery = None,
) -> VariantFrequencyOut:
    """One variant, ``chrom-pos-ref-alt`` on GRCh38 (VCF position, normalised alleles).

    Answered on the event loop when the release is open: a point look-up reads a few memory-mapped pages of the
    release (well under a millisecond), cheaper than a hop to a worker thread. A release that still has to be
    looked up in the catalog or opened is handled in a worker thread, so the loop never waits for either."""
    context = service_context(request)
    if context.releases.is_open(release):
        found = frequency.lookup_variant(context, caller, key, release=release, tier=tier)
    else:
        found = await run_in_threadpool(frequency.lookup_variant, context, caller, key, release=release, tier=tier)
    return VariantFrequencyOut.of(found)


@router.post("/variants", response_model=BulkOut)
def bulk(request: Request, body: BulkIn, caller: Annotated[Caller, Depends(PUBLIC)]) -> BulkOut:
    """Up to 1,000 variants in one request, answered in the order given."""
    found = frequency.lookup_bulk(service_context(request), caller, body.variants, release=body.release, tier=body.tier)
    return BulkOut(
        release_id=found[0].release_id if found else None,
        n_variants=len(found),
        variants=[VariantFrequencyOut.of(v) for v in found],
    )


@router.get("/regions/{region}", response_model=RegionFrequenciesOut)
def region(
    request: Request,
    region: str,
    caller: Annotated[Caller, Depends(PUBLIC)],
    release: ReleaseQuery = None,
    tier: TierQuery = None,
) -> RegionFrequenciesOut:
    """Every variant starting inside ``chrom:start-end`` (1-based, inclusive; at most 5 Mb)."""
    return RegionFrequenciesOut.of(
        frequency.lookup_region(service_context(request), caller, region, release=release, tier=tier)
    )


@router.get("/genes/{symbol}", response_model=RegionFrequenciesOut)
def gene(
    request: Request,
    symbol: str,
    caller: Annotated[Caller, Depends(PUBLIC)],
    release: ReleaseQuery = None,
    tier: TierQuery = None,
) -> RegionFrequenciesOut:
    """Every variant inside a gene's GRCh38 span (by HGNC symbol)."""
    return RegionFrequenciesOut.of(
        frequency.lookup_gene(service_context(request), caller, symbol, release=release, tier=tier)
    )
