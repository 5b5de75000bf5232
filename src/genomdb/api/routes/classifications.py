"""The national variant database: record, reclassify and withdraw assertions (a department's clinicians, for their
own department), national views as of any moment, histories, conflict cases, recontact worklists, frequency
suggestions and the national export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from genomdb.api.context import Caller
from genomdb.api.schemas.classifications import (
    AssertionIn,
    ConflictListOut,
    ConflictOut,
    ConflictUpdateIn,
    FrequencyEvidenceOut,
    NationalViewOut,
    ReclassificationIn,
    RecordedOut,
    VersionOut,
    VersionsOut,
    WithdrawalIn,
    WorklistOut,
    WorklistsOut,
)
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.security import (
    CLASSIFICATION_READERS,
    CLASSIFIERS,
    CONFLICT_PARTIES,
    WORKLIST_READERS,
    service_context,
)
from genomdb.api.services import classifications
from genomdb.classification.database import parse_moment
from genomdb.classification.model import CONFLICT_STATES_HELP, AddOutcome, parse_conflict_states
from genomdb.errors import InvalidInput, Problem

router = APIRouter(prefix="/api/classifications", tags=["classifications"], responses=PROBLEMS)

PREFIX = "/api/classifications"
AsOfQuery = Annotated[
    str | None,
    Query(
        description="what the database said at this moment: YYYY-MM-DD (the end of that day, UTC) or an ISO time "
        "[default: now]",
        examples=["2024-05-01"],
    ),
]
EXPORT_TYPES = {"tsv": "text/tab-separated-values; charset=utf-8", "vcf": "text/vcf; charset=utf-8"}


def _recorded(outcome: AddOutcome, *, created_status: int = 201) -> JSONResponse:
    """201 (or ``created_status``) when a version was stored, 200 when nothing changed; Location: the assertion."""
    body = RecordedOut.of(outcome).model_dump(mode="json")
    return JSONResponse(
        body,
        status_code=200 if outcome.unchanged else created_status,
        headers={"Location": f"{PREFIX}/assertions/{outcome.version.assertion_id}"},
    )


@router.post("/assertions", response_model=RecordedOut, status_code=201)
def record(request: Request, body: AssertionIn, caller: Annotated[Caller, Depends(CLASSIFIERS)]) -> JSONResponse:
    """Record a classification for your own department: a new assertion, or a new version of your department's
    assertion about the same variant and condition. 201 when stored (with the ACMG/AMP combining-rule warning when
    the class differs from what the criteria support), 200 when it says what the current version says."""
    outcome = classifications.record_assertion(
        service_context(request), caller, body.to_assertion(), department=body.department
    )
    return _recorded(outcome)


@router.get("/assertions/{assertion_id}", response_model=VersionsOut)
def assertion(
    request: Request,
    assertion_id: str,
    caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)],
    as_of: AsOfQuery = None,
) -> VersionsOut:
    """Every version of one assertion (``CLS-…``), oldest first."""
    found = classifications.assertion_history(
        service_context(request), caller, assertion_id, as_of=parse_moment(as_of, field="as_of")
    )
    return VersionsOut(versions=[VersionOut.of(v) for v in found])


@router.post("/assertions/{assertion_id}/versions", response_model=RecordedOut, status_code=201)
def reclassify(
    request: Request,
    assertion_id: str,
    body: ReclassificationIn,
    caller: Annotated[Caller, Depends(CLASSIFIERS)],
) -> JSONResponse:
    """A new version of your department's assertion (a reclassification, with its reason); fields left out keep
    the current version's value. 201 when stored, 200 when nothing changed."""
    outcome = classifications.reclassify(service_context(request), caller, assertion_id, body.to_reclassification())
    return _recorded(outcome)


@router.post("/assertions/{assertion_id}/withdraw", response_model=RecordedOut)
def withdraw(
    request: Request,
    assertion_id: str,
    body: WithdrawalIn,
    caller: Annotated[Caller, Depends(CLASSIFIERS)],
) -> JSONResponse:
    """Withdraw your department's assertion, with the reason: a new version, the history is kept."""
    outcome = classifications.withdraw(
        service_context(request), caller, assertion_id, reason=body.reason, classifier=body.classifier
    )
    return _recorded(outcome, created_status=200)


