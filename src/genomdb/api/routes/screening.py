"""Early detection over REST (``/api/screening``) and its browser pages (``/screening/…``): the same service as
``genomdb screen``. Stewards load policies, run programmes, set capacity, release referrals and record a wish not
to know; worklists, diffs and cascade lists are person-level, decided per person by the access policy and audited
(clinical roles of the person's department). Persons who opted out or do not want to know are never listed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from genomdb.access.records import CLINICAL_ROLES, Actor, Role
from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.screening import (
    BacklogOut,
    BacklogsOut,
    CapacityIn,
    CascadeOut,
    ChangeOut,
    DiffOut,
    FindingOut,
    FlagIn,
    FlagOut,
    PolicyIn,
    ProgrammeOut,
    RelativeOut,
    ReleaseOut,
    RunIn,
    RunOut,
    RunOutcomeOut,
    RunsOut,
    StatusIn,
    WorklistOut,
    YieldOut,
)
from genomdb.api.security import ANY_USER, WEB, Access, service_context
from genomdb.api.web import screening_pages
from genomdb.classification.database import parse_moment
from genomdb.errors import Forbidden, GenomdbError, NotFound, Unavailable
from genomdb.screening import service
from genomdb.screening.cascade import yields
from genomdb.screening.policy import SHIPPED

router = APIRouter(prefix="/api/screening", tags=["screening"], responses=PROBLEMS)
pages_router = APIRouter(include_in_schema=False)

STEWARDS = Access("screening stewards", (Role.STEWARD,))
CLINICAL = Access("screening clinical readers", CLINICAL_ROLES)


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a screening request reached the service without an authenticated caller")
    return caller.actor


@router.get("/programmes", response_model=list[ProgrammeOut])
def programmes(request: Request, caller: Annotated[Caller, Depends(ANY_USER)]) -> list[ProgrammeOut]:
    """Every programme with its current policy (genes, rules, caps, priority)."""
    instance = service_context(request).instance
    return [ProgrammeOut.of(service.current_policy(instance, p)) for p in SHIPPED]


@router.get("/programmes/{programme}/policy")
def policy(request: Request, programme: str, caller: Annotated[Caller, Depends(ANY_USER)]) -> dict[str, object]:
    """The current policy document of a programme (what `genomdb screen policy load` accepts, edited)."""
    return service.current_policy(service_context(request).instance, programme).document


@router.put("/programmes/{programme}/policy", response_model=ProgrammeOut)
def load_policy(
    request: Request, programme: str, body: PolicyIn, caller: Annotated[Caller, Depends(STEWARDS)]
) -> ProgrammeOut:
    """Load an edited policy (stewards); a bad document is refused with every problem and nothing changes."""
    loaded, _ = service.load_policy_text(
        service_context(request).instance, _actor(caller), body.yaml, file_name=body.name, programme=programme
    )
    return ProgrammeOut.of(loaded)


@router.post("/runs", response_model=RunOutcomeOut, status_code=201)
def run(request: Request, body: RunIn, caller: Annotated[Caller, Depends(STEWARDS)]) -> RunOutcomeOut:
    """Run a programme (stewards); the run is stored with what it used, and compared with the previous one."""
    outcome = service.run_programme(
        service_context(request).instance,
        _actor(caller),
        body.programme,
        as_of=parse_moment(body.as_of, field="as_of"),
        cohort=body.cohort,
        via="api",
    )
    return RunOutcomeOut(
        run=RunOut.of(outcome.run),
        previous_run_id=outcome.previous.run_id if outcome.previous else None,
        n_newly_actionable=outcome.n_newly_actionable,
        n_no_longer_actionable=outcome.n_no_longer_actionable,
        n_cascade_entries_added=outcome.n_cascade_entries_added,
    )


@router.get("/runs", response_model=RunsOut)
def runs(request: Request, caller: Annotated[Caller, Depends(ANY_USER)], programme: str | None = None) -> RunsOut:
    """Stored runs: what each used and how many findings (no persons)."""
    return RunsOut(runs=[RunOut.of(r) for r in service.runs(service_context(request).instance, programme)])


@router.get("/runs/{run_a}/diff/{run_b}", response_model=DiffOut)
def diff(request: Request, run_a: str, run_b: str, caller: Annotated[Caller, Depends(CLINICAL)]) -> DiffOut:
    """Newly and no longer actionable carriers between two runs, of the persons the caller may read (audited)."""
    changes = service.diff(service_context(request).instance, _actor(caller), run_a, run_b, via="api")
    return DiffOut(before=run_a, after=run_b, changes=[ChangeOut.of(c) for c in changes.changes])


@router.get("/worklists/{programme}", response_model=WorklistOut)
def worklist(
    request: Request, programme: str, caller: Annotated[Caller, Depends(CLINICAL)], run: str | None = None
) -> WorklistOut:
    """The reported carriers of a run (default: the newest) the caller may read, every read audited."""
    found_run, found = service.worklist(
        service_context(request).instance, _actor(caller), programme, run_id=run, via="api"
    )
    return WorklistOut(run=RunOut.of(found_run), findings=[FindingOut.of(f) for f in found])


@router.get("/cascade", response_model=CascadeOut)
def cascade(
    request: Request,
    caller: Annotated[Caller, Depends(CLINICAL)],
    index: str | None = None,
    programme: str | None = None,
) -> CascadeOut:
    """Cascade worklists of the index cases the caller may read, with the yield per index case."""
    entries = service.cascade(
        service_context(request).instance, _actor(caller), index=index, programme=programme, via="api"
    )
    return CascadeOut(relatives=[RelativeOut.of(e) for e in entries], yields=[YieldOut.of(y) for y in yields(entries)])


@router.post("/cascade/{ident}/status", response_model=RelativeOut)
def relative_status(
    request: Request, ident: str, body: StatusIn, caller: Annotated[Caller, Depends(CLINICAL)]
) -> RelativeOut:
    """Move a relative (``REL-…`` or pseudonym) to the next status; a skipped step is refused, nothing changes."""
    entry = service.set_relative_status(
        service_context(request).instance,
        _actor(caller),
        ident,
        body.status,
        result=body.result,
        index=body.index,
        via="api",
    )
    return RelativeOut.of(entry)


@router.get("/capacity", response_model=BacklogsOut)
def capacity(request: Request, caller: Annotated[Caller, Depends(ANY_USER)]) -> BacklogsOut:
    """Backlogs per region and programme with capacity and months to clear (counts only)."""
    return BacklogsOut(backlogs=[BacklogOut.of(b) for b in service.backlogs(service_context(request).instance)])


@router.put("/capacity/{region}/{programme}", response_model=BacklogsOut)
def set_capacity(
    request: Request, region: str, programme: str, body: CapacityIn, caller: Annotated[Caller, Depends(STEWARDS)]
) -> BacklogsOut:
    """Set a region's monthly capacity for a programme (stewards); not a whole number: refused, nothing changes."""
    instance = service_context(request).instance
    service.set_capacity(instance, _actor(caller), region, programme, body.monthly_capacity, via="api")
    return BacklogsOut(backlogs=[BacklogOut.of(b) for b in service.backlogs(instance)])


