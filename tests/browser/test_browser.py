"""The variant browser in a real browser (Debian's Chromium, headless, driven by Playwright) against a real
server: search → variant page → gene page → CSV download, a login, and a screenshot kept as a CI artifact."""

from __future__ import annotations

import csv
import io
import re

import pytest

from genomdb.access.records import Role
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Served

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_search_variant_gene_and_csv(browser, served: Served) -> None:  # type: ignore[no-untyped-def]
    world = served.world
    # A registered user (a token, like a logged-in researcher): the public tier shows no counts to sort or plot.
    context = browser.new_context(
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
        extra_http_headers=world.headers(Role.RESEARCHER),
    )
    page = context.new_page()
    page.goto(served.base_url + "/")
    assert "National allele frequencies" in page.title()

    page.fill("input[name=q]", world.observed.replace("-", ":", 1).replace("-", ":", 1))
    page.press("input[name=q]", "Enter")
    page.wait_for_url(f"**/variant/{world.observed}?q=*")
    assert "understood as variant " + world.observed in page.inner_text("main")
    assert page.inner_text("#statement").startswith("Observed")
    rows = page.locator("#strata tbody tr")
    assert rows.count() >= 1 and rows.first.inner_text().startswith("all")
    assert world.releases[-1] in page.inner_text("main")
    neighbour = page.locator("nav.neighbours a")
    assert neighbour.count() >= 1

    page.fill("input[name=q]", "ldlr")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/gene/LDLR?q=ldlr")
    assert "understood as gene LDLR" in page.inner_text("main")
    assert page.locator("svg.plot circle").count() >= 1
    track = page.locator("svg.coverage polygon")
    assert track.count() == 1 and "callable individuals" in page.inner_html("svg.coverage")
    table_rows = page.locator("#variants tbody tr")
    total = table_rows.count()
    assert total >= 2
    visible = page.locator("#variants tbody tr:not([hidden])")
    assert visible.count() == min(total, 25)  # paged, not one long table
    if total > 25:
        assert "of " + str(total) in page.inner_text("nav.pager")
        page.click("nav.pager >> text=next ›")
        assert visible.count() == min(total - 25, 25)
        page.click("nav.pager >> text=‹ previous")
    af_header = page.locator("#variants th", has_text=re.compile(r"^AF$"))
    af_header.click()
    af_header.click()
    first_af = float(table_rows.first.get_attribute("data-af") or "nan")
    afs = [float(v) for v in page.eval_on_selector_all("#variants tbody tr", "rs => rs.map(r => r.dataset.af)") if v]
    assert first_af == max(afs)
    page.fill("#filter-text", "no-such-variant")
    assert page.inner_text("#shown-count") == "0"
    page.fill("#filter-text", "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gene-page.png"), full_page=True)

    with page.expect_download() as waiting:
        page.click("#csv")
    download = waiting.value
    assert download.suggested_filename.startswith("genomdb-LDLR-")
    # the download itself is fetched without the page's login here, so it is the public table: ask as the page does
    text = page.evaluate(
        "href => fetch(href, {credentials: 'same-origin'}).then(r => r.text())", "/gene/LDLR/variants.csv"
    )
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == total and parsed[0]["tier"] == "registered"
    public = download.path().read_text() if download.path() else ""
    assert all(row["tier"] == "public" for row in csv.DictReader(io.StringIO(public)))
    context.close()


def test_login_shows_classifications_to_clinicians(browser, served: Served) -> None:  # type: ignore[no-untyped-def]
    world = served.world
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.base_url}/variant/{world.classified}")
    assert "shown to clinical users" in page.inner_text("#classification ~ p")
    assert page.locator("#frequency-evidence").count() == 0  # clinical roles only
    page.click("text=Log in")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "login-page.png"), full_page=True)
    page.fill("input[name=token]", world.tokens["clin-rh"])
    page.click("form.login button")
    page.goto(f"{served.base_url}/variant/{world.classified}")
    assert "clin-rh" in page.inner_text("header")
    panel = page.inner_text("main")
    assert "National consensus" in panel and "RH-KG" in panel and "RM-KG" in panel
    assert page.locator("#history li").count() == 2
    evidence = page.inner_text("#frequency-evidence")
    assert "suggested, not applied" in evidence and "National frequency at tier" in evidence
    assert re.search(r"\b(BA1|BS1|PM2\w*)\b", evidence) or "No frequency criterion is suggested" in evidence
    links = page.locator("p.links a")
    assert [links.nth(i).inner_text() for i in range(links.count())] == ["ClinVar", "gnomAD", "dbSNP", "UCSC"]
    chrom, pos = world.classified.split("-")[:2]
    assert f"/variant/{chrom.removeprefix('chr')}-{pos}-" in (links.nth(1).get_attribute("href") or "")
    icon = page.locator("link[rel=icon]").get_attribute("href") or ""
    assert icon and context.request.get(served.base_url + icon).headers["content-type"] == "image/svg+xml"
    page.screenshot(path=str(ARTIFACTS / "variant-page-clinician.png"), full_page=True)
    page.click("text=Log out")
    assert "public view" in page.inner_text("header")
    context.close()


def test_the_server_log_holds_no_token(served: Served) -> None:
    text = served.log.read_text()
    assert "GET /variant/" in text
    for token in served.world.tokens.values():
        secret = token.split("_", 2)[2]  # gdb_<id>_<secret>; the url-safe secret may itself hold "_"
        assert token not in text and secret not in text
