"""Liveness, readiness and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS, CallerOut, CheckOut, HealthOut
from genomdb.api.security import ANY_USER, PUBLIC, service_context
from genomdb.api.services.health import readiness

router = APIRouter(tags=["health"])


@router.get("/health/live", response_model=HealthOut)
async def live(caller: Annotated[Caller, Depends(PUBLIC)]) -> HealthOut:
    """The process is up."""
    return HealthOut(status="live")


@router.get("/health/ready", response_model=HealthOut, responses={503: {"model": HealthOut}})
def ready(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> JSONResponse:
    """The catalog and the blob store answer (the newest frequency release is reported too)."""
    found = readiness(service_context(request))
    body = HealthOut(
        status="ready" if found.ready else "not ready",
        checks=[CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in found.checks],
    )
    return JSONResponse(body.model_dump(), status_code=200 if found.ready else 503)


@router.get("/api/whoami", response_model=CallerOut, responses=PROBLEMS, tags=["access"])
def whoami(caller: Annotated[Caller, Depends(ANY_USER)]) -> CallerOut:
    """The user a token stands for: role, department, region and the highest disclosure tier."""
    return CallerOut.of(caller)
