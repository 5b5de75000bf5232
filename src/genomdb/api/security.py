"""Who may call which route: every route declares one :class:`Access` rule, and the app refuses to start
with a route that has none (deny by default).

A rule authenticates the request (``Authorization: Bearer`` with a genomdb API token or an OIDC JWT; the
browser's pages also read the login cookie) and lets the caller through when the route is public or the
caller's role is among the route's roles. Person-level decisions are then made by the access policy inside the
service functions; this gate only keeps roles away from routes that are not for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from genomdb.access import catalog_reads
from genomdb.access.policy import SUBMISSION_READERS as SUBMISSION_READER_ROLES
from genomdb.access.policy import classification_roles
from genomdb.access.records import Action, Role
from genomdb.access.tokens import Unauthenticated
from genomdb.api.context import Caller, ServiceContext
from genomdb.errors import Forbidden

log = logging.getLogger("genomdb.api")

LOGIN_COOKIE = "genomdb_token"


def service_context(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


def client_of(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


class Access:
    """A route's rule: ``public`` (anyone, with or without a token) or the roles that may call it."""

    def __init__(self, name: str, roles: Iterable[Role] = (), *, public: bool = False, web: bool = False) -> None:
        self.name = name
        self.roles = frozenset(roles)
        self.public = public
        self.web = web
        """Browser pages: the login cookie counts, and a stale one makes the caller public instead of failing."""

    def __repr__(self) -> str:
        return f"Access({self.name})"

    def describe(self) -> str:
        if self.public:
            return "public"
        return " or ".join(sorted(r.value for r in self.roles))

    async def __call__(self, request: Request) -> Caller:
        """Authenticate (in a worker thread when there is a credential to check: that reads the catalog)."""
        header = request.headers.get("authorization")
        cookie = request.cookies.get(LOGIN_COOKIE) if self.web else None
        if header is None and not cookie:
            return self._decide(request, service_context(request).caller(None, client_of(request)))
        return await run_in_threadpool(self._authenticate, request)

    def _authenticate(self, request: Request) -> Caller:
        context = service_context(request)
        client = client_of(request)
        header = request.headers.get("authorization")
        cookie = request.cookies.get(LOGIN_COOKIE) if self.web else None
        actor = None
        notice = None
        if header is not None:
            credential = context.authenticator.bearer(header)
            try:
                actor = context.authenticator.actor(credential)
            except Unauthenticated as exc:
                log.info(
                    "refused credentials (%s) from %s: %s",
                    context.authenticator.safe_name(credential),
                    client,
                    exc.message,
                )
                raise
        elif cookie:
            try:
                actor = context.authenticator.actor(cookie)
            except Forbidden as exc:
                log.info("stale login (%s) from %s", context.authenticator.safe_name(cookie), client)
                notice = f"Your login is no longer valid ({exc.message}); you see the public view. Log in again."
        return self._decide(request, context.caller(actor, client, notice=notice))

    def _decide(self, request: Request, caller: Caller) -> Caller:
        request.state.caller = caller
        actor = caller.actor
        if self.public:
            return caller
        if actor is None:
            what = f"{request.method} {request.url.path}"
            raise Unauthenticated(f"{what} needs a token: use `Authorization: Bearer <token>`")
        if actor.role not in self.roles:
            what = f"{request.method} {request.url.path}"
            raise Forbidden(f"{what} is for the role {self.describe()}; {actor.username} is a {actor.role}")
        return caller


PUBLIC = Access("public", public=True)
WEB = Access("web", public=True, web=True)
CATALOG_READERS = Access("catalog readers", catalog_reads.CATALOG_READERS)
SUBMISSION_READERS = Access("submission readers", SUBMISSION_READER_ROLES)
SUBMITTERS = Access("submitters", (Role.SUBMITTER,))
ANY_USER = Access("any user", tuple(Role))
CLASSIFICATION_READERS = Access("classification readers", classification_roles(Action.READ_CLASSIFICATIONS))
CLASSIFIERS = Access("classifiers", classification_roles(Action.WRITE_CLASSIFICATION))
CONFLICT_PARTIES = Access("conflict parties", classification_roles(Action.UPDATE_CONFLICT))
WORKLIST_READERS = Access("recontact worklist readers", classification_roles(Action.READ_WORKLIST))
"""The national variant database's rules take their roles from the access policy's table; the policy then
decides the department (own assertions, conflict cases involving it, its own worklist) and audits it."""


def access_rule(route: APIRoute) -> Access | None:
    """The one Access rule a route depends on (None when it has none, or more than one)."""
    rules = [d.call for d in route.dependant.dependencies if isinstance(d.call, Access)]
    return rules[0] if len(rules) == 1 else None


def served_routes(routers: Iterable[APIRouter]) -> list[APIRoute]:
    """Every API route of the routers (paths include the routers' prefixes)."""
    return [route for router in routers for route in router.routes if isinstance(route, APIRoute)]


def require_rules(routers: Iterable[APIRouter]) -> None:
    """Refuse routers with a route that declares no access rule: deny by default."""
    missing = [
        f"{sorted(route.methods or ())} {route.path}" for route in served_routes(routers) if access_rule(route) is None
    ]
    if missing:
        raise RuntimeError("routes without exactly one access rule (deny by default): " + ", ".join(missing))
