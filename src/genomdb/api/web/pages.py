"""Server-rendered pages. Every value that reaches HTML goes through :func:`html.escape` (``e``) here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from genomdb.api.context import Caller
from genomdb.api.services.browser import ClassificationPanel, RegionPage, Understood, VariantPage
from genomdb.api.web.links import external_links
from genomdb.api.web.plot import coverage_track, frequency_plot
from genomdb.classification.consensus import criteria_labels
from genomdb.frequency.records import FrequencyStatus, ReleaseInfo, StratumFrequency, VariantFrequency

SITE = "genomdb"


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def url(path: str) -> str:
    return e(quote(path, safe="/:-_.,"))


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _af(value: float | None) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return f"{value:.3g}" if value < 0.001 else f"{value:.4f}".rstrip("0").rstrip(".")


def _num_cell(text: str, value: float | int | None) -> str:
    data = "" if value is None else repr(value)
    return f'<td class="num" data-value="{e(data)}">{e(text)}</td>'


def layout(title: str, body: str, caller: Caller | None, *, query: str = "") -> str:
    """The page frame: search box, who is logged in, the content, the footer."""
    if caller is not None and caller.actor is not None:
        who = (
            f'<span class="who">{e(caller.actor.username)} · {e(caller.actor.role)} · tier {e(caller.max_tier)}</span>'
            '<form method="post" action="/logout"><button type="submit">Log out</button></form>'
        )
    else:
        who = '<span class="who">public view</span><a class="button" href="/login">Log in</a>'
    notice = f'<p class="note warn">{e(caller.notice)}</p>' if caller is not None and caller.notice else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · {SITE}</title><link rel="stylesheet" href="/static/genomdb.css">
<link rel="icon" type="image/svg+xml" href="/static/favicon.svg"></head>
<body><header><a class="brand" href="/">{SITE}</a>
<form class="search" method="get" action="/search" role="search">
<input type="search" name="q" value="{e(query)}" placeholder="chr19-11089362-G-A · chr19:11080000-11100000 · LDLR"
 aria-label="search a variant, region or gene" autofocus><button type="submit">Search</button></form>
{who}</header><main>{notice}{body}</main>
<footer>Aggregate allele frequencies of the national cohort, under disclosure control: the public tier shows that a
variant was observed once enough alleles carry it (answering "not observed" below that) but no counts; logged-in
tiers show counts, with small ones withheld. Coordinates are GRCh38, 1-based (VCF). <a href="/docs">API</a> ·
<a href="/api/beacon">Beacon v2</a></footer>
<script src="/static/genomdb.js" defer></script></body></html>"""


def _understood(understood: Understood | None, query: str | None) -> str:
    if understood is None or not query:
        return ""
    return f'<p class="note">You searched for <code>{e(query)}</code>: understood as {e(understood.description)}.</p>'


def _release_line(release: ReleaseInfo, tier: str) -> str:
    return (
        f'<p class="muted">From release <strong>{e(release.release_id)}</strong> '
        f"({release.n_samples:,} individuals, built {release.created_at:%Y-%m-%d}), "
        f"shown at tier <strong>{e(tier)}</strong>. "
        f"Cite as: genomdb frequency release {e(release.release_id)}.</p>"
    )


def home_page(caller: Caller, releases: Sequence[ReleaseInfo]) -> str:
    newest = releases[-1] if releases else None
    about = (
        f"<p>Newest release: <strong>{e(newest.release_id)}</strong>, {newest.n_samples:,} individuals, "
        f"{newest.n_variants:,} variants, strata {e(', '.join(newest.strata))}.</p>"
        if newest
        else '<p class="note warn">No frequency release has been built yet.</p>'
    )
    examples = "".join(
        f'<li><a href="/search?q={url(q)}">{e(q)}</a> — {e(what)}</li>'
        for q, what in (("LDLR", "a gene"), ("chr19:11100000-11110000", "a region"), ("BRCA2", "a gene"))
    )
    body = f"""<h1>National allele frequencies</h1>
<p>Search for a variant (<code>chr19-11089362-G-A</code>), a region (<code>chr19:11080000-11100000</code>) or a gene
symbol (<code>LDLR</code>). Frequencies are shown per stratum — sex, region and sequencing platform — with the
filtering allele frequency (FAF95) and, for variants never seen, how many callable individuals were looked at.</p>
{about}<h2>Try</h2><ul>{examples}</ul>"""
    return layout("National allele frequencies", body, caller)


