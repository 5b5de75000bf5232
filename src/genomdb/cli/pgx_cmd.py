"""Commands of pharmacogenetics: ``pgx call`` (one person from a VCF/gVCF, no instance needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Pharmacogenetics: diplotypes, phenotypes and CPIC recommendations (PharmCAT semantics).",
    no_args_is_help=True,
)


@app.command("call")
def call(
    vcf: Annotated[Path, typer.Argument(help="VCF or gVCF (GRCh38, chr contig names; .vcf, .vcf.gz, .bcf)")],
    sample: Annotated[str | None, typer.Option("--sample", help="sample column of a multi-sample VCF")] = None,
    outside_calls: Annotated[
        Path | None,
        typer.Option("--outside-calls", help="PharmCAT outside-call TSV (CYP2D6, HLA-A, HLA-B, MT-RNR1, …)"),
    ] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="XX or XY; XY reads chrX (G6PD) as hemizygous")] = None,
    min_block_gq: Annotated[
        int, typer.Option("--min-block-gq", help="GQ a gVCF reference block needs to count as evidence")
    ] = 20,
    match_json: Annotated[
        Path | None, typer.Option("--match-json", help="also write a PharmCAT-comparable .match.json here")
    ] = None,
    all_candidates: Annotated[
        bool, typer.Option("--all-candidates", help="list every plausible diplotype, not only the top-scoring")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data", envvar="GENOMDB_PGX_DATA", help="PGx data directory [default: packaged data]"),
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="also write the one-page HTML report here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Call one person's pharmacogenes from a file: diplotypes, phenotypes, drug recommendations."""
    from genomdb.cli.output import console
    from genomdb.errors import InvalidInput, Problem
    from genomdb.pgx.calling import PgxCaller
    from genomdb.pgx.outside_calls import parse_outside_calls
    from genomdb.pgx.report import comparison_to_json, result_to_match_json
    from genomdb.pgx.vcf import read_vcf_evidence

    if sex not in (None, "XX", "XY"):
        raise InvalidInput("--sex must be XX or XY", [Problem("--sex", "unknown value", expected="XX or XY")])
    caller = PgxCaller.load(data_dir)
    outside = parse_outside_calls(outside_calls, known_genes=caller.known_genes) if outside_calls else None
    evidence = read_vcf_evidence(
        vcf,
        data=caller.data,
        sample=sample,
        sex=sex,  # type: ignore[arg-type]
        min_block_gq=min_block_gq,
    )
    comparison = caller.call_person_both(evidence, outside_calls=outside, top_candidates_only=not all_candidates)
    result = comparison.with_callable_blocks
    if match_json is not None:
        chromosomes = {gene: model.chromosome for gene, model in caller.models.items()}
        match_json.write_text(json.dumps(result_to_match_json(result, chromosomes=chromosomes), indent=2) + "\n")
    if html is not None:
        from genomdb.pgx.html_report import report_document

        html.write_text(report_document(comparison_to_json(comparison)), encoding="utf-8")
    if as_json:
        from genomdb.cli.output import print_json

        print_json(comparison_to_json(comparison))
        return
    _print_human(console, comparison)


