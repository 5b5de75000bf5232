"""``genomdb classify``: the national variant database — add, import, withdraw, show, history, conflicts, export.

Every write, and the person-level recontact worklist, acts as a named user (``--as USER`` or ``GENOMDB_USER``) and
goes through :mod:`genomdb.classification.service`, the same functions as the REST service: the access policy
decides (a department's clinicians write only their own department's classifications) and audits before anything
is written."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from genomdb.classification import service
from genomdb.classification.acmg import CLASS_SPELLINGS_HELP, Criterion, CriterionError, parse_class, parse_criteria
from genomdb.classification.database import Moment, VariantReport
from genomdb.classification.database import parse_moment as parse_moment_text
from genomdb.classification.frequency_evidence import FrequencyThresholds
from genomdb.classification.model import (
    INHERITANCE_HELP,
    AssertionVersion,
    Condition,
    ConflictCase,
    ConflictState,
    NationalView,
    NewAssertion,
    WriteOutcome,
    parse_conflict_states,
    parse_inheritance,
    parse_ontology_id,
)
from genomdb.cli.context import AsUser, acting, acting_or_nobody, state
from genomdb.cli.output import Column, TsvFlag, console, print_json, print_listing
from genomdb.errors import InvalidInput, Problem

app = typer.Typer(
    help="The national variant database: departments' classifications, the national view, conflicts.",
    no_args_is_help=True,
)
conflicts_app = typer.Typer(
    help="List conflict cases (default), or move one to under discussion or resolved.", invoke_without_command=True
)
app.add_typer(conflicts_app, name="conflicts")

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="what the database said at this moment: YYYY-MM-DD (end of that day, UTC) or an ISO time"
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
Department = Annotated[
    str | None,
    typer.Option("--department", "-d", help="your department code [default: the department of the --as user]"),
]
WRITES = "classification writes"


def parse_moment(text: str | None) -> Moment | None:
    """``2024-05-01`` → a date (end of that day); ``2024-05-01T12:00`` (optionally with an offset) → a time."""
    return parse_moment_text(text, field="--as-of")


def _criteria_text(version: AssertionVersion) -> str:
    return ", ".join(c.label for c in version.criteria) or "–"


VERSION_COLUMNS = [
    Column("assertion", identifier=True),
    Column("v", justify="right"),
    Column("department", identifier=True),
    Column("class"),
    Column("criteria", drop_order=2),
    Column("condition", drop_order=3),
    Column("asserted", drop_order=4),
    Column("recorded", drop_order=5),
    Column("note", drop_order=1),
]


def _version_rows(versions: list[AssertionVersion]) -> list[list[str]]:
    rows = []
    for v in versions:
        note = []
        if v.is_withdrawn:
            note.append(f"withdrawn: {v.reason or ''}")
        elif v.reason:
            note.append(v.reason)
        if v.warning:
            note.append(f"⚠ criteria support {v.supported_class.value}")
        rows.append(
            [
                v.assertion_id,
                str(v.version),
                v.department,
                f"{v.acmg_class.value} (withdrawn)" if v.is_withdrawn else v.acmg_class.value,
                _criteria_text(v),
                str(v.condition),
                v.asserted_on.isoformat(),
                v.recorded_at.strftime("%Y-%m-%d %H:%M"),
                "; ".join(note),
            ]
        )
    return rows


def _print_national(view: NationalView) -> None:
    overall = view.overall
    moment = f" as of {view.as_of.isoformat()}" if view.as_of else ""
    console.print(f"[bold]{view.variant_key}[/]  {view.vrs_allele_id or ''}  {', '.join(view.genes)}{moment}")
    if overall.category is None:
        console.print("  not classified by any department")
        return
    colour = "red" if overall.category.is_conflict else "green"
    console.print(
        f"  national view: [bold]{overall.aggregate.value}[/] ({overall.review_status.value})  "
        f"consensus: [{colour}]{overall.category.value}[/]  {overall.summary}"
    )
    for cls, departments in overall.departments_by_class:
        console.print(f"    {cls.value}: {', '.join(departments)}")
    if overall.criteria_differences:
        table = Table(title="criteria applied differently", header_style="bold")
        table.add_column("criterion")
        for department, _ in overall.criteria_differences[0].by_department:
            table.add_column(department)
        for difference in overall.criteria_differences:
            table.add_row(difference.code, *(label or "–" for _, label in difference.by_department))
        console.print(table)
    if len(view.by_condition) > 1:
        for condition in view.by_condition:
            console.print(
                f"  for {condition.condition_label}: {condition.aggregate.value} "
                f"({condition.category.value if condition.category else '–'}) {condition.summary}"
            )
    print_listing(VERSION_COLUMNS, _version_rows(list(view.assertions)), title="current assertions")


def _print_effects(effects: WriteOutcome) -> None:
    for conflict_id in effects.conflicts_opened:
        console.print(f"  [red]conflict case opened[/]: {conflict_id}  (genomdb classify conflicts)")
    for conflict_id in effects.conflicts_updated:
        console.print(f"  conflict case updated: {conflict_id}")
    for conflict_id in effects.conflicts_resolved:
        console.print(f"  [green]conflict case resolved[/]: {conflict_id}")
    for crossing in effects.crossings:
        console.print(
            f"  [bold]national view {crossing.direction.value}[/]: {crossing.variant_key} "
            f"{crossing.before.value} → {crossing.after.value} ({crossing.crossing_id})"
        )
    if effects.crossings:
        console.print(f"  recontact worklists: {effects.n_worklist_entries} carrier(s) (genomdb classify worklist)")


@app.command("add")
def add(
    variant: Annotated[str, typer.Argument(help="chrom-pos-ref-alt on GRCh38, e.g. chr19-11100236-C-T")],
    acmg_class: Annotated[str, typer.Option("--class", help=CLASS_SPELLINGS_HELP)],
    condition: Annotated[str, typer.Option(help="the condition, as free text")],
    condition_id: Annotated[str | None, typer.Option("--condition-id", help="MONDO:… or OMIM:…")] = None,
    inheritance: Annotated[str, typer.Option(help=INHERITANCE_HELP)] = "unknown",
    criteria: Annotated[str, typer.Option(help="ACMG criteria, e.g. PVS1,PM2_Supporting,PP3")] = "",
    evidence: Annotated[str, typer.Option(help="evidence summary")] = "",
    classifier: Annotated[str, typer.Option(help="who classified")] = "",
    date: Annotated[str | None, typer.Option(help="classification date YYYY-MM-DD [default: today]")] = None,
    gene: Annotated[str | None, typer.Option(help="gene symbol")] = None,
    transcript: Annotated[str | None, typer.Option(help="transcript, e.g. NM_000527.5")] = None,
    hgvs_c: Annotated[str | None, typer.Option("--hgvs-c", help="c. notation as given")] = None,
    hgvs_p: Annotated[str | None, typer.Option("--hgvs-p", help="p. notation as given")] = None,
    reason: Annotated[str | None, typer.Option(help="why this changes an earlier classification")] = None,
    department: Department = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Record a classification (a new version when the department already classified the variant for the
    condition). Warns when the class differs from what the criteria support."""
    problems: list[Problem] = []
    parsed_class = parse_class(acmg_class)
    if parsed_class is None:
        problems.append(
            Problem("--class", "not an ACMG class", field="--class", expected=CLASS_SPELLINGS_HELP, found=acmg_class)
        )
    parsed_inheritance = parse_inheritance(inheritance)
    if parsed_inheritance is None:
        problems.append(
            Problem("--inheritance", "unknown", field="--inheritance", expected=INHERITANCE_HELP, found=inheritance)
        )
    ontology_id = parse_ontology_id(condition_id) if condition_id else None
    if condition_id and ontology_id is None:
        problems.append(
            Problem(
                "--condition-id", "not MONDO/OMIM", field="--condition-id", expected="MONDO:0007750", found=condition_id
            )
        )
    parsed_criteria: tuple[Criterion, ...] = ()
    try:
        parsed_criteria = parse_criteria(criteria)
    except CriterionError as exc:
        problems.append(Problem("--criteria", str(exc), field="--criteria", found=criteria))
    asserted_on = None
    if date is not None:
        try:
            asserted_on = dt.date.fromisoformat(date)
        except ValueError:
            problems.append(Problem("--date", "not a date", field="--date", expected="YYYY-MM-DD", found=date))
    if problems:
        raise InvalidInput("cannot record this classification", problems)
    assert parsed_class is not None and parsed_inheritance is not None
    assertion = NewAssertion(
        variant=variant,
        acmg_class=parsed_class,
        condition=Condition(condition, ontology_id),
        inheritance=parsed_inheritance,
        criteria=parsed_criteria,
        evidence=evidence,
        classifier=classifier,
        asserted_on=asserted_on,
        gene=gene,
        transcript=transcript,
        hgvs_c=hgvs_c,
        hgvs_p=hgvs_p,
        reason=reason,
    )
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for=WRITES)
        outcome = service.record_assertion(instance, actor, assertion, department=department, via="cli")
    if as_json:
        print_json(outcome)
        return
    v = outcome.version
    if outcome.unchanged:
        console.print(f"nothing changed: {v.assertion_id} v{v.version} already says this")
        return
    what = "new assertion" if outcome.created else "new version"
    console.print(
        f"[green]✓[/] {what} {v.assertion_id} v{v.version}: {v.department} {v.acmg_class.value} {v.variant_key}"
    )
    if v.warning:
        console.print(f"  [yellow]warning:[/] {v.warning}")
    overall = outcome.national.overall
    console.print(f"  national view: {overall.aggregate.value} ({overall.category.value if overall.category else '–'})")
    _print_effects(outcome.effects)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="the department's export: TSV or VCF (.gz accepted)", exists=True, dir_okay=False)
    ],
    department: Department = None,
    file_format: Annotated[str | None, typer.Option("--format", help="tsv or vcf [default: from the file]")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Import your department's classifications (a clinician of the department). Any bad row rejects the whole
    file, listing every problem; rows identical to what is recorded are skipped."""
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for=WRITES)
        outcome = service.import_classifications(
            instance, actor, file, department=department, file_format=file_format, via="cli"
        )
    if as_json:
        print_json(outcome)
        return
    console.print(
        f"[green]✓[/] {outcome.file}: {outcome.n_rows} row(s) — {outcome.n_new_assertions} new assertion(s), "
        f"{outcome.n_new_versions} new version(s), {outcome.n_unchanged} unchanged ({outcome.import_id})"
    )
    for warning in outcome.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)
    _print_effects(outcome.effects)


@app.command("withdraw")
def withdraw(
    assertion_id: Annotated[str, typer.Argument(help="the assertion (CLS-…)")],
    reason: Annotated[str, typer.Option(help="why it is withdrawn")],
    classifier: Annotated[str, typer.Option(help="who withdraws it")] = "",
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Withdraw your department's assertion (recorded as a new version; history is kept)."""
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for=WRITES)
        outcome = service.withdraw(instance, actor, assertion_id, reason=reason, classifier=classifier, via="cli")
    if as_json:
        print_json(outcome)
        return
    console.print(f"[green]✓[/] {assertion_id} withdrawn (v{outcome.version.version})")
    _print_effects(outcome.effects)


