"""Early detection's browser pages: a programme's worklist and one carrier's family. Values go through ``e``."""

from __future__ import annotations

from collections.abc import Sequence

from genomdb.api.context import Caller
from genomdb.api.web.pages import e, layout, url
from genomdb.screening.cascade import CascadeYield
from genomdb.screening.policy import ProgrammePolicy
from genomdb.screening.records import Finding, RelativeEntry, ScreeningRun


def message_page(caller: Caller, message: str) -> str:
    return layout("Early detection", f'<h1>Early detection</h1><p class="note warn">{e(message)}</p>', caller)


def _variants(finding: Finding) -> str:
    return "<br>".join(
        f'<a href="{url("/variant/" + v.variant_key)}">{e(v.variant_key)}</a> {e(v.genotype)} GQ {e(v.gq)} '
        f"({e(v.national_term)})"
        for v in finding.variants
    )


def worklist_page(caller: Caller, policy: ProgrammePolicy, run: ScreeningRun, findings: Sequence[Finding]) -> str:
    rows = "".join(
        f'<tr><td><a href="{url("/screening/family/" + f.pseudonym)}">{e(f.pseudonym)}</a></td>'
        f"<td>{e(f.department)}</td><td>{e(f.birth_year)}</td><td>{e(f.gene)}</td><td>{e(f.risk_class)}</td>"
        f"<td>{_variants(f)}</td></tr>"
        for f in findings
    )
    table = (
        '<table id="worklist"><thead><tr><th>Person</th><th>Department</th><th>Born</th><th>Gene</th><th>Risk</th>'
        f"<th>Variant, genotype, GQ</th></tr></thead><tbody>{rows}</tbody></table>"
        if findings
        else '<p class="note">No carrier of this run that you may read.</p>'
    )
    body = f"""<h1>{e(policy.title)}: worklist</h1>
<p class="muted">Run <strong>{e(run.run_id)}</strong> with policy {e(run.policy_version)}, the national variant database
as of {e(run.as_of.date() if run.as_of else run.created_at.date())}, frequency release {e(run.release_id or "none")};
{e(run.n_flagged)} finding(s) flagged (too frequent), not listed. Referrals go to the {e(policy.clinic)}. You see your
department's and region's carriers; every read is audited.</p>{table}"""
    return layout(f"{policy.title} worklist", body, caller)


def family_page(
    caller: Caller,
    pseudonym: str,
    findings: Sequence[Finding],
    entries: Sequence[RelativeEntry],
    yields: Sequence[CascadeYield],
) -> str:
    found = "".join(f"<li>{e(f.gene)} ({e(f.risk_class)} risk): {_variants(f)}</li>" for f in findings)
    rows = "".join(
        f"<tr><td>{e(r.relative_pseudonym)}</td><td>{e(r.relation)}</td><td>{e(r.degree)}</td>"
        f"<td>{e(r.genome_status)}</td><td>{e(r.status)}{': ' + e(r.result) if r.result else ''}</td>"
        f"<td>{e(r.history[-1].at.date())}</td><td><code>{e(r.entry_id)}</code></td></tr>"
        for r in entries
    )
    summary = "".join(
        f"<p>Yield: {y.n_carriers} carrier(s) among {y.n_known} relative(s) with a known status, of "
        f"{y.n_relatives} listed.</p>"
        for y in yields
    )
    table = (
        '<table id="relatives"><thead><tr><th>Relative</th><th>Relation</th><th>Degree</th><th>Genome</th>'
        f"<th>Status</th><th>Since</th><th>Entry</th></tr></thead><tbody>{rows}</tbody></table>"
        if entries
        else '<p class="note">No declared relative to list.</p>'
    )
    body = f"""<h1>Carrier {e(pseudonym)} and family</h1><ul id="findings">{found}</ul>
<h2>Cascade testing</h2>{summary}{table}
<p class="muted">First-degree relatives come first, then second-degree ones (from declared relationships). A relative
with a genome in the database has a known carrier status; one without is to be invited. Status changes: `genomdb
screen relative ENTRY --status …` or the REST API.</p>"""
    return layout(f"Carrier {pseudonym}", body, caller)
