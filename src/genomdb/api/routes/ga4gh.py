"""GA4GH data access: htsget 1.3 (reads and variants tickets, and the byte blocks they point at) and DRS 1.x
objects. Person-level: behind the access policy, for the roles that may hold data access.

Errors on these paths use the GA4GH shapes instead of problem+json: ``{"htsget": {"error", "message"}}`` under
``/htsget`` and ``{"msg", "status_code"}`` under ``/ga4gh/drs`` (see :func:`error_response`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from genomdb.access.records import Role
from genomdb.api.context import Caller
from genomdb.api.security import Access, service_context
from genomdb.api.services import ga4gh
from genomdb.api.services.ga4gh import HTSGET_PREFIX

DRS_PREFIX = "/ga4gh/drs/v1"
PREFIXES = (HTSGET_PREFIX + "/", DRS_PREFIX + "/")
HTSGET_MEDIA = "application/vnd.ga4gh.htsget.v1.3.0+json"

DATA_READERS = Access("data readers", (Role.SUBMITTER, Role.CLINICIAN, Role.RESEARCHER, Role.STEWARD))
"""The roles that may hold data access; the access policy decides per person, region, grant and region of DNA."""

_HTSGET_ERRORS = {401: "InvalidAuthentication", 403: "PermissionDenied", 404: "NotFound"}
_HTSGET_KINDS = ("InvalidRange", "UnsupportedFormat")

router = APIRouter(tags=["ga4gh"])


def error_response(path: str, status: int, detail: str, headers: dict[str, str] | None) -> Response:
    """An error in the GA4GH shape of the path (htsget or DRS)."""
    if path.startswith(DRS_PREFIX):
        return JSONResponse({"msg": detail, "status_code": status}, status_code=status, headers=headers)
    if status == 422:
        status = 400  # a request not matching the schema: htsget's InvalidInput
    error = _HTSGET_ERRORS.get(status)
    if error is None:
        named = next((kind for kind in _HTSGET_KINDS if detail.startswith(kind)), None)
        error = named or ("InvalidInput" if status < 500 else "InternalError")
    return JSONResponse(
        {"htsget": {"error": error, "message": detail}}, status_code=status, media_type=HTSGET_MEDIA, headers=headers
    )


def _ticket(
    request: Request,
    caller: Caller,
    object_id: str,
    kind: str,
    reference_name: str | None,
    start: int | None,
    end: int | None,
    file_format: str | None,
    class_: str | None,
) -> JSONResponse:
    body = ga4gh.ticket(
        service_context(request),
        caller,
        object_id,
        kind=kind,
        reference_name=reference_name,
        start=start,
        end=end,
        format=file_format,
        class_=class_,
        service_url=str(request.base_url),
    )
    return JSONResponse(body, media_type=HTSGET_MEDIA)


ReferenceName = Annotated[str | None, Query(alias="referenceName", description="the contig (htsget)")]
Start = Annotated[int | None, Query(ge=0, description="0-based, inclusive")]
End = Annotated[int | None, Query(ge=0, description="0-based, exclusive")]
ClassQuery = Annotated[str | None, Query(alias="class", description="`header`: the header only")]


@router.get(HTSGET_PREFIX + "/reads/{object_id}", response_model=dict[str, Any])
def reads(
    request: Request,
    object_id: str,
    caller: Annotated[Caller, Depends(DATA_READERS)],
    reference_name: ReferenceName = None,
    start: Start = None,
    end: End = None,
    file_format: Annotated[str | None, Query(alias="format", description="BAM (default) or CRAM")] = None,
    class_: ClassQuery = None,
) -> JSONResponse:
    """An htsget ticket for the reads of a sample (key, department id or project id) or a stored file (sha256)."""
    return _ticket(request, caller, object_id, "reads", reference_name, start, end, file_format, class_)


@router.get(HTSGET_PREFIX + "/variants/{object_id}", response_model=dict[str, Any])
def variants(
    request: Request,
    object_id: str,
    caller: Annotated[Caller, Depends(DATA_READERS)],
    reference_name: ReferenceName = None,
    start: Start = None,
    end: End = None,
    file_format: Annotated[str | None, Query(alias="format", description="VCF")] = None,
    class_: ClassQuery = None,
) -> JSONResponse:
    """An htsget ticket for the variants of a sample (key, department id or project id) or a stored file."""
    return _ticket(request, caller, object_id, "variants", reference_name, start, end, file_format, class_)


@router.get(
    HTSGET_PREFIX + "/blocks/{token}",
    status_code=206,
    response_class=Response,
    responses={206: {"content": {"application/octet-stream": {}}, "description": "the bytes of the range"}},
)
def blocks(
    request: Request,
    token: str,
    caller: Annotated[Caller, Depends(DATA_READERS)],
    range_header: Annotated[str | None, Header(alias="Range", description="`bytes=first-last`")] = None,
) -> Response:
    """The bytes a ticket's URL names, for the ``Range`` header the ticket gives with it (206)."""
    data, first, last = ga4gh.block(service_context(request), caller, token, range_header)
    return Response(
        data,
        status_code=206,
        media_type="application/octet-stream",
        headers={"Content-Range": f"bytes {first}-{last}/*", "Accept-Ranges": "bytes"},
    )


@router.get(DRS_PREFIX + "/objects/{object_id}", response_model=dict[str, Any])
def drs_object(request: Request, object_id: str, caller: Annotated[Caller, Depends(DATA_READERS)]) -> JSONResponse:
    """The DRS object of a stored file (by sha256): size, checksums and an https access URL (the block route)."""
    body = ga4gh.drs(
        service_context(request),
        caller,
        object_id,
        service_url=str(request.base_url),
        host=request.url.netloc,
    )
    return JSONResponse(body)
