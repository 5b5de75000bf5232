"""Commands of early detection: ``genomdb screen …`` — programme policies, runs and their worklists, diffs between
runs, the right not to know, cascade testing of relatives and clinic capacity. Person-level listings act as a
user (``--as``) through the access policy; every read is audited."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from genomdb.cli import screen_genetics_cmd
from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import Column, TsvFlag, console, print_json, print_listing

if TYPE_CHECKING:
    from genomdb.screening.records import Finding, RelativeEntry, ScreeningRun

HELP = (
    "Early detection: FH and breast-cancer programmes, carriers, cascade testing of relatives, clinic capacity, "
    "relatedness, polygenic scores and CanRisk pedigrees."
)
app = typer.Typer(help=HELP, no_args_is_help=True)
policy_app = typer.Typer(help="Programme policies: show the current one, or load an edited one (stewards).")
dnk_app = typer.Typer(help="A person's wish not to know (stewards): never listed by any programme while set.")
capacity_app = typer.Typer(
    help="Clinic capacity per region and programme, and the months each backlog needs.", invoke_without_command=True
)
app.add_typer(policy_app, name="policy")
app.add_typer(dnk_app, name="dnk")
app.add_typer(capacity_app, name="capacity")
app.command("kinship")(screen_genetics_cmd.kinship)
app.command("prs")(screen_genetics_cmd.prs)
app.command("canrisk")(screen_genetics_cmd.canrisk)

AsJson = Annotated[bool, typer.Option("--json", help="print JSON")]
Programme = Annotated[str, typer.Argument(help="fh or breast-cancer")]
PERSON_READS = "screening worklists"
STEWARD_ACTS = "screening steward acts"


def _year(value: int | None) -> str:
    return "–" if value is None else str(value)


# --- policies ---------------------------------------------------------------------------------------------------


@policy_app.command("show")
def policy_show(
    programme: Programme,
    as_json: AsJson = False,
) -> None:
    """The programme's current policy: genes, rules, frequency caps, priority rules."""
    from genomdb.screening.service import current_policy

    with state.open() as instance:
        policy = current_policy(instance, programme)
    if as_json:
        print_json(policy.document)
        return
    console.print(
        f"[bold]{policy.title}[/] ({policy.programme}) policy {policy.policy_version}, schema {policy.schema_version}"
        f" — referrals to the {policy.clinic}; priority: {', '.join(policy.priority)}",
        highlight=False,
    )
    columns = [
        Column("gene", identifier=True),
        Column("GRCh38 span", identifier=True),
        Column("inheritance"),
        Column("actionable"),
        Column("risk"),
        Column("max FAF95", justify="right"),
    ]
    rows = [
        [
            g.symbol,
            f"{g.chrom}:{g.start_1based}-{g.end_1based}",
            g.inheritance,
            g.describe(),
            g.risk_class,
            f"{g.max_credible_faf95:g}",
        ]
        for g in policy.genes
    ]
    print_listing(columns, rows)


@policy_app.command("load")
def policy_load(
    file: Annotated[Path, typer.Argument(help="an edited policy YAML (see `genomdb screen policy show … --json`)")],
    as_user: AsUser = None,
) -> None:
    """Validate an edited policy and make it the programme's current one; a bad file changes nothing."""
    from genomdb.screening.service import load_policy

    with state.open() as instance:
        policy, stored = load_policy(instance, acting(instance, as_user, needed_for=STEWARD_ACTS), file)
    word = "loaded" if stored else "already loaded"
    console.print(f"[green]✓[/] {policy.programme} policy {policy.policy_version} {word}", highlight=False)


# --- runs -------------------------------------------------------------------------------------------------------