def _print_human(console: object, comparison: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from genomdb.pgx.calling import PgxComparison

    assert isinstance(console, Console)
    assert isinstance(comparison, PgxComparison)
    result = comparison.with_callable_blocks
    table = Table(title=f"PGx — {result.sample_label} (data {result.data_version})")
    for column in ("gene", "diplotype(s)", "phenotype", "activity score", "missing positions", "source"):
        table.add_column(column)
    for gene in result.genes:
        if gene.diplotypes:
            diplotypes = " or ".join(gene.diplotypes)
        elif gene.call is not None and gene.call.haplotype_matches:
            diplotypes = "variants: " + ", ".join(gene.call.haplotype_matches)
        else:
            diplotypes = "[yellow]not called[/]"
        table.add_row(
            gene.gene,
            diplotypes,
            gene.phenotype or "–",
            gene.activity_score or "–",
            str(len(gene.missing_positions)),
            gene.source,
        )
    console.print(table)
    for difference in comparison.differences:
        console.print(
            f"[cyan]{difference.gene}[/]: from the VCF alone: "
            f"{' or '.join(difference.from_records_alone) or 'not called'} "
            f"({difference.phenotype_from_records_alone or '–'}) / with callable blocks: "
            f"{' or '.join(difference.with_callable_blocks) or 'not called'} "
            f"({difference.phenotype_with_callable_blocks or '–'})"
        )
    n_rec = sum(r.status == "recommendation" for r in result.recommendations)
    console.print(
        f"{n_rec} drug recommendation(s) of {len(result.recommendations)} drugs involving these genes; "
        "use --json for the texts and guideline links"
    )
    for warning in result.warnings:
        console.print(f"[yellow]![/] {warning}")


@app.command("run")
def run(
    keys: Annotated[
        list[str] | None, typer.Argument(help="samples (SMP-… or the department's id) or persons (GDB-…)")
    ] = None,
    run_all: Annotated[bool, typer.Option("--all", help="every current harmonised sample")] = False,
    min_block_gq: Annotated[
        int, typer.Option("--min-block-gq", help="GQ a callable reference block needs to count as evidence")
    ] = 20,
    workers: Annotated[int, typer.Option("--workers", min=0, help="processes calling persons (0: one per core)")] = 0,
    redo: Annotated[bool, typer.Option("--redo", help="call again even samples whose inputs did not change")] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", envvar="GENOMDB_USER", help="act as this user (a data steward)", show_default=False),
    ] = None,
) -> None:
    """Call persons already in the instance from the variant store (calls + callable blocks) and store the results.

    Resumable: a sample is redone only when its variant-store batch or the PGx data version changed."""
    from genomdb.cli.context import operating, state
    from genomdb.cli.output import RichProgress, console
    from genomdb.errors import InvalidInput, Problem
    from genomdb.pgx.runs import run_pgx

    if not keys and not run_all:
        raise InvalidInput(
            "nothing to run", [Problem("pgx run", "no sample chosen", expected="KEY… or --all", found="neither")]
        )
    with state.open() as instance:
        operating(instance, as_user, "pgx run")
        summary = run_pgx(
            instance,
            keys=None if run_all else keys,
            min_block_gq=min_block_gq,
            progress=RichProgress("steps"),
            workers=workers or os.cpu_count() or 1,
            redo=redo,
        )
    console.print(
        f"[green]✓[/] PGx data {summary.data_version}: {summary.n_samples} sample(s), {summary.n_called} called, "
        f"{summary.n_unchanged} unchanged; callable blocks changed a call for {summary.n_differing}"
    )


@app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="a sample (SMP-… or the department's id) or a person (GDB-…)")],
    as_user: Annotated[
        str | None, typer.Option("--as", envvar="GENOMDB_USER", help="act as this user", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the stored reports as JSON")] = False,
) -> None:
    """Stored PGx results of a sample or person, through the access policy (every read audited)."""
    from genomdb.access.users import resolve_actor
    from genomdb.cli.context import state
    from genomdb.cli.output import console
    from genomdb.pgx.runs import pgx_reports

    with state.open() as instance:
        reports = pgx_reports(instance, resolve_actor(instance, as_user), key)
    if as_json:
        typer.echo(json.dumps(reports, indent=2, default=str))
        return
    if not reports:
        console.print(f"no stored PGx result for {key}: run `genomdb pgx run {key}`")
        return
    for report in reports:
        console.print(f"[bold]{report.get('sample')}[/]  PGx data {report['data_version']}  ({report['created_at']})")
        for gene in report["genes"]:
            if gene.get("diplotypes"):
                console.print(
                    f"  {gene['gene']:<8} {' or '.join(gene['diplotypes'])}  {gene.get('phenotype') or '–'}",
                    highlight=False,
                )
        for difference in report.get("differences_from_callable_blocks", []):
            console.print(
                f"  [yellow]{difference['gene']}: from the records alone {difference['from_records_alone']}, "
                f"with callable blocks {difference['with_callable_blocks']}[/]",
                highlight=False,
            )


@app.command("report")
def report(
    key: Annotated[str, typer.Argument(help="a sample (SMP-… or the department's id) or a person (GDB-…)")],
    html: Annotated[Path | None, typer.Option("--html", help="write the one-page HTML report here")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the JSON report (schema 1) here")] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", envvar="GENOMDB_USER", help="act as this user", show_default=False)
    ] = None,
) -> None:
    """Write a person's stored PGx report as one-page HTML and/or JSON, through the access policy (audited)."""
    from genomdb.access.users import resolve_actor
    from genomdb.cli.context import state
    from genomdb.cli.output import console
    from genomdb.errors import InvalidInput, Problem
    from genomdb.pgx.html_report import report_document
    from genomdb.pgx.runs import pgx_report

    if html is None and json_out is None:
        raise InvalidInput(
            "nothing to write", [Problem("pgx report", "no output chosen", expected="--html FILE and/or --json FILE")]
        )
    with state.open() as instance:
        found = pgx_report(instance, resolve_actor(instance, as_user), key)
    if html is not None:
        html.write_text(report_document(found, person=found.get("person")), encoding="utf-8")
        console.print(f"[green]✓[/] HTML report of {found.get('sample')} written to {html}", highlight=False)
    if json_out is not None:
        json_out.write_text(json.dumps(found, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"[green]✓[/] JSON report of {found.get('sample')} written to {json_out}", highlight=False)
