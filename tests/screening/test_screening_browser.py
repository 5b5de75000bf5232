"""The worklist and family pages in a real browser (Debian's Chromium via Playwright) against ``genomdb serve`` on the
screening world: a clinician logs in, sees their department's carriers, opens one carrier's family; the person who
does not want to know appears nowhere; a steward is refused the worklist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from genomdb.demo.users import STEWARD, clinician_name
from genomdb.screening import repository, service
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve
from tests.screening.conftest import ScreeningWorld

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def base_url(world: ScreeningWorld) -> Iterator[str]:
    env = {"GENOMDB_DATABASE_URL": world.instance.settings.database_url} if world.instance.settings.database_url else {}
    process, base = serve(world.home, world.folder / "serve.log", env=env)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_worklist_and_family_pages(world: ScreeningWorld, base_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    run = service.latest_run(world.instance, "fh")
    findings = [f for f in repository.findings(world.instance.db, run.run_id) if f.reported]
    indexes = {e.index_pseudonym for e in repository.relatives(world.instance.db, programme="fh")}
    carrier = next(f for f in findings if f.pseudonym in indexes)
    dnk = {p for p, facts in repository.person_facts(world.instance.db).items() if facts.does_not_want_to_know}
    user = clinician_name(carrier.department)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{base_url}/screening/fh")
            assert "/login" in page.url  # not logged in: to the login page first
            page.fill("input[name=token]", world.tokens[user])
            page.click("form.login button")
            page.goto(f"{base_url}/screening/fh")
            assert user in page.inner_text("header")
            table = page.inner_text("#worklist")
            assert carrier.pseudonym in table and "LDLR" in table and "GQ" in table
            assert not any(p in page.content() for p in dnk)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "screening-worklist.png"), full_page=True)
            page.click(f"text={carrier.pseudonym}")
            assert page.url.endswith(f"/screening/family/{carrier.pseudonym}")
            relatives = page.inner_text("#relatives")
            for entry in repository.relatives(world.instance.db, index=carrier.pseudonym):
                assert entry.relative_pseudonym in relatives
            assert "Yield:" in page.inner_text("main")
            assert not any(p in page.content() for p in dnk)

            steward = browser.new_context().new_page()
            steward.goto(f"{base_url}/login")
            steward.fill("input[name=token]", world.tokens[STEWARD])
            steward.click("form.login button")
            response = steward.goto(f"{base_url}/screening/fh")
            assert response is not None and response.status == 403
            assert "clinical roles" in steward.inner_text("main")
        finally:
            browser.close()
