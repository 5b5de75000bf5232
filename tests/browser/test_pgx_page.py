"""A person's PGx page in a real browser (Chromium via Playwright) against a real server: a clinician of the
person's department logs in and reads it; another department's clinician is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from genomdb.access.records import Actor, Role
from genomdb.access.tokens import create_token
from genomdb.access.users import add_user
from genomdb.config import Settings
from genomdb.instance import Instance, init_instance
from genomdb.model.catalog import SearchFilters
from genomdb.pgx.runs import run_pgx
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve
from tests.pgx import kit

playwright = pytest.importorskip("playwright.sync_api")


@dataclass
class PgxServed:
    base_url: str
    tokens: dict[str, str]
    sample: str


@pytest.fixture(scope="module")
def pgx_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgxServed]:
    folder = tmp_path_factory.mktemp("pgx-served")
    settings = Settings(home=folder / "home")
    init_instance(settings)
    tokens: dict[str, str] = {}
    with Instance.open(settings) as instance:
        kit.harmonise_star2_17(instance, kit.cyp2c19_reference(folder), folder / "sub")
        admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
        acting = Actor(admin.username, admin.role)
        for username, department in (("clin-rh", "RH-KG"), ("clin-rm", "RM-KG")):
            add_user(instance, acting, username, role=Role.CLINICIAN, department=department)
            tokens[username] = create_token(instance, acting, username, label="tests").secret
        run_pgx(instance)
        [found] = [
            s for s in instance.catalog.search(SearchFilters(limit=10)) if s.submitter_sample_id == "WITH-BLOCKS"
        ]
    process, base = serve(settings.resolved_home(), folder / "serve.log")
    try:
        yield PgxServed(base, tokens, found.sample_key)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _log_in(page, base_url: str, token: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("input[name=token]", token)
    page.click("form.login button")


def test_a_clinician_of_the_department_reads_the_pgx_page(browser, pgx_served: PgxServed) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    anonymous = page.goto(f"{pgx_served.base_url}/pgx/{pgx_served.sample}")
    assert anonymous is not None and anonymous.status == 401
    _log_in(page, pgx_served.base_url, pgx_served.tokens["clin-rh"], "/pgx")
    page.wait_for_url("**/pgx")
    assert "clin-rh" in page.inner_text("header")
    page.click(f"#pgx-results >> text={pgx_served.sample}")
    page.wait_for_url(f"**/pgx/{pgx_served.sample}")
    cyp2c19 = page.inner_text("#gene-CYP2C19")
    assert "*2/*17" in cyp2c19 and "Intermediate Metabolizer" in cyp2c19
    drugs = page.inner_text("#pgx-drugs")
    assert "clopidogrel" in drugs
    assert page.locator("#pgx-drugs a", has_text="CPIC guideline").count() >= 1
    assert page.inner_text("#pgx-data-version")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pgx-page.png"), full_page=True)
    page.click("#pgx-print")
    page.wait_for_url(f"**/pgx/{pgx_served.sample}/print")
    assert "*2/*17" in page.inner_text("#gene-CYP2C19") and page.locator("header").count() == 0
    context.close()


def test_another_departments_clinician_is_refused(browser, pgx_served: PgxServed) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, pgx_served.base_url, pgx_served.tokens["clin-rm"], "/pgx")
    page.wait_for_url("**/pgx")
    assert page.locator("#pgx-results").count() == 0
    refused = page.goto(f"{pgx_served.base_url}/pgx/{pgx_served.sample}")
    assert refused is not None and refused.status == 403
    assert "*2/*17" not in page.inner_text("main") and "that you may read" in page.inner_text("#error")
    context.close()