def _print_report(report: VariantReport) -> None:
    _print_national(report.national)
    if report.conflict is not None:
        case = report.conflict
        console.print(
            f"  conflict case {case.conflict_id}: [bold]{case.state.value}[/] since {case.opened_at:%Y-%m-%d} "
            f"({case.category.value}; {', '.join(case.departments)})"
            + (f" — {case.resolution}" if case.resolution else "")
        )
    if report.frequency is not None:
        f = report.frequency
        faf = f"{f.faf95:.3g}" if f.faf95 is not None else "–"
        console.print(
            f"  national frequency ({f.tier} tier): AC {f.allele_count} / AN {f.allele_number}, FAF95 {faf} "
            f"({f.release or ''})"
        )
    for suggestion in report.suggestions:
        console.print(f"  [cyan]suggested (not applied):[/] {suggestion.criterion.label} — {suggestion.reason}")


@app.command("show")
def show(
    variant: Annotated[str, typer.Argument(help="chrom-pos-ref-alt or ga4gh:VA.…")],
    as_of: AsOf = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """The national view of a variant: consensus, aggregate, differing criteria, current assertions, conflict
    case and — acting as a clinician or steward (controlled tier) — the national frequency and its suggestions."""
    with state.open() as instance:
        actor = acting_or_nobody(instance, as_user)
        report = service.report(instance, variant, actor=actor, as_of=parse_moment(as_of))
    if as_json:
        print_json(report)
        return
    _print_report(report)
    if not service.sees_frequency(actor):
        console.print(
            "  national frequency and suggested criteria: at the controlled tier, for a clinician or steward "
            "(--as USER)"
        )


@app.command("history")
def history(
    subject: Annotated[str | None, typer.Argument(help="a variant, or an assertion (CLS-…)")] = None,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="only (or all of) this department")
    ] = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Every version, oldest first: of a variant's assertions, of one assertion, or of a department's."""
    moment = parse_moment(as_of)
    with state.open() as instance:
        if subject is not None and subject.startswith("CLS-"):
            versions = service.history(instance, assertion_id=subject, as_of=moment)
        else:
            versions = service.history(instance, subject, department=department, as_of=moment)
    if as_json:
        print_json(versions)
        return
    print_listing(VERSION_COLUMNS, _version_rows(versions), as_tsv=as_tsv, title=f"history of {subject or department}")


CONFLICT_COLUMNS = [
    Column("case", identifier=True),
    Column("variant", identifier=True),
    Column("category"),
    Column("departments", drop_order=3),
    Column("classes"),
    Column("state"),
    Column("opened", drop_order=2),
    Column("by", identifier=True, drop_order=4),
    Column("resolution", drop_order=1),
]


def _conflict_rows(cases: list[ConflictCase]) -> list[list[str]]:
    return [
        [
            case.conflict_id,
            case.variant_key,
            case.category.value,
            ", ".join(case.departments),
            ", ".join(f"{d} {c}" for d, c in case.classes),
            case.state.value,
            case.opened_at.strftime("%Y-%m-%d"),
            case.opened_by,
            case.resolution or "",
        ]
        for case in cases
    ]


@conflicts_app.callback()
def conflicts(
    ctx: typer.Context,
    state_filter: Annotated[
        str | None, typer.Option("--state", help="open, under-discussion, resolved or unresolved (open + discussion)")
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="cases involving this department")
    ] = None,
    variant: Annotated[str | None, typer.Option(help="cases about this variant")] = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Conflict cases, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    states: tuple[ConflictState, ...] | None = None
    if state_filter is not None:
        states = parse_conflict_states(state_filter)
        if states is None:
            raise InvalidInput(
                "unknown --state",
                [
                    Problem(
                        "--state",
                        "unknown",
                        field="--state",
                        expected="open, under-discussion, resolved, unresolved",
                        found=state_filter,
                    )
                ],
            )
    with state.open() as instance:
        cases = service.conflicts(instance, states=states, department=department, variant=variant)
    if as_json:
        print_json(cases)
        return
    print_listing(CONFLICT_COLUMNS, _conflict_rows(cases), as_tsv=as_tsv)
    if not as_tsv:
        console.print(f"{len(cases)} case(s)")


@conflicts_app.command("discuss")
def discuss(
    conflict_id: Annotated[str, typer.Argument(help="the case (CNF-…)")],
    note: Annotated[str, typer.Option(help="what is being discussed, and with whom")],
    as_user: AsUser = None,
) -> None:
    """Mark a conflict case your department is involved in as under discussion (the event names you)."""
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="conflict case updates")
        case = service.update_conflict(
            instance, actor, conflict_id, state=ConflictState.UNDER_DISCUSSION, text=note, via="cli"
        )
    console.print(f"{case.conflict_id}: {case.state.value}")


@conflicts_app.command("resolve")
def resolve(
    conflict_id: Annotated[str, typer.Argument(help="the case (CNF-…)")],
    resolution: Annotated[str, typer.Option(help="the recorded resolution")],
    as_user: AsUser = None,
) -> None:
    """Resolve a conflict case your department is involved in, with its recorded resolution."""
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="conflict case updates")
        case = service.update_conflict(
            instance, actor, conflict_id, state=ConflictState.RESOLVED, text=resolution, via="cli"
        )
    console.print(f"{case.conflict_id}: {case.state.value} — {case.resolution}")


@app.command("export")
def export(
    national: Annotated[str | None, typer.Option("--national", help="the national consensus as tsv or vcf")] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", "-d", help="this department's assertions, as ClinVar submission columns"),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write here [default: stdout]")] = None,
    as_of: AsOf = None,
) -> None:
    """Export the national consensus (TSV or VCF with INFO fields), or a department's own assertions in the
    germline columns of the ClinVar submission spreadsheet."""
    if (national is None) == (department is None):
        raise InvalidInput(
            "export what?", [Problem("export", "give exactly one of --national tsv|vcf and --department CODE")]
        )
    moment = parse_moment(as_of)
    with state.open() as instance:
        handle = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            if national is not None:
                n_rows = service.export_national(instance, handle, file_format=national.lower(), as_of=moment)
            else:
                assert department is not None
                n_rows = service.export_department(instance, department, handle, as_of=moment)
        finally:
            if output:
                handle.close()
    if output:
        console.print(f"[green]✓[/] {n_rows} row(s) → {output}")


WORKLIST_COLUMNS = [
    Column("variant", identifier=True),
    Column("crossed"),
    Column("on", drop_order=2),
    Column("after", drop_order=1),
    Column("person", identifier=True),
    Column("sample", identifier=True),
    Column("department sample id", identifier=True, drop_order=3),
    Column("copies", justify="right"),
]


@app.command("worklist")
def worklist(
    department: Department = None,
    variant: Annotated[str | None, typer.Option(help="only this variant")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Your department's recontact worklists: your own carriers of variants whose national view crossed the
    P/LP boundary (a clinician of the department; every person shown is read through the access policy)."""
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="person-level reads")
        department, lists = service.worklists(instance, actor, department=department, variant=variant, via="cli")
    if as_json:
        print_json(lists)
        return
    rows = [
        [
            item.crossing.variant_key,
            f"{item.crossing.direction.value} ({item.crossing.before.value} → {item.crossing.after.value})",
            f"{item.crossing.at:%Y-%m-%d}",
            item.crossing.trigger,
            entry.pseudonym,
            entry.sample_key,
            entry.submitter_sample_id,
            str(entry.alt_count),
        ]
        for item in lists
        for entry in item.entries
    ]
    print_listing(WORKLIST_COLUMNS, rows, as_tsv=as_tsv)
    if as_tsv:
        return
    console.print(f"{len(lists)} worklist(s) for {department}")


