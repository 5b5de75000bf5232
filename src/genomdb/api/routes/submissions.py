"""Submissions: upload a manifest with its files (validated exactly as `genomdb submit`), list, show, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from genomdb.api.context import Caller
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.submissions import OutcomeOut, SubmissionListingOut, SubmissionListOut, SubmissionOut
from genomdb.api.security import SUBMISSION_READERS, SUBMITTERS, service_context
from genomdb.api.services import submissions

router = APIRouter(prefix="/api/submissions", tags=["submissions"], responses=PROBLEMS)


@router.post("", response_model=OutcomeOut, status_code=201)
def upload(
    request: Request,
    caller: Annotated[Caller, Depends(SUBMITTERS)],
    manifest: Annotated[UploadFile, File(description="the manifest (YAML or JSON)")],
    files: Annotated[list[UploadFile], File(description="every file the manifest names, by its relative path")] = [],  # noqa: B006
    corrects: Annotated[str | None, Form(description="the submission this one corrects")] = None,
    reason: Annotated[str | None, Form(description="why (required with corrects)")] = None,
) -> JSONResponse:
    """Submit for the caller's department: 201 when stored, 200 when identical content was already stored,
    422 with the full report when rejected."""
    outcome = submissions.upload_submission(
        service_context(request), caller, manifest, files, corrects=corrects or None, reason=reason or None
    )
    body = OutcomeOut.of(outcome)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if outcome.unchanged else 201)


@router.get("", response_model=SubmissionListOut)
def list_submissions(
    request: Request, caller: Annotated[Caller, Depends(SUBMISSION_READERS)], department: str | None = None
) -> SubmissionListOut:
    """A submitter's department's submissions; every department's for a data steward. Newest first."""
    found = submissions.list_submissions(service_context(request), caller, department=department)
    return SubmissionListOut(submissions=[SubmissionListingOut.of(s) for s in found])


@router.get("/{submission_id}", response_model=SubmissionOut)
def show(request: Request, submission_id: str, caller: Annotated[Caller, Depends(SUBMISSION_READERS)]) -> SubmissionOut:
    """A submission's status and every version with its validation report."""
    found = submissions.show_submission(service_context(request), caller, submission_id)
    return SubmissionOut.of(found, with_events=False)


@router.get("/{submission_id}/history", response_model=SubmissionOut)
def history(
    request: Request, submission_id: str, caller: Annotated[Caller, Depends(SUBMISSION_READERS)]
) -> SubmissionOut:
    """Every version and every event of a submission, oldest first."""
    found = submissions.show_submission(service_context(request), caller, submission_id)
    return SubmissionOut.of(found, with_events=True)
