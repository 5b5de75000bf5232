"""Commands of data-out: working-copy requests, status and fetch; htsget tickets and DRS objects; storage tiers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from genomdb.access.policy import Policy
from genomdb.access.records import Action, CatalogQuery, Resource, parse_interval
from genomdb.cli.access_cmd import JsonFlag, split_values
from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import Column, TsvFlag, console, err_console, print_json, print_listing
from genomdb.dataout.drs import drs_object
from genomdb.dataout.htsget import fetch_ticket, htsget_ticket, prune_derived_slices
from genomdb.dataout.packages import fetch_package
from genomdb.dataout.records import DEFAULT_FORMATS, CopyRequest, RequestState, RequestStatus
from genomdb.dataout.requests import list_requests, process_waiting_requests, request_copy, request_status, set_tier
from genomdb.model.catalog import StorageTier

app = typer.Typer(
    help="Working copies: request, check and fetch them; htsget tickets and DRS objects.", no_args_is_help=True
)


def _print_state(state_: RequestState) -> None:
    colour = {"ready": "green", "waiting": "yellow"}.get(state_.status, "red")
    size = f", {state_.n_parts} parts, {(state_.total_bytes or 0) / 1e6:.2f} MB" if state_.n_parts else ""
    console.print(
        f"[{colour}]{state_.status}[/] [bold]{state_.request_id}[/] for {state_.requester}"
        f"{' under ' + state_.grant_id if state_.grant_id else ''}{size}",
        highlight=False,
    )
    if state_.message:
        console.print(f"  {state_.message}", highlight=False)
    if state_.status == RequestStatus.READY:
        console.print(f"  next: genomdb out fetch {state_.request_id} --to DIR", highlight=False)


@app.command("request")
def request(
    samples: Annotated[
        list[str] | None, typer.Option("--sample", help="sample keys, department ids or RS- ids")
    ] = None,
    persons: Annotated[list[str] | None, typer.Option("--person", help="person pseudonyms (GDB-… or RP-…)")] = None,
    query_region: Annotated[str | None, typer.Option("--query-region", help="every sample of a region")] = None,
    query_department: Annotated[str | None, typer.Option("--query-department", help="…of a department")] = None,
    query_platform: Annotated[str | None, typer.Option("--query-platform", help="…sequenced on a platform")] = None,
    regions: Annotated[
        list[str] | None, typer.Option("--regions", help="slice to CHROM:START-END (1-based); none: whole files")
    ] = None,
    panel: Annotated[list[str] | None, typer.Option("--panel", help="slice to these genes, e.g. LDLR,BRCA2")] = None,
    formats: Annotated[str, typer.Option("--formats", help="file formats: CRAM, BAM, VCF, GVCF, FASTQ")] = ",".join(
        DEFAULT_FORMATS
    ),
    grant: Annotated[str | None, typer.Option("--grant", help="the grant to use (required for research)")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask for a working copy; it is built at once, or waits until cold files are thawed."""
    query = CatalogQuery(region=query_region, department=query_department, platform=query_platform)
    spec = CopyRequest(
        samples=split_values(samples),
        persons=split_values(persons),
        query=None if query.is_empty() else query,
        regions=tuple(parse_interval(r) for r in split_values(regions)),
        formats=tuple(f.upper() for f in split_values([formats])),
        grant_id=grant,
        panel=split_values(panel),
    )
    with state.open() as instance:
        result = request_copy(instance, acting(instance, as_user), spec)
    if as_json:
        print_json(result)
        return
    _print_state(result)


