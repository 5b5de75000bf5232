"""Commands of harmonisation and sample QC: ``harmonize``, ``qc list``, ``qc show``."""

from __future__ import annotations

from typing import Annotated

import typer

from genomdb.cli.context import AsUser, operating, state
from genomdb.cli.output import Column, RichProgress, console, print_json, print_listing
from genomdb.harmonize.genotypes import GenotypeFilters
from genomdb.harmonize.qc import qc_of_sample, qc_report
from genomdb.harmonize.run import harmonize as run_harmonize
from genomdb.variants.records import SampleQcRecord

qc_app = typer.Typer(
    help="Sample QC of harmonised samples: genetic sex, call rate, Ti/Tv, flags.", no_args_is_help=True
)


def harmonize(
    analysis: Annotated[
        list[str] | None,
        typer.Option("--analysis", help="only this analysis (its id, or SUB-…/id); repeatable"),
    ] = None,
    min_gq: Annotated[int, typer.Option("--min-gq", help="genotype quality a call needs")] = 20,
    min_dp: Annotated[int, typer.Option("--min-dp", help="read depth a call needs")] = 10,
    min_ab: Annotated[float, typer.Option("--min-ab", help="allele balance a heterozygous call needs")] = 0.2,
    workers: Annotated[int, typer.Option(help="threads reading and normalising files (0: one per core)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
    as_user: AsUser = None,
) -> None:
    """Normalise accepted VCF/gVCF files not yet harmonised into one new variant-store batch, with sample QC."""
    filters = GenotypeFilters(min_gq=min_gq, min_dp=min_dp, min_allele_balance=min_ab)
    with state.open() as instance:
        operating(instance, as_user, "harmonize")
        outcome = run_harmonize(
            instance,
            analyses=analysis or None,
            filters=filters,
            progress=None if as_json else RichProgress(),
            workers=workers,
        )
    if as_json:
        print_json(outcome)
        return
    if outcome.nothing_to_do:
        console.print("[yellow]=[/] nothing to harmonise: every current VCF/gVCF sample version is in a batch")
        return
    console.print(
        f"[green]✓[/] batch [bold]{outcome.batch_id}[/]: {outcome.n_samples} sample(s) from {outcome.n_files} "
        f"file(s), {outcome.n_calls:,} calls, {outcome.n_blocks:,} callable blocks ({outcome.seconds:.1f} s)"
    )
    if outcome.flagged:
        console.print(
            f"[yellow]![/] {len(outcome.flagged)} sample(s) flagged by QC: [bold]genomdb qc list --flagged[/]"
        )


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


QC_COLUMNS = [
    Column("sample", identifier=True),
    Column("department sample id", identifier=True, drop_order=9),
    Column("department", drop_order=5),
    Column("sex (inferred / declared)"),
    Column("chrX het", justify="right", drop_order=4),
    Column("call rate", justify="right", drop_order=3),
    Column("callable", justify="right", drop_order=6),
    Column("SNV", justify="right", drop_order=8),
    Column("indel", justify="right", drop_order=7),
    Column("Ti/Tv", justify="right", drop_order=2),
    Column("het/hom", justify="right", drop_order=1),
    Column("flags"),
]
"""Flags are always shown, each whole; the measures give way (least telling first) on narrow terminals."""


def _qc_rows(records: list[SampleQcRecord]) -> list[list[str]]:
    return [
        [
            record.sample_key,
            record.submitter_sample_id,
            record.department,
            f"{record.qc.inferred_sex} / {record.qc.declared_sex or '?'}",
            _number(record.qc.chrx_heterozygosity),
            _number(record.qc.call_rate, 3),
            _number(record.qc.callable_fraction, 3),
            f"{record.qc.n_snv:,}",
            f"{record.qc.n_indel:,}",
            _number(record.qc.ti_tv),
            _number(record.qc.het_hom_ratio),
            ", ".join(record.qc.flags) or "–",
        ]
        for record in records
    ]


@qc_app.command("list")
def qc_list(
    flagged: Annotated[bool, typer.Option("--flagged", help="only samples a steward must look at")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    as_tsv: Annotated[bool, typer.Option("--tsv", help="print tab-separated values, every column")] = False,
) -> None:
    """List the sample QC of current harmonised samples."""
    with state.open() as instance:
        records = qc_report(instance.catalog, flagged_only=flagged)
    if as_json:
        print_json(records)
        return
    print_listing(QC_COLUMNS, _qc_rows(records), as_tsv=as_tsv)
    if as_tsv:
        return
    console.print(f"{len(records)} sample(s)" + (" flagged" if flagged else ""))


@qc_app.command("show")
def qc_show(
    sample: Annotated[str, typer.Argument(help="a sample (SMP-… or the department's own id)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show the QC of every harmonised version of one sample."""
    with state.open() as instance:
        records = qc_of_sample(instance.catalog, sample)
    if as_json:
        print_json(records)
        return
    for record in records:
        qc = record.qc
        state_word = "current" if record.current else "not current"
        console.print(
            f"[bold]{record.sample_key}[/] ({record.submitter_sample_id}, {record.department}) "
            f"version {qc.sample_id}, {state_word}, batch {record.batch_id}"
        )
        sex = f"{qc.inferred_sex} (chrX heterozygosity {_number(qc.chrx_heterozygosity)}, {qc.chrx_n_calls} calls)"
        callable_bases = f"{qc.callable_bases:,}"
        if qc.target_bases:
            callable_bases += f" of {qc.target_bases:,} ({_number(qc.callable_fraction, 3)})"
        rows = (
            ("inferred sex", sex),
            ("declared sex", qc.declared_sex or "unknown"),
            ("sex used for ploidy", qc.ploidy_sex or "unknown"),
            ("calls", f"{qc.n_passing_calls:,} of {qc.n_calls:,} pass (call rate {_number(qc.call_rate, 3)})"),
            ("callable bases", callable_bases),
            ("SNV / indel", f"{qc.n_snv:,} / {qc.n_indel:,}"),
            ("Ti/Tv", _number(qc.ti_tv)),
            ("het / hom-alt", f"{qc.n_het:,} / {qc.n_hom_var:,} ({_number(qc.het_hom_ratio)})"),
            ("flags", ", ".join(qc.flags) or "none"),
        )
        for label, value in rows:
            console.print(f"  {label:<20} {value}")
