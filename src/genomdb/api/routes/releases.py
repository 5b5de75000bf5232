"""Frequency releases: list, show (with checksums), diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.frequency import ReleaseDetailOut, ReleaseDiffOut, ReleaseListOut, ReleaseOut
from genomdb.api.security import PUBLIC, service_context
from genomdb.api.services import releases

router = APIRouter(prefix="/api/releases", tags=["releases"], responses=PROBLEMS)


@router.get("", response_model=ReleaseListOut)
def list_releases(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> ReleaseListOut:
    """Every registered release, oldest first; cite a frequency by its release id."""
    found = releases.list_releases(service_context(request), caller)
    return ReleaseListOut(releases=[ReleaseOut.of(r) for r in found])


@router.get("/{release_id}", response_model=ReleaseDetailOut)
def show(request: Request, release_id: str, caller: Annotated[Caller, Depends(PUBLIC)]) -> ReleaseDetailOut:
    """One release with the checksums of its files and batches."""
    return ReleaseDetailOut.of_detail(releases.show_release(service_context(request), caller, release_id))


@router.get("/{release_id}/diff", response_model=ReleaseDiffOut)
def diff(
    request: Request,
    release_id: str,
    caller: Annotated[Caller, Depends(PUBLIC)],
    to: Annotated[str | None, Query(description="the newer release [default: the newest]")] = None,
) -> ReleaseDiffOut:
    """How the release ``to`` differs from this one: samples, batches, variants and strata."""
    return ReleaseDiffOut.of(releases.diff(service_context(request), caller, release_id, to))
