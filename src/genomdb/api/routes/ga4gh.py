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
from genomdb.api.security import PUBLIC, Access, service_context
from genomdb.api.services import ga4gh
from genomdb.api.services.ga4gh import HTSGET_PREFIX

DRS_PREFIX = "/ga4gh/drs/v1"
PREFIXES = (HTSGET_PREFIX + "/", DRS_PREFIX + "/")
HTSGET_MEDIA = "application/vnd.ga4gh.htsget.v1.3.0+json"

DATA_READERS = Access("data readers", (Role.SUBMITTER, Role.CLINICIAN, Role.RESEARCHER, Role.STEWARD))
"""The roles that may hold data access; the access policy decides per person, region, grant and region of DNA."""
BLOCK_HOLDERS = Access("holders of a signed block URL", public=True)
"""Block URLs carry their own credential (a signed grant from a ticket or DRS object); the API token goes to the
ticket request only, as htsget intends. A token sent along anyway must be the grant's user's."""

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
    encryption_scheme: str | None,
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
        encryption_scheme=encryption_scheme,
        service_url=str(request.base_url),
    )
    return JSONResponse(body, media_type=HTSGET_MEDIA)


ReferenceName = Annotated[str | None, Query(alias="referenceName", description="the contig (htsget)")]
Start = Annotated[int | None, Query(ge=0, description="0-based, inclusive")]
End = Annotated[int | None, Query(ge=0, description="0-based, exclusive")]
ClassQuery = Annotated[str | None, Query(alias="class", description="`header`: the header only")]
EncryptionQuery = Annotated[
    str | None,
    Query(
        alias="encryptionScheme",
        description="`C4GH` (htsget 1.3): one crypt4gh stream for your registered public key (`genomdb users key`)",
    ),
]


@router.get(HTSGET_PREFIX + "/reads/service-info", response_model=dict[str, Any])
def reads_service_info(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> JSONResponse:
    """GA4GH service-info of the htsget reads endpoint."""
    return JSONResponse(ga4gh.service_info(service_context(request), "reads", service_url=str(request.base_url)))


@router.get(HTSGET_PREFIX + "/variants/service-info", response_model=dict[str, Any])
def variants_service_info(request: Request, caller: Annotated[Caller, Depends(PUBLIC)]) -> JSONResponse:
    """GA4GH service-info of the htsget variants endpoint."""
    return JSONResponse(ga4gh.service_info(service_context(request), "variants", service_url=str(request.base_url)))


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
    encryption_scheme: EncryptionQuery = None,
) -> JSONResponse:
    """An htsget ticket for the reads of a sample (key, department id or project id) or a stored file (sha256)."""
    return _ticket(
        request, caller, object_id, "reads", reference_name, start, end, file_format, class_, encryption_scheme
    )


@router.get(HTSGET_PREFIX + "/variants/{object_id}", response_model=dict[str, Any])
def variants(
    request: Request,
    object_id: str,
    caller: Annotated[Caller, Depends(DATA_READERS)],
    reference_name: ReferenceName = None,
    start: Start = None,
    end: End = None,
    file_format: Annotated[str | None, Query(alias="format", description="VCF (default) or BCF")] = None,
    class_: ClassQuery = None,
    encryption_scheme: EncryptionQuery = None,
) -> JSONResponse:
    """An htsget ticket for the variants of a sample (key, department id or project id) or a stored file."""
    return _ticket(
        request, caller, object_id, "variants", reference_name, start, end, file_format, class_, encryption_scheme
    )


@router.get(
    HTSGET_PREFIX + "/blocks/{token}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the whole range the grant allows"},
        206: {"content": {"application/octet-stream": {}}, "description": "the bytes of the Range asked for"},
    },
)
def blocks(
    request: Request,
    token: str,
    caller: Annotated[Caller, Depends(BLOCK_HOLDERS)],
    range_header: Annotated[str | None, Header(alias="Range", description="`bytes=first-last`")] = None,
) -> Response:
    """The bytes a ticket's URL names: the URL's signed grant is the credential (no token needed), for the
    ``Range`` header the ticket gives with it (206), or the whole granted range without one (200)."""
    query = dict(request.query_params)
    data, first, last = ga4gh.block(service_context(request), caller, token, query, range_header)
    if range_header is None:
        return Response(data, media_type="application/octet-stream", headers={"Accept-Ranges": "bytes"})
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