@app.command("status")
def status(
    request_id: Annotated[str | None, typer.Argument(help="OUT-…; none: list your requests")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Where a request stands (completing it if its cold files have been thawed), or all your requests."""
    with state.open() as instance:
        actor = acting(instance, as_user)
        one = request_status(instance, actor, request_id) if request_id else None
        states = [one] if one is not None else list_requests(instance, actor)
    if as_json:
        print_json(states if request_id is None else states[0])
        return
    if request_id is not None:
        _print_state(states[0])
        return
    columns = [
        Column("request", identifier=True),
        Column("by", identifier=True),
        Column("status"),
        Column("parts", justify="right", drop_order=2),
        Column("MB", justify="right"),
        Column("created", drop_order=3),
        Column("note", drop_order=1),
    ]
    rows = [
        [
            item.request_id,
            item.requester,
            item.status,
            str(item.n_parts or "–"),
            f"{(item.total_bytes or 0) / 1e6:.2f}",
            item.created_at.strftime("%Y-%m-%d %H:%M"),
            item.message or "",
        ]
        for item in states
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


@app.command("fetch")
def fetch(
    request_id: Annotated[str, typer.Argument(help="OUT-…")],
    to: Annotated[Path, typer.Option("--to", help="folder to copy the package into")],
    max_rate: Annotated[
        float | None, typer.Option("--max-rate", help="limit the transfer to this many bytes per second")
    ] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Copy a ready package, resuming an interrupted copy and verifying every part's sha256."""
    last_note = {"part": ""}

    def progress(name: str, done: int, total: int) -> None:
        if err_console.is_terminal and name != last_note["part"]:
            last_note["part"] = name
            err_console.print(f"  {name} ({total / 1e6:.2f} MB)", highlight=False)

    with state.open() as instance:
        report = fetch_package(
            instance, acting(instance, as_user), request_id, to, max_rate=max_rate, progress=progress
        )
    if as_json:
        print_json(report)
        return
    console.print(
        f"[green]✓[/] {report.n_parts} part(s) of {request_id} in {report.target}, every sha256 verified: "
        f"{report.n_already_complete} already complete, {report.n_resumed} resumed, "
        f"{report.bytes_copied / 1e6:.2f} MB copied now"
    )
    console.print("  decrypt with: crypt4gh decrypt --sk YOUR.sec < PART.c4gh > PART", highlight=False)


@app.command("process")
def process(
    thaw: Annotated[bool, typer.Option("--thaw", help="move the cold files waiting requests need to hot")] = False,
    as_user: AsUser = None,
) -> None:
    """Complete waiting requests whose files are hot (stewards); with --thaw, thaw their files first. Also removes
    cached htsget slices older than a day."""
    with state.open() as instance:
        actor = acting(instance, as_user)
        Policy(instance).require(
            actor, Action.MANAGE_STORE, Resource("store", "waiting-requests"), detail={"thaw": thaw}
        )
        finished = process_waiting_requests(instance, thaw=thaw)
        pruned = prune_derived_slices(instance)
    for item in finished:
        _print_state(item)
    console.print(
        f"{len(finished)} waiting request(s) completed; {pruned} cached htsget slice(s) older than a day removed"
    )


@app.command("htsget")
def htsget(
    object_id: Annotated[str, typer.Argument(help="sample key, department sample id, RS- id, or a file's sha256")],
    variants: Annotated[bool, typer.Option("--variants", help="variants (VCF) instead of reads")] = False,
    region: Annotated[str | None, typer.Option("--region", help="CHROM or CHROM:START-END (1-based)")] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="BAM or CRAM (reads), VCF or BCF (variants)")
    ] = None,
    header_only: Annotated[bool, typer.Option("--header-only", help="the header only (class=header)")] = False,
    c4gh: Annotated[
        bool, typer.Option("--c4gh", help="crypt4gh for your registered key (encryptionScheme=C4GH)")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="fetch the blocks and write the data here")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """An htsget 1.3 ticket (JSON), or with --output the data it names."""
    reference_name = start = end = None
    if region:
        if ":" in region:
            interval = parse_interval(region)
            reference_name, start, end = interval.chrom, interval.start_0based, interval.end_0based_exclusive
        else:
            reference_name = region
    with state.open() as instance:
        actor = acting(instance, as_user)
        ticket = htsget_ticket(
            instance,
            actor,
            object_id,
            kind="variants" if variants else "reads",
            reference_name=reference_name,
            start=start,
            end=end,
            format=file_format,
            class_="header" if header_only else None,
            encryption_scheme="C4GH" if c4gh else None,
        )
        if output is None:
            sys.stdout.write(json.dumps(ticket, indent=2) + "\n")
            return
        data = fetch_ticket(instance, actor, ticket)
    output.write_bytes(data)
    console.print(f"[green]✓[/] {len(ticket['htsget']['urls'])} block(s), {len(data):,} bytes → {output}")


@app.command("drs")
def drs(
    object_id: Annotated[str, typer.Argument(help="a stored file's sha256")],
    as_user: AsUser = None,
) -> None:
    """The GA4GH DRS object of a stored file."""
    with state.open() as instance:
        found = drs_object(instance, acting(instance, as_user), object_id)
    sys.stdout.write(json.dumps(found, indent=2) + "\n")


def tier(
    target: Annotated[str, typer.Argument(help="a blob's sha256, or a sample (SMP-… or department id)")],
    cold: Annotated[bool, typer.Option("--cold/--hot", help="move to the cold tier, or back to hot")],
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Move stored files between the hot and cold tiers (stewards); thawing completes waiting requests."""
    with state.open() as instance:
        moved = set_tier(instance, acting(instance, as_user), target, StorageTier.COLD if cold else StorageTier.HOT)
        finished = [] if cold else process_waiting_requests(instance)
    if as_json:
        print_json({"moved": moved, "completed_requests": [f.request_id for f in finished]})
        return
    console.print(f"[green]✓[/] {moved} blob(s) moved to the {'cold' if cold else 'hot'} tier")
    for item in finished:
        _print_state(item)
