"""The one-page PGx report a clinician reads, rendered from genomdb's JSON report (``schema_version`` 1).

The same markup serves three places: ``genomdb pgx report --html FILE`` (a standalone document with its own style,
printable), the REST service's HTML representation and the browser's PGx page (the body inside the site's frame).
It shows what the JSON holds and nothing else: the sample key and pseudonym, never a personal identifier. Every
value passes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

NO_EVIDENCE = "no evidence at any defining position"
"""The matcher's warning for a gene without any evidence (its positions are then summarised, not listed)."""
MAX_POSITIONS_LISTED = 12
"""Missing positions listed per gene before the list is cut to a count."""

CLASS_STYLE = """.tie{color:#8a4b00;font-weight:600}.nocall{color:#8a1f11}.pgx-caveats{margin:0;padding-left:1.1rem}
.pgx-caveats li{margin:.15rem 0}"""
"""The report's own classes (the browser page sets them inside the site's stylesheet)."""

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;max-width:72rem;margin:1.5rem auto;
padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}th,td{text-align:left;vertical-align:top;
padding:.3rem .5rem;border-bottom:1px solid #e3e6ea}th{background:#f3f5f7}
.muted{color:#5b6570}.pgx-meta{margin:.25rem 0 1rem}code{font-size:.92em}
@media print{body{margin:0;max-width:none}a{color:inherit}}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _diplotypes(gene: Mapping[str, Any]) -> str:
    names: Sequence[str] = gene.get("diplotypes") or []
    if not names:
        found = gene.get("variants_found") or []
        if found and gene.get("gene") == "DPYD":
            return "variants: " + _e(", ".join(found))
        return '<span class="nocall">not called</span>'
    if len(names) == 1:
        return f"<strong>{_e(names[0])}</strong>"
    listed = " or ".join(f"<strong>{_e(name)}</strong>" for name in names)
    return f'{listed} <span class="tie">(tie: {len(names)} diplotypes score equally)</span>'


def _phenotype(gene: Mapping[str, Any]) -> str:
    phenotype = gene.get("phenotype")
    if not phenotype:
        note = gene.get("phenotype_note")
        return f'<span class="muted">{_e(note or "–")}</span>'
    text = _e(phenotype)
    if phenotype == "Indeterminate":
        per = [
            f"{_e(p.get('diplotype'))}: {_e(p.get('phenotype') or '–')}"
            for p in gene.get("per_diplotype") or []
            if p.get("diplotype")
        ]
        if per:
            text += f' <span class="muted">({"; ".join(per)})</span>'
    return text


def _positions(positions: Sequence[int]) -> str:
    shown = ", ".join(f"{p:,}" for p in positions[:MAX_POSITIONS_LISTED])
    more = len(positions) - MAX_POSITIONS_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _gene_caveats(gene: Mapping[str, Any], difference: Mapping[str, Any] | None) -> list[str]:
    caveats: list[str] = []
    outside = gene.get("outside_call")
    if outside:
        caveats.append(f"outside call (line {_e(outside.get('line'))} of the outside-call file), not the matcher")
    missing = gene.get("missing_positions") or []
    warnings = list(gene.get("warnings") or [])
    if missing and NO_EVIDENCE in warnings:
        warnings.remove(NO_EVIDENCE)
        caveats.append(f"no evidence at any of its {len(missing)} defining position(s): not sequenced here")
    elif missing:
        caveats.append(f"{len(missing)} defining position(s) without evidence: {_e(_positions(missing))}")
    required = gene.get("missing_required_positions") or []
    if required:
        caveats.append(f"required position(s) missing: {_e(_positions(required))}")
    undocumented = gene.get("positions_with_undocumented_variations") or []
    if undocumented:
        how = "read as reference" if gene.get("undocumented_read_as_reference") else "the gene is not called"
        caveats.append(f"variation the definitions do not know at {_e(_positions(undocumented))} ({how})")
    if difference is not None:
        caveats.append(_difference_text(difference))
    caveats += [_e(w) for w in warnings]
    return caveats


def _calls_text(diplotypes: Sequence[str], phenotype: str | None) -> str:
    if not diplotypes:
        return "not called" if phenotype in (None, "not called") else f"not called ({phenotype})"
    return f"{' or '.join(diplotypes)} ({phenotype or '–'})"


def _difference_text(difference: Mapping[str, Any]) -> str:
    return (
        "from the VCF alone: "
        + _e(_calls_text(difference["from_records_alone"], difference.get("phenotype_from_records_alone")))
        + " / with callable blocks: "
        + _e(_calls_text(difference["with_callable_blocks"], difference.get("phenotype_with_callable_blocks")))
    )


def _gene_rows(report: Mapping[str, Any]) -> str:
    differences = {d["gene"]: d for d in report.get("differences_from_callable_blocks") or []}
    rows = []
    for gene in report.get("genes") or []:
        caveats = _gene_caveats(gene, differences.get(gene["gene"]))
        notes = "<ul class='pgx-caveats'>" + "".join(f"<li>{c}</li>" for c in caveats) + "</ul>" if caveats else "–"
        rows.append(
            f'<tr id="gene-{_e(gene["gene"])}"><th scope="row">{_e(gene["gene"])}</th>'
            f"<td>{_diplotypes(gene)}</td><td>{_phenotype(gene)}</td><td>{_e(gene.get('activity_score') or '–')}</td>"
            f"<td>{_e(gene.get('source'))}</td><td>{notes}</td></tr>"
        )
    return (
        '<table id="pgx-genes"><thead><tr><th>Gene</th><th>Diplotype(s)</th><th>Phenotype</th>'
        "<th>Activity score</th><th>Source</th><th>Caveats</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _genes_with(recommendation: Mapping[str, Any]) -> str:
    pairs = zip(recommendation.get("genes") or [], recommendation.get("phenotypes") or [], strict=False)
    return "; ".join(f"{_e(g)}: {_e(p or 'not called')}" for g, p in pairs)


def _guideline(recommendation: Mapping[str, Any]) -> str:
    link = recommendation.get("guideline")
    if not link or not str(link).startswith(("https://", "http://")):
        return '<span class="muted">–</span>'
    return f'<a href="{_e(link)}" rel="noopener noreferrer">CPIC guideline</a>'


def _drug_tables(report: Mapping[str, Any]) -> str:
    recommendations = report.get("recommendations") or []
    given = [r for r in recommendations if r.get("status") == "recommendation"]
    other = [r for r in recommendations if r.get("status") != "recommendation"]
    rows = "".join(
        f'<tr><th scope="row">{_e(r["drug"])}</th><td>{_genes_with(r)}</td><td>{_e(r.get("recommendation"))}</td>'
        f"<td>{_e(r.get('cpic_level') or '–')}</td><td>{_guideline(r)}</td></tr>"
        for r in given
    )
    table = (
        '<table id="pgx-drugs"><thead><tr><th>Drug</th><th>Gene: phenotype</th><th>CPIC recommendation</th>'
        f"<th>CPIC level</th><th>Guideline</th></tr></thead><tbody>{rows}</tbody></table>"
        if given
        else '<p class="muted">No CPIC recommendation applies to the phenotypes called.</p>'
    )
    listed = "".join(
        f"<li><strong>{_e(r['drug'])}</strong> ({_genes_with(r)}): {_e(r.get('status'))} — "
        f"{_e(r.get('recommendation'))}</li>"
        for r in other
    )
    rest = (
        f"<details><summary>Drugs without a recommendation for this person ({len(other)}): the genes are not called "
        f'or their phenotype has no CPIC row</summary><ul id="pgx-no-recommendation">{listed}</ul></details>'
        if other
        else ""
    )
    return table + rest


def _overall_caveats(report: Mapping[str, Any]) -> str:
    items = []
    n_blocks = report.get("positions_from_callable_blocks") or 0
    differences = report.get("differences_from_callable_blocks") or []
    if n_blocks:
        items.append(
            f"{int(n_blocks):,} defining position(s) were read as reference from callable reference blocks (sequenced,"
            " no variant). PharmCAT would treat them as missing."
        )
    for difference in differences:
        items.append(f"<strong>{_e(difference['gene'])}</strong>: {_difference_text(difference)}")
    ties = [g["gene"] for g in report.get("genes") or [] if len(g.get("diplotypes") or []) > 1]
    if ties:
        items.append(
            "Unphased data leave several equally scoring diplotypes for "
            + _e(", ".join(ties))
            + ": all are listed; phasing (long reads) or an orthogonal test can resolve them."
        )
    items += [_e(w) for w in report.get("warnings") or []]
    items.append(
        "Genes and alleles not listed in the definitions cannot be detected; a diplotype is the best match to the "
        "defined star alleles, not a proof that no other variant is present."
    )
    return '<ul class="pgx-caveats" id="pgx-caveats">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def report_body(report: Mapping[str, Any], *, person: str | None = None) -> str:
    """The report's content (no ``<html>`` frame): header, genes, drugs, caveats, data version."""
    created = report.get("created_at")
    who = f"sample {_e(report.get('sample'))}" + (f" · person {_e(person)}" if person else "")
    meta = (
        f'<p class="pgx-meta muted">{who} · PGx data version <code id="pgx-data-version">'
        f"{_e(report.get('data_version'))}</code> (definitions {_e(report.get('definitions_version'))})"
        + (f" · called {_e(str(created)[:19].replace('T', ' '))} UTC" if created else "")
        + f" · input: {_e(report.get('input'))} · report schema {_e(report.get('schema_version'))}</p>"
    )
    return (
        f'<section class="pgx-report"><h1>Pharmacogenetic report</h1>{meta}'
        "<h2>Genes</h2>"
        + _gene_rows(report)
        + "<h2>Drugs (CPIC)</h2>"
        + _drug_tables(report)
        + "<h2>Caveats</h2>"
        + _overall_caveats(report)
        + '<p class="muted">Named-allele matching with PharmCAT 3.x semantics (genomdb); phenotypes and '
        "recommendations from the CPIC tables of the data version above. Outside calls (CYP2D6, HLA) come from the "
        "laboratory that made them. This report names the sample by its key only.</p></section>"
    )


def report_document(report: Mapping[str, Any], *, person: str | None = None) -> str:
    """A standalone, printable HTML document of one report."""
    title = f"PGx report {report.get('sample') or ''}".strip()
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}{CLASS_STYLE}</style></head><body>"
        + report_body(report, person=person)
        + "</body></html>\n"
    )