@app.command("run")
def run(
    programme: Programme,
    cohort: Annotated[
        list[str] | None, typer.Option("--cohort", help="a department or region code (repeat for several)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="the national variant database as of YYYY-MM-DD [default: now]")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Run a programme over the cohort (stewards): carriers, flagged variants, the diff to the previous run."""
    from genomdb.classification.database import parse_moment
    from genomdb.screening.service import run_programme

    moment = parse_moment(as_of, field="--as-of")
    with state.open() as instance:
        outcome = run_programme(
            instance, acting(instance, as_user, needed_for=STEWARD_ACTS), programme, as_of=moment, cohort=cohort or ()
        )
    r = outcome.run
    console.print(
        f"[green]✓[/] {r.run_id}: {r.programme} policy {r.policy_version}, {r.n_samples} persons, "
        f"{r.n_reported} finding(s) reported, {r.n_flagged} flagged (frequency cap); release {r.release_id or 'none'}"
        f"; national variant database as of {r.as_of.date() if r.as_of else 'now'}",
        highlight=False,
    )
    for key, why in sorted(r.flagged_variants.items()):
        console.print(f"  [yellow]flagged, not reported:[/] {key}: {why}", highlight=False)
    if outcome.previous is not None:
        console.print(
            f"  since {outcome.previous.run_id}: {outcome.n_newly_actionable} newly actionable, "
            f"{outcome.n_no_longer_actionable} no longer actionable "
            f"(`genomdb screen diff {outcome.previous.run_id} {r.run_id}`)",
            highlight=False,
        )
    console.print(f"  cascade worklist: {outcome.n_cascade_entries_added} relative(s) added", highlight=False)


def _runs_rows(found: list[ScreeningRun]) -> list[list[str]]:
    return [
        [
            r.run_id,
            r.programme,
            r.policy_version,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            r.as_of.date().isoformat() if r.as_of else "now",
            r.release_id or "–",
            str(r.n_samples),
            str(r.n_reported),
            str(r.n_flagged),
        ]
        for r in found
    ]


@app.command("runs")
def runs(
    programme: Annotated[str | None, typer.Argument(help="fh or breast-cancer [default: both]")] = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Stored runs: policy, classification date and release each used, and how many findings (no persons)."""
    from genomdb.screening.service import runs as stored_runs

    with state.open() as instance:
        found = stored_runs(instance, programme)
    if as_json:
        print_json(found)
        return
    columns = [
        Column("run", identifier=True),
        Column("programme", identifier=True),
        Column("policy"),
        Column("at"),
        Column("as of", drop_order=2),
        Column("release", identifier=True, drop_order=3),
        Column("persons", justify="right", drop_order=1),
        Column("reported", justify="right"),
        Column("flagged", justify="right"),
    ]
    print_listing(columns, _runs_rows(found), as_tsv=as_tsv)


def _finding_rows(found: list[Finding]) -> list[list[str]]:
    return [
        [
            f.pseudonym,
            f.department,
            _year(f.birth_year),
            f.gene,
            f.risk_class,
            ", ".join(v.variant_key for v in f.variants),
            ", ".join(v.genotype for v in f.variants),
            ", ".join("–" if v.gq is None else str(v.gq) for v in f.variants),
            ", ".join(v.national_term for v in f.variants),
        ]
        for f in found
    ]


FINDING_COLUMNS = [
    Column("person", identifier=True),
    Column("department", identifier=True),
    Column("born", drop_order=2),
    Column("gene", identifier=True),
    Column("risk"),
    Column("variant", identifier=True),
    Column("genotype"),
    Column("GQ", justify="right"),
    Column("national view", drop_order=1),
]


@app.command("worklist")
def worklist(
    programme: Programme,
    run_id: Annotated[str | None, typer.Option("--run", help="a run id [default: the newest run]")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """The reported carriers of a run that you may read (your department's; clinical roles), every read audited."""
    from genomdb.screening.service import worklist as read_worklist

    with state.open() as instance:
        run, found = read_worklist(
            instance, acting(instance, as_user, needed_for=PERSON_READS), programme, run_id=run_id
        )
    if as_json:
        print_json({"run": run, "findings": found})
        return
    print_listing(FINDING_COLUMNS, _finding_rows(found), as_tsv=as_tsv, title=None if as_tsv else f"{run.run_id}")


@app.command("diff")
def diff(
    run_a: Annotated[str, typer.Argument(help="the earlier run")],
    run_b: Annotated[str, typer.Argument(help="the later run")],
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Newly actionable and no longer actionable carriers between two runs, with the cause (policy,
    reclassification, frequency), for the persons you may read."""
    from genomdb.screening.service import diff as run_diff

    with state.open() as instance:
        changes = run_diff(instance, acting(instance, as_user, needed_for=PERSON_READS), run_a, run_b)
    if as_json:
        print_json(changes)
        return
    columns = [
        Column("change"),
        Column("person", identifier=True),
        Column("department", identifier=True),
        Column("gene", identifier=True),
        Column("variant", identifier=True),
        Column("because"),
    ]
    rows = [
        [
            c.direction,
            c.finding.pseudonym,
            c.finding.department,
            c.finding.gene,
            ", ".join(c.finding.variant_keys),
            "; ".join(c.reasons),
        ]
        for c in changes.changes
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


# --- the right not to know ---------------------------------------------------------------------------------------


@dnk_app.command("set")
def dnk_set(
    person: Annotated[str, typer.Argument(help="the person's pseudonym (GDB-…)")], as_user: AsUser = None
) -> None:
    """Record that a person does not want to know: no programme lists them, anywhere."""
    from genomdb.screening.service import set_does_not_want_to_know

    with state.open() as instance:
        changed = set_does_not_want_to_know(instance, acting(instance, as_user, needed_for=STEWARD_ACTS), person, True)
    console.print(f"[green]✓[/] {person}: does not want to know{'' if changed else ' (already recorded)'}")


@dnk_app.command("clear")
def dnk_clear(
    person: Annotated[str, typer.Argument(help="the person's pseudonym (GDB-…)")], as_user: AsUser = None
) -> None:
    """Clear a person's wish not to know (they asked to be told again)."""
    from genomdb.screening.service import set_does_not_want_to_know

    with state.open() as instance:
        changed = set_does_not_want_to_know(instance, acting(instance, as_user, needed_for=STEWARD_ACTS), person, False)
    console.print(f"[green]✓[/] {person}: wish not to know cleared{'' if changed else ' (was not set)'}")


# --- cascade ------------------------------------------------------------------------------------------------------


CASCADE_COLUMNS = [
    Column("entry", identifier=True),
    Column("index case", identifier=True),
    Column("relative", identifier=True),
    Column("relation"),
    Column("degree", justify="right"),
    Column("genome"),
    Column("status"),
    Column("since", drop_order=2),
    Column("gene", identifier=True, drop_order=1),
]


def _cascade_rows(entries: list[RelativeEntry]) -> list[list[str]]:
    return [
        [
            e.entry_id,
            e.index_pseudonym,
            e.relative_pseudonym,
            e.relation,
            str(e.degree),
            e.genome_status,
            e.status + (f": {e.result}" if e.result else ""),
            f"{e.history[-1].at:%Y-%m-%d}",
            e.gene,
        ]
        for e in entries
    ]


@app.command("cascade")
def cascade(
    index: Annotated[
        str | None, typer.Argument(help="an index case's pseudonym [default: every one you may read]")
    ] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="fh or breast-cancer")] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Cascade worklists: first- then second-degree relatives of each carrier, in the database (carrier status from
    their genome) or to invite, with their status; and the yield per index case."""
    from genomdb.screening.cascade import yields
    from genomdb.screening.service import cascade as read_cascade

    with state.open() as instance:
        entries = read_cascade(
            instance, acting(instance, as_user, needed_for=PERSON_READS), index=index, programme=programme
        )
    found_yields = yields(entries)
    if as_json:
        print_json({"relatives": entries, "yields": found_yields})
        return
    print_listing(CASCADE_COLUMNS, _cascade_rows(entries), as_tsv=as_tsv)
    if not as_tsv:
        for y in found_yields:
            console.print(
                f"  yield {y.index_pseudonym}: {y.n_carriers} carrier(s) among {y.n_known} relative(s) with a known "
                f"status, of {y.n_relatives} listed",
                highlight=False,
            )


@app.command("relative")
def relative(
    ident: Annotated[str, typer.Argument(help="a cascade entry (REL-…) or the relative's pseudonym")],
    status: Annotated[str, typer.Option("--status", help="invited, consented, tested, result or declined")],
    result: Annotated[str | None, typer.Option("--result", help="with --status result: carrier or non-carrier")] = None,
    index: Annotated[
        str | None, typer.Option("--index", help="the index case, when the relative is on several lists")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Move a relative to the next status (to_invite → invited → consented → tested → result, or declined)."""
    from genomdb.screening.service import set_relative_status

    with state.open() as instance:
        entry = set_relative_status(
            instance, acting(instance, as_user, needed_for=PERSON_READS), ident, status, result=result, index=index
        )
    console.print(
        f"[green]✓[/] {entry.entry_id} ({entry.relative_pseudonym}, {entry.relation} of {entry.index_pseudonym}): "
        f"{entry.status}{': ' + entry.result if entry.result else ''}",
        highlight=False,
    )


# --- capacity -----------------------------------------------------------------------------------------------------


@capacity_app.callback()
def capacity(ctx: typer.Context, as_json: AsJson = False, as_tsv: TsvFlag = False) -> None:
    """Backlog per region and programme with its monthly capacity and the months needed to clear it."""
    if ctx.invoked_subcommand is not None:
        return
    from genomdb.screening.service import backlogs

    with state.open() as instance:
        found = backlogs(instance)
    if as_json:
        print_json([{**vars_of(b), "months_to_clear": b.months_to_clear} for b in found])
        return
    columns = [
        Column("programme", identifier=True),
        Column("region", identifier=True),
        Column("capacity/month", justify="right"),
        Column("released this month", justify="right"),
        Column("queued", justify="right"),
        Column("of them relatives", justify="right"),
        Column("months to clear", justify="right"),
    ]
    rows = [
        [
            b.programme,
            b.region,
            "not set" if b.monthly_capacity is None else str(b.monthly_capacity),
            str(b.n_released_this_month),
            str(b.n_queued),
            str(b.n_relatives_queued),
            "never (no capacity)" if b.months_to_clear is None else str(b.months_to_clear),
        ]
        for b in found
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


def vars_of(value: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(value) and not isinstance(value, type)
    return asdict(value)


@capacity_app.command("set")
def capacity_set(
    region: Annotated[str, typer.Argument(help="region code, e.g. RH")],
    programme: Programme,
    monthly: Annotated[str, typer.Argument(help="referrals the clinic takes a month (a whole number)")],
    as_user: AsUser = None,
) -> None:
    """Set a region's monthly clinic capacity for a programme (stewards)."""
    from genomdb.screening.service import set_capacity

    with state.open() as instance:
        value = set_capacity(instance, acting(instance, as_user, needed_for=STEWARD_ACTS), region, programme, monthly)
    console.print(f"[green]✓[/] {region} {programme}: {value} referral(s) a month", highlight=False)


@app.command("release")
def release(programme: Programme, as_user: AsUser = None) -> None:
    """Release this month's referrals within each region's capacity, highest priority first (stewards); the rest
    stays queued."""
    from genomdb.screening.service import release as release_referrals

    with state.open() as instance:
        n_released, after = release_referrals(instance, acting(instance, as_user, needed_for=STEWARD_ACTS), programme)
    console.print(f"[green]✓[/] {programme}: {n_released} referral(s) released", highlight=False)
    for b in after:
        months = "never (no capacity)" if b.months_to_clear is None else f"{b.months_to_clear} month(s)"
        relatives = f" ({b.n_relatives_queued} of them relatives awaiting their test)" if b.n_relatives_queued else ""
        console.print(f"  {b.region}: {b.n_queued} queued{relatives}, clears in {months}", highlight=False)
