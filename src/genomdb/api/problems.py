"""Errors → HTTP, in one place: RFC 9457 problem+json for the API, Beacon error documents under ``/api/beacon``
and an HTML page for the browser. Messages are the exception tree's own, written for the caller; internal
failures (integrity, unavailable backends, bugs) are logged with an incident id and answered without details.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from genomdb.access.budgets import QueryBudgetSpent
from genomdb.access.tokens import Unauthenticated
from genomdb.api.limits import RateLimited, RequestTooLarge
from genomdb.errors import Conflict, Forbidden, GenomdbError, IntegrityError, InvalidInput, NotFound, Unavailable
from genomdb.ingest.submit import SubmissionRejected
from genomdb.privacy import redact, redact_value

log = logging.getLogger("genomdb.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "tag:genomdb,2026:problem/"
BEACON_PREFIX = "/api/beacon"

STATUS: tuple[tuple[type[GenomdbError], int, str], ...] = (
    (RateLimited, 429, "rate-limited"),
    (QueryBudgetSpent, 429, "budget-spent"),
    (Unauthenticated, 401, "unauthenticated"),
    (RequestTooLarge, 413, "too-large"),
    (SubmissionRejected, 422, "submission-rejected"),
    (InvalidInput, 400, "invalid-input"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Forbidden, 403, "forbidden"),
    (IntegrityError, 500, "integrity"),
    (Unavailable, 503, "unavailable"),
)
"""Most specific first: the first class an error is an instance of decides its status."""

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
_HIDDEN = (IntegrityError, Unavailable)
"""Errors whose messages may name internals (paths, database URLs): logged, not sent."""


def status_of(exc: GenomdbError) -> tuple[int, str]:
    for kind, status, slug in STATUS:
        if isinstance(exc, kind):
            return status, slug
    return 500, "internal"


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api") or path.startswith("/health") or path == "/openapi.json")


def respond(
    request: Request,
    status: int,
    slug: str,
    detail: str,
    *,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One error response in the representation the path calls for.

    The last line of defence of the CPR guard: the detail and every extension are redacted here.
    """
    detail = redact(detail)
    extensions = redact_value(extensions) if extensions else extensions
    if request.url.path.startswith(("/htsget/", "/ga4gh/")):
        from genomdb.api.routes import ga4gh

        return ga4gh.error_response(request.url.path, status, detail, headers)
    if request.url.path.startswith(BEACON_PREFIX):
        from genomdb.api import beacon

        context = getattr(request.app.state, "context", None)
        if context is not None:
            return JSONResponse(beacon.error_document(context, status, detail), status_code=status, headers=headers)
    if _wants_html(request):
        from genomdb.api.web.pages import error_page

        caller = getattr(request.state, "caller", None)
        return HTMLResponse(
            error_page(status, TITLES.get(status, "Error"), detail, extensions or {}, caller), status, headers=headers
        )
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + slug,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": redact(request.url.path),
    }
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _genomdb_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GenomdbError)
    status, slug = status_of(exc)
    headers: dict[str, str] = {}
    extensions: dict[str, Any] = {}
    detail = exc.message
    if isinstance(exc, RateLimited | QueryBudgetSpent):
        headers["Retry-After"] = str(exc.retry_after_seconds)
        extensions["retry_after_seconds"] = exc.retry_after_seconds
        if isinstance(exc, QueryBudgetSpent):
            extensions["resets_at"] = exc.resets_at.isoformat()
    elif isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="genomdb"'
    elif isinstance(exc, _HIDDEN):
        incident = uuid.uuid4().hex[:12]
        log.error(
            "incident %s on %s %s: %s: %s",
            incident,
            request.method,
            redact(request.url.path),
            type(exc).__name__,
            redact(str(exc)),
        )
        detail = (
            "stored data failed an integrity check; the data stewards have been told"
            if isinstance(exc, IntegrityError)
            else "a backend of the service is unavailable; try again later"
        )
        extensions["incident"] = incident
    if isinstance(exc, InvalidInput) and exc.problems:
        extensions["problems"] = [p.to_dict() for p in exc.problems]
    if isinstance(exc, SubmissionRejected):
        extensions["submission_id"] = exc.submission_id
    return respond(request, status, slug, detail, extensions=extensions, headers=headers)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(
            {
                "file": "request",
                "location": location,
                "field": location.rsplit(".", 1)[-1],
                "message": error.get("msg", "invalid"),
            }
        )
    return respond(
        request,
        422,
        "invalid-request",
        "the request does not match the API's schema",
        extensions={"problems": problems},
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404:
        detail = f"no such page or endpoint: {redact(request.url.path)}"
    return respond(request, exc.status_code, "http", detail, headers=dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.exception("incident %s on %s %s", incident, request.method, redact(request.url.path), exc_info=exc)
    return respond(request, 500, "internal", "an internal error occurred", extensions={"incident": incident})


def install(app: FastAPI) -> None:
    """Register the one mapping of errors to responses on an app."""
    app.add_exception_handler(GenomdbError, _genomdb_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
