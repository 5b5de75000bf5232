"""The app factory: ``create_app(settings)`` wires one instance into a FastAPI app (no globals)."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from genomdb import __version__
from genomdb.api import problems
from genomdb.api.context import ServiceContext
from genomdb.api.cpr_guard import CprGuard
from genomdb.api.limits import RequestTooLarge
from genomdb.api.routes import (
    beacon,
    catalog,
    classifications,
    frequency,
    ga4gh,
    health,
    pgx,
    releases,
    screening,
    submissions,
    uploads,
    web,
)
from genomdb.api.security import require_rules
from genomdb.api.settings import ServiceSettings
from genomdb.config import Settings
from genomdb.instance import Instance
from genomdb.privacy import install_log_redaction

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ROUTERS: tuple[APIRouter, ...] = (
    frequency.router,
    health.router,
    catalog.router,
    submissions.router,
    uploads.router,
    classifications.router,
    releases.router,
    beacon.router,
    ga4gh.router,
    web.router,
    screening.router,
    screening.pages_router,
    pgx.router,
    pgx.web_router,
)
"""Every router the app serves; each of their routes must declare one access rule. Routes are matched in this
order and no two routers' paths overlap, so the busiest (frequency look-ups) come first."""

DESCRIPTION = """The genomdb service: the metadata catalogue and submissions (person-level, behind the access
policy and its audit log), the national variant database (`/api/classifications`), aggregate allele frequencies
under disclosure control (public without a token, registered and controlled tiers by role), frequency releases, and
a GA4GH Beacon v2 (`/api/beacon`).

Authenticate with `Authorization: Bearer <token>`: a genomdb API token (`genomdb tokens create USER`) or, when the
service is configured for it, a JWT of the trusted OpenID Connect issuer. Errors are RFC 9457 problem documents."""


UPLOAD_PATHS = ("/api/submissions", "/api/uploads/")
"""Paths whose bodies (uploads) are streamed: exempt from the body limit, checked by the CPR guard part by part
(JSON bodies there are still read whole and checked, up to the guard's own bound)."""
RAW_PART_PATHS = ("/api/uploads/",)
"""Paths where an ``application/octet-stream`` body is a file's raw bytes: passed to the route unread (the route
bounds it by the upload's part size); path and query are still checked. The file's content is checked by the
file-header checks of data-in when a submission adopts it."""


_SIGNATURE = re.compile(r"([?&]sig=)[^&\s]+")


class HideBlockGrants(logging.Filter):
    """Access-log lines show block URLs with their signature cut: a logged URL must not be a usable credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SIGNATURE.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        return True


def hide_block_grants(logger: logging.Logger) -> None:
    """Install :class:`HideBlockGrants` on a logger once."""
    if not any(isinstance(f, HideBlockGrants) for f in logger.filters):
        logger.addFilter(HideBlockGrants())


class BodyLimit:
    """Refuse request bodies larger than ``max_bytes`` (413), except on the paths given (uploads)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = next((value for name, value in scope.get("headers") or () if name == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            too_large = RequestTooLarge("the request body", limit=f"{limit:,} bytes", found=f"{int(declared):,} bytes")
            response = problems.respond(Request(scope), 413, "too-large", too_large.message)
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RequestTooLarge("the request body", limit=f"{limit:,} bytes")
            return message

        await self.app(scope, limited, send)


def create_app(
    settings: Settings,
    service: ServiceSettings | None = None,
    *,
    instance: Instance | None = None,
    freeze_gc: bool = False,
) -> FastAPI:
    """Build the service for the instance that ``settings`` names (opened when the app starts, closed when it stops).

    ``instance`` hands in an already open instance instead (tests); the app does not close it then. At start the
    list of releases is read and the newest release opened, so the first requests do not wait for either.

    ``freeze_gc`` (``genomdb serve``: the app owns its process) moves every object alive once the app has started
    (modules, schemas, routes, the open instance: some 200,000) out of the garbage collector's reach with
    :func:`gc.freeze`. A full collection would otherwise walk them all, stalling every request in flight for tens of
    milliseconds; the objects of requests are collected as usual.
    """
    service_settings = service or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction("uvicorn", "uvicorn.access", "uvicorn.error", "genomdb")
        opened = instance if instance is not None else Instance.open(settings)
        opened.connect()  # the service's threads share one database, blob and dataset store, opened before requests
        context = ServiceContext(opened, service_settings)
        app.state.context = context
        context.warm()
        if freeze_gc:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if freeze_gc:
                gc.unfreeze()
            context.close()
            if instance is None:
                opened.close()

    app = FastAPI(
        title="genomdb",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "frequency", "description": "aggregate allele frequencies, through the disclosure engine"},
            {"name": "releases", "description": "frequency releases: list, show, diff"},
            {"name": "catalog", "description": "person-level catalogue: submitters (own department) and stewards"},
            {"name": "submissions", "description": "upload, status and history of submissions"},
            {"name": "uploads", "description": "large files sent ahead of their submission, part by part, resumable"},
            {
                "name": "classifications",
                "description": "the national variant database: departments' classifications, national views, "
                "conflict cases, recontact worklists (clinical roles; writes by a department's clinicians)",
            },
            {
                "name": "screening",
                "description": "early detection: programmes, runs, worklists, cascade testing, clinic capacity",
            },
            {"name": "beacon", "description": "GA4GH Beacon v2"},
            {
                "name": "pgx",
                "description": "pharmacogenetics: run for a person, reports (JSON, one-page HTML), results "
                "(through the access policy, audited)",
            },
            {"name": "health", "description": "liveness and readiness"},
            {"name": "access", "description": "who the caller is"},
        ],
    )
    hide_block_grants(logging.getLogger("uvicorn.access"))
    problems.install(app)
    require_rules(ROUTERS)
    for router in ROUTERS:
        app.include_router(router)
    # the CPR guard sees every request before the router; the body limit (outermost) bounds what it reads
    app.add_middleware(CprGuard, streamed=UPLOAD_PATHS, raw=RAW_PART_PATHS)
    app.add_middleware(BodyLimit, max_bytes=service_settings.max_body_bytes, exempt=UPLOAD_PATHS)
    return app


def create_app_from_environment() -> FastAPI:
    """The app for ``GENOMDB_*`` and ``GENOMDB_API_*`` variables (uvicorn's factory with several workers)."""
    return create_app(Settings(), ServiceSettings(), freeze_gc=True)
