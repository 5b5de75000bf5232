"""Commands of the metadata catalogue: search, show, history — person-level reads, through the access policy as the
acting user (``--as USER`` or ``GENOMDB_USER``), exactly as the REST service reads them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import Column, console, print_json, print_listing
from genomdb.model.catalog import SampleSummary, SearchFilters

app = typer.Typer(
    help="Search and inspect the metadata catalogue (as a user: --as USER or GENOMDB_USER).", no_args_is_help=True
)
READS = "person-level reads"


SAMPLE_COLUMNS = [
    Column("sample", identifier=True),
    Column("department sample id", identifier=True, drop_order=4),
    Column("person", identifier=True),
    Column("region", drop_order=3),
    Column("department"),
    Column("platform", drop_order=2),
    Column("formats", drop_order=1),
    Column("build"),
    Column("submission", identifier=True, drop_order=5),
]
"""At 80 columns the submission, the department's own id and the region (the department code starts with it) give
way first; ids are never cut."""


def _sample_rows(samples: list[SampleSummary]) -> list[list[str]]:
    return [
        [
            s.sample_key,
            s.submitter_sample_id,
            s.pseudonym,
            s.region,
            s.department,
            ", ".join(s.platforms) or "–",
            ", ".join(s.formats) or "–",
            ", ".join(s.reference_builds) or "–",
            f"{s.submission_id} v{s.submission_version}",
        ]
        for s in samples
    ]


@app.command("search")
def search(
    region: Annotated[str | None, typer.Option(help="region code, e.g. RH")] = None,
    department: Annotated[str | None, typer.Option(help="department code, e.g. RH-KG")] = None,
    platform: Annotated[str | None, typer.Option(help="ILLUMINA, ONT or PACBIO")] = None,
    read_type: Annotated[str | None, typer.Option("--read-type", help="short or long")] = None,
    file_format: Annotated[str | None, typer.Option("--format", help="FASTQ, BAM, CRAM, VCF or GVCF")] = None,
    build: Annotated[str | None, typer.Option("--build", help="reference build, e.g. GRCh38")] = None,
    since: Annotated[dt.datetime | None, typer.Option(help="submitted on or after (YYYY-MM-DD)")] = None,
    until: Annotated[dt.datetime | None, typer.Option(help="submitted on or before (YYYY-MM-DD)")] = None,
    has_vcf: Annotated[bool | None, typer.Option("--has-vcf/--no-vcf", help="has a VCF/gVCF, or has none")] = None,
    submission: Annotated[str | None, typer.Option(help="only this submission")] = None,
    limit: Annotated[int, typer.Option(help="at most this many samples")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    as_user: AsUser = None,
    as_tsv: Annotated[bool, typer.Option("--tsv", help="print tab-separated values, every column")] = False,
) -> None:
    """List the current samples matching every given filter that you may read (your department's and region's,
    those your grants cover; every catalogue record for a steward). Each decision is in the audit log."""
    from genomdb.access.catalog_reads import search_samples

    filters = SearchFilters(
        region=region,
        department=department,
        platform=platform,
        read_type=read_type,
        file_format=file_format,
        reference_build=build,
        submitted_from=since.date() if since else None,
        submitted_to=until.date() if until else None,
        has_vcf=has_vcf,
        submission_id=submission,
        limit=limit,
    )
    with state.open() as instance:
        samples = search_samples(instance, acting(instance, as_user, needed_for=READS), filters, via="cli")
    if as_json:
        print_json(samples)
        return
    print_listing(SAMPLE_COLUMNS, _sample_rows(samples), as_tsv=as_tsv)
    if as_tsv:
        return
    console.print(f"{len(samples)} sample(s)" + (" (limit reached)" if len(samples) == limit else ""))


@app.command("show")
def show(
    identifier: Annotated[
        str,
        typer.Argument(help="a pseudonym (GDB-…), sample (SMP-… or the department's id) or submission (SUB-…)"),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_user: AsUser = None,
) -> None:
    """Show one person, sample or submission, when the access policy lets you read it."""
    from genomdb.access import catalog_reads

    with state.open() as instance:
        actor = acting(instance, as_user, needed_for=READS)
        if identifier.startswith("GDB-"):
            person, samples = catalog_reads.show_person(instance, actor, identifier, via="cli")
            if as_json:
                print_json({"person": person, "samples": samples})
                return
            console.print(
                f"[bold]{person.pseudonym}[/]  born {person.birth_year or '?'}  declared sex "
                f"{person.declared_sex or '?'}  research opt-out: {'yes' if person.research_opt_out else 'no'}"
            )
            for relation, other in person.relatives:
                console.print(f"  {relation}: {other}")
            print_listing(SAMPLE_COLUMNS, _sample_rows(samples), title="samples")
        elif identifier.startswith("SUB-"):
            submission = catalog_reads.show_submission(instance, actor, identifier, via="cli")
            if as_json:
                print_json(submission)
                return
            console.print(
                f"[bold]{submission.submission_id}[/]  {submission.department}  {submission.status}  "
                f"current version {submission.current_version or '–'}"
            )
            _print_versions(submission)
        else:
            detail = catalog_reads.show_sample(instance, actor, identifier, via="cli")
            if as_json:
                print_json(detail)
                return
            s = detail.summary
            console.print(
                f"[bold]{s.sample_key}[/] ({s.submitter_sample_id})  person {s.pseudonym}  "
                f"{s.department} / {s.region}  tissue {detail.tissue}  submission {s.submission_id} "
                f"v{s.submission_version}"
            )
            for run in detail.runs:
                console.print(
                    f"  run {run.run_ref}: {run.platform} {run.read_type} {run.instrument or ''} {run.library_strategy}"
                )
            for analysis in detail.analyses:
                console.print(
                    f"  analysis {analysis.analysis_ref}: {analysis.pipeline_name} "
                    f"{analysis.pipeline_version} on {analysis.reference_build} → "
                    f"{', '.join(analysis.output_refs)}"
                )
            table = Table(header_style="bold")
            for column in ("file", "format", "size", "sha256", "tier", "encrypted", "index", "path"):
                table.add_column(column)
            for f in detail.files:
                table.add_row(
                    f.file_ref,
                    f.format,
                    f"{f.size:,}",
                    f.sha256[:16] + "…",
                    f.tier,
                    "yes" if f.encrypted else "no",
                    f.index_name or "–",
                    f.original_path or "–",
                )
            console.print(table)


VERSION_COLUMNS = [
    Column("version", justify="right"),
    Column("status"),
    Column("when"),
    Column("samples", justify="right", drop_order=2),
    Column("files", justify="right", drop_order=3),
    Column("reason", drop_order=1),
]
EVENT_COLUMNS = [
    Column("when"),
    Column("version", justify="right"),
    Column("event"),
    Column("detail", drop_order=1),
]


def _print_versions(submission: object) -> None:
    from genomdb.model.catalog import Submission

    assert isinstance(submission, Submission)
    rows = [
        [
            str(v.version),
            v.status,
            v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(v.n_samples),
            str(v.n_files),
            v.reason or "",
        ]
        for v in submission.versions
    ]
    print_listing(VERSION_COLUMNS, rows, title="versions")
    for v in submission.versions:
        for problem in v.report:
            console.print(
                f"  v{v.version} problem: {problem.get('file')}, {problem.get('location') or ''} "
                f"{problem.get('field') or ''}: {problem.get('message')}",
                highlight=False,
            )


@app.command("history")
def history(
    submission_id: Annotated[str, typer.Argument(help="the submission (SUB-…)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_tsv: Annotated[bool, typer.Option("--tsv", help="print the events as tab-separated values")] = False,
    as_user: AsUser = None,
) -> None:
    """Every version and event of a submission, oldest first; nothing is ever removed (its department's
    submitters and data stewards)."""
    from genomdb.access.catalog_reads import show_submission

    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="submission reads")
        submission = show_submission(instance, actor, submission_id, via="cli")
    if as_json:
        print_json(submission)
        return
    events = [
        [
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            str(e.version or ""),
            e.kind,
            ", ".join(f"{k}={v}" for k, v in e.detail.items()),
        ]
        for e in submission.events
    ]
    if as_tsv:
        print_listing(EVENT_COLUMNS, events, as_tsv=True)
        return
    console.print(
        f"[bold]{submission.submission_id}[/]  {submission.department}  current version "
        f"{submission.current_version or '–'}"
    )
    _print_versions(submission)
    print_listing(EVENT_COLUMNS, events, title="events")
