"""Catalog search and show: person-level, through the access policy (submitters, clinicians and data stewards), by
the same functions as `genomdb catalog` (`genomdb.access.catalog_reads`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from genomdb.api.context import Caller
from genomdb.api.schemas.catalog import PersonOut, SampleDetailOut, SampleSearchOut, SampleSummaryOut
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.security import CATALOG_READERS, service_context
from genomdb.api.services import catalog
from genomdb.model.catalog import SearchFilters

router = APIRouter(prefix="/api/catalog", tags=["catalog"], responses=PROBLEMS)


@router.get("/samples", response_model=SampleSearchOut)
def search(
    request: Request,
    caller: Annotated[Caller, Depends(CATALOG_READERS)],
    region: str | None = None,
    department: str | None = None,
    platform: str | None = None,
    read_type: str | None = None,
    file_format: Annotated[str | None, Query(alias="format")] = None,
    build: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    has_vcf: bool | None = None,
    submission: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> SampleSearchOut:
    """Current samples matching every filter, of those the access policy lets the caller see."""
    context = service_context(request)
    page = limit or context.settings.catalog_search_limit
    filters = SearchFilters(
        region=region,
        department=department,
        platform=platform,
        read_type=read_type,
        file_format=file_format,
        reference_build=build,
        submitted_from=since,
        submitted_to=until,
        has_vcf=has_vcf,
        submission_id=submission,
        limit=page,
    )
    found = catalog.search_samples(context, caller, filters)
    return SampleSearchOut(samples=[SampleSummaryOut.of(s) for s in found], n_samples=len(found), limit=page)


@router.get("/samples/{key}", response_model=SampleDetailOut)
def show_sample(request: Request, key: str, caller: Annotated[Caller, Depends(CATALOG_READERS)]) -> SampleDetailOut:
    """One current sample (``SMP-…`` or the department's id) with its runs, files and analyses."""
    return SampleDetailOut.of(catalog.show_sample(service_context(request), caller, key))


@router.get("/persons/{pseudonym}", response_model=PersonOut)
def show_person(request: Request, pseudonym: str, caller: Annotated[Caller, Depends(CATALOG_READERS)]) -> PersonOut:
    """A person (by pseudonym) with the current samples the caller may see."""
    person, samples = catalog.show_person(service_context(request), caller, pseudonym)
    return PersonOut.of(person, samples)
