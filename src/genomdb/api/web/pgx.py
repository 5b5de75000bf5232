"""The browser's PGx pages for the clinical roles: the results a clinician may read, and one person's report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from genomdb.api.context import Caller
from genomdb.api.web.pages import e, layout, url
from genomdb.pgx.html_report import CLASS_STYLE, report_body


def report_page(caller: Caller, report: dict[str, Any]) -> str:
    body = (
        f"<style>{CLASS_STYLE}</style>"
        '<p class="muted"><a href="/pgx">← PGx results</a> · '
        f'<a id="pgx-print" href="{url("/pgx/" + str(report.get("sample")) + "/print")}">printable page</a></p>'
        + report_body(report, person=report.get("person"))
    )
    return layout(f"PGx {report.get('sample')}", body, caller)


def results_page(caller: Caller, results: Sequence[dict[str, Any]]) -> str:
    rows = "".join(
        f'<tr><th scope="row"><a href="{url("/pgx/" + r["sample"])}">{e(r["sample"])}</a></th><td>{e(r["person"])}</td>'
        f"<td>{e(r['department'])}</td><td>{e(' or '.join(r['diplotypes'].get('CYP2C19') or ['–']))}</td>"
        f"<td>{r['n_genes_called']}</td><td>{e(r['data_version'])}</td></tr>"
        for r in results
    )
    table = (
        '<table id="pgx-results"><thead><tr><th>Sample</th><th>Person</th><th>Department</th><th>CYP2C19</th>'
        f"<th>Genes called</th><th>Data version</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else '<p class="muted">No stored PGx result of a person you may read.</p>'
    )
    body = (
        "<h1>Pharmacogenetics</h1><p>Stored PGx results of the persons your department, region or grants let you read "
        "(each look is recorded in the audit log).</p>" + table
    )
    return layout("Pharmacogenetics", body, caller)
