"""Uploads from a department's HPC ahead of the submission: start → part URLs → PUT the parts → complete."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from starlette.concurrency import run_in_threadpool

from genomdb.access.records import Actor
from genomdb.api.context import Caller
from genomdb.api.limits import RequestTooLarge
from genomdb.api.schemas.common import PROBLEMS
from genomdb.api.schemas.uploads import (
    PartNumbersIn,
    PartOut,
    PartTargetOut,
    PartTargetsOut,
    UploadCompleteIn,
    UploadListOut,
    UploadOut,
    UploadStartIn,
)
from genomdb.api.security import SUBMITTERS, service_context
from genomdb.errors import Forbidden, InvalidInput, Problem
from genomdb.ingest import uploads
from genomdb.storage.uploads import SentPart

router = APIRouter(prefix="/api/uploads", tags=["uploads"], responses=PROBLEMS)


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Forbidden("uploads are sent by a department's submitters")
    return caller.actor


@router.post("", response_model=UploadOut, status_code=201)
def start(request: Request, body: UploadStartIn, caller: Annotated[Caller, Depends(SUBMITTERS)]) -> UploadOut:
    """Open an upload of one file for the caller's department; then ask for part URLs."""
    record = uploads.start_upload(
        service_context(request).instance,
        _actor(caller),
        file_name=body.file_name,
        size=body.size,
        part_size=body.part_size,
        via="api",
    )
    return UploadOut.of(record)


@router.get("", response_model=UploadListOut)
def list_uploads(request: Request, caller: Annotated[Caller, Depends(SUBMITTERS)]) -> UploadListOut:
    """The caller's department's uploads, newest first."""
    found = uploads.department_uploads(service_context(request).instance, _actor(caller), via="api")
    return UploadListOut(uploads=[UploadOut.of(r) for r in found])


@router.get("/{upload_id}", response_model=UploadOut)
def status(request: Request, upload_id: str, caller: Annotated[Caller, Depends(SUBMITTERS)]) -> UploadOut:
    """An upload and the parts the store holds (a resuming client sends only the others)."""
    record, parts = uploads.upload_status(service_context(request).instance, _actor(caller), upload_id, via="api")
    return UploadOut.of(record, parts)


@router.post("/{upload_id}/parts", response_model=PartTargetsOut)
def part_urls(
    request: Request, upload_id: str, body: PartNumbersIn, caller: Annotated[Caller, Depends(SUBMITTERS)]
) -> PartTargetsOut:
    """Where to PUT each part: presigned URLs of the object store (no token), or this service's part endpoint."""
    targets = uploads.part_targets(
        service_context(request).instance, _actor(caller), upload_id, body.numbers, via="api"
    )
    return PartTargetsOut(
        upload_id=upload_id,
        parts=[
            PartTargetOut(
                number=t.number,
                size=t.size,
                url=t.url or str(request.url_for("put_part", upload_id=upload_id, number=t.number)),
                needs_token=t.url is None,
            )
            for t in targets
        ],
    )


@router.put("/{upload_id}/parts/{number}", response_model=PartOut)
async def put_part(
    request: Request,
    upload_id: str,
    number: int,
    caller: Annotated[Caller, Depends(SUBMITTERS)],
    response: Response,
    content_md5: Annotated[str | None, Header(description="base64 MD5 of the body; checked")] = None,
) -> PartOut:
    """Receive one part's bytes (the local store; on S3 parts go to the presigned URLs). Answers its MD5 as ETag."""
    context = service_context(request)
    actor = _actor(caller)
    record = await run_in_threadpool(uploads.own_upload, context.instance, actor, upload_id, via="api")
    limit = record.part_size
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise RequestTooLarge("the part", limit=f"{limit:,} bytes (the upload's part size)")
    expected_md5 = None
    if content_md5 is not None:
        try:
            expected_md5 = base64.b64decode(content_md5, validate=True).hex()
        except (binascii.Error, ValueError):
            raise InvalidInput(
                "unreadable Content-MD5",
                [Problem(upload_id, "not base64", field="Content-MD5", expected="base64 of the body's 16-byte MD5")],
            ) from None
    part: SentPart = await run_in_threadpool(
        uploads.receive_part,
        context.instance,
        actor,
        upload_id,
        number,
        bytes(received),
        content_md5=expected_md5,
        via="api",
    )
    response.headers["ETag"] = f'"{part.md5}"'
    return PartOut.of(part)


@router.post("/{upload_id}/complete", response_model=UploadOut)
def complete(
    request: Request, upload_id: str, body: UploadCompleteIn, caller: Annotated[Caller, Depends(SUBMITTERS)]
) -> UploadOut:
    """Finish: the part list must match what the store holds and the file must hash to the declared sha256 (else
    the upload is removed). The file then waits, invisible, for a manifest naming it by sha256."""
    record = uploads.complete_upload(
        service_context(request).instance,
        _actor(caller),
        upload_id,
        sha256=body.sha256,
        parts=[SentPart(p.number, 0, p.md5) for p in body.parts],
        via="api",
    )
    return UploadOut.of(record)


@router.delete("/{upload_id}", status_code=204)
def abort(request: Request, upload_id: str, caller: Annotated[Caller, Depends(SUBMITTERS)]) -> Response:
    """Cancel an upload not yet submitted; nothing of it remains."""
    uploads.abort_upload(service_context(request).instance, _actor(caller), upload_id, via="api")
    return Response(status_code=204)