@router.get("/variants/{key}", response_model=NationalViewOut)
def national_view(
    request: Request, key: str, caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)], as_of: AsOfQuery = None
) -> NationalViewOut:
    """The national view of a variant (``chrom-pos-ref-alt`` or ``ga4gh:VA.…``): VKGL consensus, ClinVar-style
    aggregate and review status, each department's class and criteria, the criteria applied differently."""
    view = classifications.national_view(service_context(request), caller, key, as_of=parse_moment(as_of))
    return NationalViewOut.of(view)


@router.get("/variants/{key}/history", response_model=VersionsOut)
def variant_history(
    request: Request,
    key: str,
    caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)],
    as_of: AsOfQuery = None,
    department: str | None = None,
) -> VersionsOut:
    """Every version of every assertion about a variant (optionally one department's), oldest first."""
    found = classifications.variant_history(
        service_context(request), caller, key, as_of=parse_moment(as_of), department=department
    )
    return VersionsOut(versions=[VersionOut.of(v) for v in found])


@router.get("/variants/{key}/frequency-evidence", response_model=FrequencyEvidenceOut)
def frequency_evidence(
    request: Request,
    key: str,
    caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)],
    gene: Annotated[str | None, Query(description="whose thresholds [default: the gene the departments named]")] = None,
) -> FrequencyEvidenceOut:
    """BA1, BS1 or PM2 as the national FAF95 suggests them — a suggestion, never added to anyone's criteria.
    Computed from the controlled tier's counts: for callers allowed that tier."""
    return FrequencyEvidenceOut.of(classifications.frequency_evidence(service_context(request), caller, key, gene=gene))


@router.get("/conflicts", response_model=ConflictListOut)
def conflicts(
    request: Request,
    caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)],
    state: Annotated[str | None, Query(description=CONFLICT_STATES_HELP)] = None,
    department: Annotated[str | None, Query(description="cases involving this department")] = None,
    variant: Annotated[str | None, Query(description="cases about this variant")] = None,
) -> ConflictListOut:
    """Conflict cases between departments, oldest first."""
    states = parse_conflict_states(state) if state is not None else None
    if state is not None and states is None:
        raise InvalidInput(
            "unknown conflict state",
            [Problem("request", "unknown state", field="state", expected=CONFLICT_STATES_HELP, found=state)],
        )
    found = classifications.conflicts(
        service_context(request), caller, states=states, department=department, variant=variant
    )
    return ConflictListOut(conflicts=[ConflictOut.of(c) for c in found], n_conflicts=len(found))


@router.patch("/conflicts/{conflict_id}", response_model=ConflictOut)
def update_conflict(
    request: Request,
    conflict_id: str,
    body: ConflictUpdateIn,
    caller: Annotated[Caller, Depends(CONFLICT_PARTIES)],
) -> ConflictOut:
    """Move a conflict case your department is involved in to under discussion (with a note) or to resolved (with
    the recorded resolution)."""
    state, text = body.to_change()
    case = classifications.update_conflict(service_context(request), caller, conflict_id, state=state, text=text)
    return ConflictOut.of(case)


@router.get("/worklists", response_model=WorklistsOut)
def worklists(
    request: Request,
    caller: Annotated[Caller, Depends(WORKLIST_READERS)],
    department: Annotated[str | None, Query(description="your own department (the default; no other)")] = None,
    variant: Annotated[str | None, Query(description="only this variant")] = None,
) -> WorklistsOut:
    """Your department's recontact worklists: your own carriers of variants whose national view crossed the P/LP
    boundary. Person-level: every person shown is read through the access policy and audited."""
    own, found = classifications.worklists(service_context(request), caller, department=department, variant=variant)
    return WorklistsOut(
        department=own,
        worklists=[WorklistOut.of(w) for w in found],
        n_persons=len({e.pseudonym for w in found for e in w.entries}),
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {media: {} for media in EXPORT_TYPES.values()}, "description": "the export"}},
)
def export(
    request: Request,
    caller: Annotated[Caller, Depends(CLASSIFICATION_READERS)],
    file_format: Annotated[Literal["tsv", "vcf"], Query(alias="format", description="tsv or vcf")] = "tsv",
    as_of: AsOfQuery = None,
) -> Response:
    """The national consensus, one row per classified variant (``genomdb classify export --national``)."""
    text, n_variants = classifications.export_national(
        service_context(request), caller, file_format=file_format, as_of=parse_moment(as_of)
    )
    return Response(
        text,
        media_type=EXPORT_TYPES[file_format],
        headers={
            "Content-Disposition": f'attachment; filename="genomdb-national-consensus.{file_format}"',
            "X-Genomdb-Variants": str(n_variants),
        },
    )