def _stratum_row(s: StratumFrequency) -> str:
    return (
        f'<tr><th scope="row">{e(s.stratum)}</th>'
        f"{_num_cell(_count(s.allele_count), s.allele_count)}{_num_cell(_count(s.allele_number), s.allele_number)}"
        f"{_num_cell(_af(s.allele_frequency), s.allele_frequency)}{_num_cell(_count(s.n_homalt), s.n_homalt)}"
        f"{_num_cell(_count(s.n_hemi), s.n_hemi)}{_num_cell(_af(s.faf95), s.faf95)}</tr>"
    )


def frequency_table(found: VariantFrequency) -> str:
    rows = "".join(_stratum_row(s) for s in found.strata)
    return (
        '<table class="strata" id="strata"><thead><tr><th>Stratum</th><th class="num">AC</th><th class="num">AN</th>'
        '<th class="num">AF</th><th class="num">Hom</th><th class="num">Hemi</th><th class="num">FAF95</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _statement(found: VariantFrequency) -> str:
    kind = {
        FrequencyStatus.OBSERVED: "Observed",
        FrequencyStatus.NOT_OBSERVED: "Not observed",
        FrequencyStatus.NOT_COVERED: "Not covered",
        FrequencyStatus.SUPPRESSED: "Withheld",
    }[found.status]
    return f'<p class="statement" id="statement"><strong>{kind}:</strong> {e(found.message)}.</p>'


def _neighbour(found: VariantFrequency | None, arrow: str) -> str:
    if found is None:
        return '<span class="muted">none nearby</span>'
    key = found.variant.key
    text = f"{arrow} {key}" if arrow == "←" else f"{key} {arrow}"
    return f'<a href="{url("/variant/" + key)}" rel="{"prev" if arrow == "←" else "next"}">{e(text)}</a>'


def _badge(abbreviation: str, label: str) -> str:
    return f'<span class="badge {e(abbreviation)}" title="{e(label)}">{e(abbreviation)}</span>'


def classification_section(panel: ClassificationPanel | None, note: str) -> str:
    if panel is None:
        return f'<h2 id="classification">Classification</h2><p class="muted">{e(note)}</p>'
    view = panel.view
    overall = view.overall
    if not view.assertions:
        summary = "<p>No department has classified this variant in the national variant database.</p>"
    else:
        summary = (
            f"<p><strong>National consensus:</strong> {e(overall.aggregate.value)} "
            f"({e(overall.review_status.value)}"
            + (f"; {e(overall.category.value)}" if overall.category is not None else "")
            + f") — {e(overall.summary)}</p>"
        )
    rows = "".join(
        f"<tr><td>{e(panel.regions.get(a.department, '?'))}</td><td>{e(a.department)}</td>"
        f"<td>{_badge(a.acmg_class.abbreviation, a.acmg_class.value)} {e(a.acmg_class.value)}</td>"
        f"<td>{e(criteria_labels(a.criteria)) or '–'}</td><td>{e(a.condition)}</td>"
        f"<td>{a.asserted_on:%Y-%m-%d}</td></tr>"
        for a in sorted(view.assertions, key=lambda a: (panel.regions.get(a.department, ""), a.department))
    )
    table = (
        '<table id="classifications"><thead><tr><th>Region</th><th>Department</th><th>Class</th><th>Criteria</th>'
        f"<th>Condition</th><th>Asserted</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    events = "".join(
        f"<li><strong>{v.recorded_at:%Y-%m-%d}</strong> {e(v.department)} ({e(panel.regions.get(v.department, '?'))}) "
        + (
            "withdrew its classification"
            if v.is_withdrawn
            else f"classified {_badge(v.acmg_class.abbreviation, v.acmg_class.value)} {e(v.acmg_class.value)}"
        )
        + (f" — {e(v.reason)}" if v.reason else "")
        + f' <span class="muted">(version {v.version}, asserted {v.asserted_on:%Y-%m-%d})</span></li>'
        for v in panel.history
    )
    timeline = f'<h3>History</h3><ol class="timeline" id="history">{events}</ol>' if events else ""
    return (
        f'<h2 id="classification">Classification (national variant database)</h2>{summary}{table}'
        f"{_frequency_evidence(panel)}{timeline}"
    )


def _frequency_evidence(panel: ClassificationPanel) -> str:
    """The BA1/BS1/PM2 the national frequency supports, with its numbers and tier: a suggestion, not applied."""
    seen = panel.observation
    if seen is None:
        basis = "The national frequency release does not cover this variant."
    else:
        faf = "–" if seen.faf95 is None else f"{seen.faf95:.4g}"
        basis = (
            f"National frequency at tier {e(seen.tier)}: AC {seen.allele_count:,} of AN {seen.allele_number:,}, "
            f"FAF95 {e(faf)} (4 significant digits)" + (f", release {e(seen.release)}" if seen.release else "") + "."
        )
    items = "".join(
        f'<li><strong class="criterion">{e(s.criterion.label)}</strong> — {e(s.reason)}</li>' for s in panel.suggestions
    )
    listed = f"<ul>{items}</ul>" if items else "<p>No frequency criterion is suggested.</p>"
    return (
        '<section id="frequency-evidence"><h3>Frequency evidence (suggested, not applied)</h3>'
        f'<p class="muted">{basis}</p>{listed}</section>'
    )


def variant_page(caller: Caller, page: VariantPage, *, query: str | None = None) -> str:
    found = page.frequency
    v = found.variant
    genes = " ".join(f'<a href="{url("/gene/" + g.symbol)}">{e(g.symbol)}</a>' for g in page.genes)
    region = f"{v.chrom}:{max(1, v.pos_1based - 25_000)}-{v.pos_1based + 25_000}"
    links = " · ".join(
        f'<a href="{e(href)}" rel="noopener noreferrer" target="_blank">{e(name)}</a>'
        for name, href in external_links(v)
    )
    collapsed = (
        '<p class="muted">Strata other than all are withheld at this tier because at least one of them is small.</p>'
        if found.collapsed
        else ""
    )
    body = f"""{_understood(page.understood, query)}
<h1>{e(v.key)}</h1>
<p class="muted">{e(v.chrom)}:{v.pos_1based:,} {e(v.ref)}&gt;{e(v.alt)} (GRCh38){" · gene " + genes if genes else ""} ·
<a href="{url("/region/" + region)}">region around it</a></p>
<p class="links">Elsewhere: {links}</p>
{_statement(found)}
<h2>Frequency by stratum</h2>{frequency_table(found)}
{collapsed}
{_release_line(page.release, found.tier)}
<nav class="neighbours">{_neighbour(page.previous, "←")}{_neighbour(page.next, "→")}</nav>
{classification_section(page.classification, page.classification_note)}"""
    return layout(v.key, body, caller, query=query or "")


def _variant_row(found: VariantFrequency) -> str:
    v, total = found.variant, found.total
    af = total.allele_frequency
    return (
        f'<tr data-key="{e(v.key)}" data-af="{e("" if af is None else repr(af))}" '
        f'data-status="{e(found.status.value)}">'
        f'<td data-value="{e(v.key)}"><a href="{url("/variant/" + v.key)}">{e(v.key)}</a></td>'
        f"{_num_cell(f'{v.pos_1based:,}', v.pos_1based)}"
        f'<td data-value="{e(found.status.value)}">{e(found.status.value.replace("_", " "))}</td>'
        f"{_num_cell(_count(total.allele_count), total.allele_count)}"
        f"{_num_cell(_count(total.allele_number), total.allele_number)}{_num_cell(_af(af), af)}"
        f"{_num_cell(_count(total.n_homalt), total.n_homalt)}{_num_cell(_count(total.n_hemi), total.n_hemi)}"
        f"{_num_cell(_af(total.faf95), total.faf95)}</tr>"
    )


def region_page(caller: Caller, page: RegionPage, *, csv_path: str, query: str | None = None) -> str:
    found = page.frequencies
    gene = found.gene
    title = gene.symbol if gene is not None else str(found.interval)
    where = f"{found.interval.chrom}:{found.interval.start_1based:,}-{found.interval.end_1based:,}"
    subtitle = f"gene {gene.symbol}, {where} ({gene.strand} strand)" if gene is not None else f"region {where}"
    headers = "".join(
        f'<th class="sortable{" num" if numeric else ""}">{e(name)}</th>'
        for name, numeric in (
            ("Variant", False), ("Position", True), ("Status", False), ("AC", True), ("AN", True), ("AF", True),
            ("Hom", True), ("Hemi", True), ("FAF95", True),
        )
    )  # fmt: skip
    rows = "".join(_variant_row(v) for v in found.variants)
    body = f"""{_understood(page.understood, query)}
<h1>{e(title)}</h1><p class="muted">{e(subtitle)} · GRCh38</p>
<h2>Allele frequency along the {"gene" if gene is not None else "region"}</h2>
{frequency_plot(found.variants, found.interval, gene)}
{coverage_track(page.coverage, found.interval)}
<h2>Variants (<span id="shown-count">{len(found.variants)}</span> of {len(found.variants)})</h2>
<div class="filters"><label>Variant contains <input id="filter-text" type="text" size="16"></label>
<label>AF at least <input id="filter-af" type="number" step="any" min="0" max="1" size="8"></label>
<label>Status <select id="filter-status"><option value="">any</option><option value="observed">observed</option>
<option value="suppressed">withheld</option><option value="not_observed">not observed</option></select></label>
<a class="button" id="csv" href="{url(csv_path)}" download>Download CSV</a></div>
<table class="variants" id="variants"><thead><tr>{headers}</tr></thead><tbody>{rows}</tbody></table>
{_release_line(page.release, found.tier)}"""
    return layout(title, body, caller, query=query or "")


def login_page(caller: Caller, *, message: str = "", next_path: str = "/") -> str:
    problem = f'<p class="note warn">{e(message)}</p>' if message else ""
    body = f"""<h1>Log in with an API token</h1>{problem}
<p>Registered and controlled tiers, and classifications for clinical users, need a token from your data steward
(<code>genomdb tokens create USER</code>). The token is kept in a cookie only this site can read, until you log out.</p>
<form class="login" method="post" action="/login"><input type="hidden" name="next" value="{e(next_path)}">
<label>Token <input type="password" name="token" autocomplete="off" required placeholder="gdb_…"></label>
<button type="submit">Log in</button></form>"""
    return layout("Log in", body, caller)


def error_page(status: int, title: str, detail: str, extensions: dict[str, Any], caller: Caller | None) -> str:
    problems: Iterable[dict[str, Any]] = extensions.get("problems") or []
    items = "".join(
        f"<li>{e(p.get('message'))}"
        + (f" — expected {e(p.get('expected'))}" if p.get("expected") else "")
        + (f", found <code>{e(p.get('found'))}</code>" if p.get("found") else "")
        + "</li>"
        for p in problems
    )
    listed = f"<ul>{items}</ul>" if items else ""
    body = (
        f'<h1>{e(title)}</h1><p class="note warn" id="error">{e(detail)}</p>{listed}<p><a href="/">Start again</a></p>'
    )
    return layout(f"{status} {title}", body, caller)
