"""The variant browser's pages: search, variant, gene, region (with CSV), login and logout."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from genomdb.access.tokens import Unauthenticated
from genomdb.api.context import Caller
from genomdb.api.security import LOGIN_COOKIE, WEB, service_context
from genomdb.api.services import browser
from genomdb.api.web import pages
from genomdb.api.web.assets import FAVICON, SCRIPT, STYLESHEET
from genomdb.api.web.tables import variants_csv
from genomdb.errors import Forbidden

router = APIRouter(include_in_schema=False)
_NO_STORE = {"Cache-Control": "no-store"}


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=_NO_STORE)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, caller: Annotated[Caller, Depends(WEB)]) -> HTMLResponse:
    return _html(pages.home_page(caller, browser.home(service_context(request), caller)))


@router.get("/search")
def search(caller: Annotated[Caller, Depends(WEB)], q: str = "") -> RedirectResponse:
    understood = browser.interpret_query(q)
    return RedirectResponse(f"{quote(understood.path, safe='/:-_.,')}?q={quote(q)}", status_code=303)


@router.get("/variant/{key}", response_class=HTMLResponse)
def variant(request: Request, key: str, caller: Annotated[Caller, Depends(WEB)], q: str | None = None) -> HTMLResponse:
    page = browser.variant_page(service_context(request), caller, key, query=q)
    return _html(pages.variant_page(caller, page, query=q))


@router.get("/gene/{symbol}", response_class=HTMLResponse)
def gene(request: Request, symbol: str, caller: Annotated[Caller, Depends(WEB)], q: str | None = None) -> HTMLResponse:
    page = browser.gene_page(service_context(request), caller, symbol, query=q)
    csv_path = f"/gene/{page.frequencies.gene.symbol if page.frequencies.gene else symbol}/variants.csv"
    return _html(pages.region_page(caller, page, csv_path=csv_path, query=q))


@router.get("/gene/{symbol}/variants.csv")
def gene_csv(request: Request, symbol: str, caller: Annotated[Caller, Depends(WEB)]) -> PlainTextResponse:
    page = browser.gene_page(service_context(request), caller, symbol)
    name = f"genomdb-{page.frequencies.gene.symbol if page.frequencies.gene else symbol}-{page.release.release_id}.csv"
    return _csv(variants_csv(page.frequencies.variants), name)


@router.get("/region/{region}", response_class=HTMLResponse)
def region(
    request: Request, region: str, caller: Annotated[Caller, Depends(WEB)], q: str | None = None
) -> HTMLResponse:
    page = browser.region_page(service_context(request), caller, region, query=q)
    return _html(pages.region_page(caller, page, csv_path=f"/region/{page.frequencies.interval}/variants.csv", query=q))


@router.get("/region/{region}/variants.csv")
def region_csv(request: Request, region: str, caller: Annotated[Caller, Depends(WEB)]) -> PlainTextResponse:
    page = browser.region_page(service_context(request), caller, region)
    interval = page.frequencies.interval
    name = f"genomdb-{interval.chrom}_{interval.start_1based}-{interval.end_1based}-{page.release.release_id}.csv"
    return _csv(variants_csv(page.frequencies.variants), name)


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **_NO_STORE},
    )


def _safe_next(path: str) -> str:
    return path if path.startswith("/") and not path.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(caller: Annotated[Caller, Depends(WEB)], next: str = "/") -> HTMLResponse:
    return _html(pages.login_page(caller, next_path=_safe_next(next)))


@router.post("/login")
def login(
    request: Request,
    caller: Annotated[Caller, Depends(WEB)],
    token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    context = service_context(request)
    try:
        browser.login(context, caller, token)
    except Forbidden as exc:
        status = 401 if isinstance(exc, Unauthenticated) else 403
        return _html(pages.login_page(caller, message=exc.message, next_path=_safe_next(next)), status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        LOGIN_COOKIE, token.strip(), httponly=True, samesite="strict", secure=context.settings.cookie_secure, path="/"
    )
    return response


@router.post("/logout")
def logout(caller: Annotated[Caller, Depends(WEB)]) -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.get("/static/genomdb.css")
def stylesheet(caller: Annotated[Caller, Depends(WEB)]) -> Response:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/static/favicon.svg")
def favicon(caller: Annotated[Caller, Depends(WEB)]) -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/static/genomdb.js")
def script(caller: Annotated[Caller, Depends(WEB)]) -> Response:
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})