@app.command("thresholds")
def thresholds(
    gene: Annotated[str | None, typer.Argument(help="gene symbol; * for the default")] = None,
    ba1: Annotated[float | None, typer.Option(help="BA1 when FAF95 is above this")] = None,
    bs1: Annotated[float | None, typer.Option(help="BS1 when FAF95 is above this")] = None,
    pm2: Annotated[float | None, typer.Option(help="PM2 when FAF95 is below this (or absent)")] = None,
    pm2_label: Annotated[
        str | None, typer.Option("--pm2-label", help="PM2 at its strength, e.g. PM2_Supporting")
    ] = None,
    source: Annotated[str | None, typer.Option(help="where the thresholds come from")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
) -> None:
    """Show the FAF95 thresholds used to suggest BA1/BS1/PM2 for a gene, or set the instance's own (a data
    steward, --as)."""
    with state.open() as instance:
        symbol = None if gene in (None, "*") else gene
        current = service.frequency_thresholds(instance, symbol)
        if any(value is not None for value in (ba1, bs1, pm2, pm2_label, source)):
            actor = acting(instance, as_user, needed_for="setting thresholds")
            try:
                current = FrequencyThresholds(
                    gene=symbol.upper() if symbol else None,
                    ba1_above=ba1 if ba1 is not None else current.ba1_above,
                    bs1_above=bs1 if bs1 is not None else current.bs1_above,
                    pm2_below=pm2 if pm2 is not None else current.pm2_below,
                    pm2_label=pm2_label or current.pm2_label,
                    source=source or "set with genomdb classify thresholds",
                )
            except (ValueError, CriterionError) as exc:
                raise InvalidInput("cannot set these thresholds", [Problem("thresholds", str(exc))]) from None
            current = service.set_thresholds(instance, actor, current, via="cli")
    if as_json:
        print_json(current)
        return
    console.print(
        f"{current.gene or 'default'}: BA1 FAF95 > {current.ba1_above:g}, BS1 > {current.bs1_above:g}, "
        f"{current.pm2_label} < {current.pm2_below:g} or absent — {current.source}"
    )
