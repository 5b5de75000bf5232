"""GA4GH Beacon v2: framework endpoints and the g_variants entry type (GET and POST)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from genomdb.api import beacon
from genomdb.api.context import Caller
from genomdb.api.security import PUBLIC, service_context

router = APIRouter(prefix="/api/beacon", tags=["beacon"])


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("")
@router.get("/info")
def info(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """beaconInfoResponse."""
    return beacon.info(service_context(request), base_url=base_url(request))


@router.get("/service-info")
def service_info(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """GA4GH service-info."""
    return beacon.service_info(service_context(request), base_url=base_url(request))


@router.get("/configuration")
def configuration(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """beaconConfigurationResponse."""
    return beacon.configuration(service_context(request))


@router.get("/map")
def beacon_map(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """beaconMapResponse."""
    return beacon.beacon_map(service_context(request), base_url=base_url(request))


@router.get("/entry_types")
def entry_types(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """beaconEntryTypesResponse."""
    return beacon.entry_types(service_context(request))


@router.get("/filtering_terms")
def filtering_terms(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """beaconFilteringTermsResponse."""
    return beacon.filtering_terms(service_context(request))


@router.get("/g_variants")
def g_variants(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """Sequence, range or gene-id query as GET parameters (``start``/``end`` 0-based, assemblyId GRCh38)."""
    query = beacon.request_from_get(dict(request.query_params))
    return beacon.g_variants(service_context(request), caller, query, base_url=base_url(request))


@router.post("/g_variants")
def g_variants_post(
    request: Request,
    caller: Annotated[Caller, Depends(PUBLIC)],
    body: Annotated[Any, Body(description="beaconRequestBody: meta and query (requestParameters, granularity)")],
) -> dict[str, Any]:
    """Sequence, range or gene-id query as a beaconRequestBody."""
    query = beacon.request_from_body(body)
    return beacon.g_variants(service_context(request), caller, query, base_url=base_url(request))


@router.get("/g_variants/{variant_id}")
def g_variant(request: Request, variant_id: str, caller: Annotated[Caller, Depends(PUBLIC)]) -> dict[str, Any]:
    """One variant by its internal id (``chr19-11089362-G-A``)."""
    return beacon.g_variant_by_id(service_context(request), caller, variant_id, base_url=base_url(request))