@router.post("/releases/{programme}", response_model=ReleaseOut)
def release(request: Request, programme: str, caller: Annotated[Caller, Depends(STEWARDS)]) -> ReleaseOut:
    """Release this month's referrals within capacity, in priority order (stewards); the rest stays queued."""
    n_released, after = service.release(service_context(request).instance, _actor(caller), programme, via="api")
    return ReleaseOut(n_released=n_released, backlogs=[BacklogOut.of(b) for b in after])


@router.put("/persons/{pseudonym}/does-not-want-to-know", response_model=FlagOut)
def does_not_want_to_know(
    request: Request, pseudonym: str, body: FlagIn, caller: Annotated[Caller, Depends(STEWARDS)]
) -> FlagOut:
    """Record or clear a person's wish not to know (stewards)."""
    changed = service.set_does_not_want_to_know(
        service_context(request).instance, _actor(caller), pseudonym, body.does_not_want_to_know, via="api"
    )
    return FlagOut(pseudonym=pseudonym, does_not_want_to_know=body.does_not_want_to_know, changed=changed)


# --- browser pages -------------------------------------------------------------------------------------------------

_NO_STORE = {"Cache-Control": "no-store"}


def _page(caller: Caller, path: str, render: Callable[[], str]) -> Response:
    if caller.actor is None:
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
    try:
        html = render()
    except GenomdbError as exc:
        status = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 400
        return HTMLResponse(screening_pages.message_page(caller, exc.message), status_code=status, headers=_NO_STORE)
    return HTMLResponse(html, headers=_NO_STORE)


@pages_router.get("/screening/family/{pseudonym}", response_class=HTMLResponse)
def family_page(request: Request, pseudonym: str, caller: Annotated[Caller, Depends(WEB)]) -> Response:
    instance = service_context(request).instance

    def render() -> str:
        found, entries = service.family(instance, _actor(caller), pseudonym, via="web")
        return screening_pages.family_page(caller, pseudonym, found, entries, yields(entries))

    return _page(caller, f"/screening/family/{pseudonym}", render)


@pages_router.get("/screening/{programme}", response_class=HTMLResponse)
def worklist_page(request: Request, programme: str, caller: Annotated[Caller, Depends(WEB)]) -> Response:
    instance = service_context(request).instance

    def render() -> str:
        found_run, found = service.worklist(instance, _actor(caller), programme, via="web")
        return screening_pages.worklist_page(caller, service.current_policy(instance, programme), found_run, found)

    return _page(caller, f"/screening/{programme}", render)
