"""PGx under ``/api/pgx`` (run for a person, read a report as JSON or one-page HTML, list results) and the
browser's PGx pages under ``/pgx``. Route rules keep other roles out; the access policy decides each person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from genomdb.access.records import CLINICAL_ROLES
from genomdb.access.tokens import Unauthenticated
from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.pgx import PgxResultsOut, PgxResultSummaryOut, PgxRunOut
from genomdb.api.security import WEB, Access, service_context
from genomdb.api.services import pgx
from genomdb.errors import Forbidden
from genomdb.pgx.html_report import report_document
from genomdb.pgx.runs import READERS, RUNNERS

PGX_READERS = Access("pgx readers", READERS)
PGX_RUNNERS = Access("pgx runners", RUNNERS)
_NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(prefix="/api/pgx", tags=["pgx"], responses=PROBLEMS)


@router.post("/runs/{key}", response_model=PgxRunOut)
def run(request: Request, key: str, caller: Annotated[Caller, Depends(PGX_RUNNERS)]) -> PgxRunOut:
    """Call a sample (``SMP-…`` or the department's id) or a person (``GDB-…``) now from the variant store and store
    the result; a result already made from the same inputs and data version is kept. Clinicians for persons whose
    data the policy lets them read; data stewards under data stewardship (the summary shows no result)."""
    return PgxRunOut.of(key, pgx.run(service_context(request), caller, key))


@router.get("/results", response_model=PgxResultsOut)
def results(
    request: Request,
    caller: Annotated[Caller, Depends(PGX_READERS)],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> PgxResultsOut:
    """The stored results (newest per sample) of the persons the policy lets the caller read, with their
    diplotypes; every person looked at is decided and audited."""
    found = pgx.results(service_context(request), caller, limit=limit)
    return PgxResultsOut(results=[PgxResultSummaryOut(**r) for r in found], n_results=len(found), limit=limit)


@router.get("/reports/{key}")
def report(request: Request, key: str, caller: Annotated[Caller, Depends(PGX_READERS)]) -> dict[str, Any]:
    """A sample's or person's PGx report: genomdb's JSON report (``schema_version`` 1) as stored — every gene's
    diplotypes (ties listed), phenotype, activity score, missing positions, the call from the records alone and the
    differences the callable blocks make, and one entry per drug with the CPIC recommendation and guideline."""
    return pgx.report(service_context(request), caller, key)


@router.get("/reports/{key}/html", response_class=HTMLResponse)
def report_html(request: Request, key: str, caller: Annotated[Caller, Depends(PGX_READERS)]) -> HTMLResponse:
    """The same report as one printable HTML page for the clinician."""
    found = pgx.report(service_context(request), caller, key)
    return HTMLResponse(report_document(found, person=found.get("person")), headers=_NO_STORE)


web_router = APIRouter(include_in_schema=False)


def _clinical(caller: Caller, what: str) -> None:
    if caller.actor is None:
        raise Unauthenticated(f"{what} is for the clinical roles: log in first")
    if caller.actor.role not in CLINICAL_ROLES:
        roles = " or ".join(sorted(CLINICAL_ROLES))
        raise Forbidden(f"{what} is for the roles {roles}; {caller.actor.username} is a {caller.actor.role}")


@web_router.get("/pgx", response_class=HTMLResponse)
def pgx_index(request: Request, caller: Annotated[Caller, Depends(WEB)]) -> HTMLResponse:
    from genomdb.api.web.pgx import results_page

    _clinical(caller, "the PGx pages")
    found = pgx.results(service_context(request), caller, limit=1000, via="web")
    return HTMLResponse(results_page(caller, found), headers=_NO_STORE)


@web_router.get("/pgx/{key}", response_class=HTMLResponse)
def pgx_page(request: Request, key: str, caller: Annotated[Caller, Depends(WEB)]) -> HTMLResponse:
    from genomdb.api.web.pgx import report_page

    _clinical(caller, "a person's PGx page")
    found = pgx.report(service_context(request), caller, key, via="web")
    return HTMLResponse(report_page(caller, found), headers=_NO_STORE)


@web_router.get("/pgx/{key}/print", response_class=HTMLResponse)
def pgx_printable(request: Request, key: str, caller: Annotated[Caller, Depends(WEB)]) -> HTMLResponse:
    _clinical(caller, "a person's PGx report")
    found = pgx.report(service_context(request), caller, key, via="web")
    return HTMLResponse(report_document(found, person=found.get("person")), headers=_NO_STORE)
