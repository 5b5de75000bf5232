"""Commands of the frequency database: ``genomdb release build|list|show|diff`` and ``genomdb freq``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from genomdb.cli.context import AsUser, acting_or_nobody, operating, state
from genomdb.cli.output import Column, RichProgress, TsvFlag, console, print_json, print_listing
from genomdb.errors import InvalidInput, Problem
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.records import RegionFrequencies, VariantFrequency
from genomdb.instance import Instance

release_app = typer.Typer(help="Build and inspect frequency releases.", no_args_is_help=True)

TierOption = Annotated[
    Tier,
    typer.Option(
        "--tier",
        help="disclosure tier of the answer: public for anyone; registered and controlled for users whose role the "
        "REST service gives that tier (with --as)",
        case_sensitive=False,
    ),
]
ReleaseOption = Annotated[str | None, typer.Option("--release", help="release id [default: the newest]")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


@release_app.command("build")
def build(
    full: Annotated[bool, typer.Option("--full", help="recompute from every batch instead of incrementally")] = False,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads [default: all cores]")] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help="DuckDB memory cap, beyond which it spills to disk; with spark the driver's memory [default: 1GB]",
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="duckdb, or spark (the genomdb spark extra) [default: GENOMDB_ENGINE]"),
    ] = None,
    master: Annotated[
        str | None,
        typer.Option(
            "--master", help="Spark master: local[N], yarn or spark://host:port [default: GENOMDB_SPARK_MASTER]"
        ),
    ] = None,
    as_json: JsonOption = False,
    as_user: AsUser = None,
) -> None:
    """Build the next release from the harmonised batches (incremental on the newest release)."""
    from genomdb.frequency.publish import build_release

    with state.open() as instance:
        operating(instance, as_user, "release build")
        report = build_release(
            instance,
            full=full,
            threads=threads,
            memory_limit=memory_limit,
            engine=engine,
            master=master,
            progress=None if as_json else RichProgress("steps"),
        )
    if as_json:
        print_json(report)
        return
    info = report.release
    console.print(
        f"[green]✓[/] {info.release_id} ({info.mode}{', parent ' + info.parent_id if info.parent_id else ''}): "
        f"{info.n_samples:,} samples, {info.n_variants:,} variants, {len(info.strata)} strata, "
        f"{report.seconds:.1f} s on {report.engine}"
    )
    console.print(
        f"  {report.n_new_batches} new batch(es), +{report.n_added_samples} / -{report.n_removed_samples} samples; "
        "excluded: " + (", ".join(f"{k} {v}" for k, v in report.excluded.items()) or "none")
    )


@release_app.command("list")
def list_releases(as_json: JsonOption = False, as_tsv: TsvFlag = False) -> None:
    """List the registered releases, oldest first."""
    from genomdb.frequency.publish import list_releases as registered

    with state.open() as instance:
        releases = registered(instance)
    if as_json:
        print_json(releases)
        return
    columns = [
        Column("release", identifier=True),
        Column("created"),
        Column("mode"),
        Column("parent", identifier=True),
        Column("samples", justify="right"),
        Column("variants", justify="right"),
        Column("batches", justify="right"),
    ]
    rows = [
        [
            info.release_id,
            f"{info.created_at:%Y-%m-%d %H:%M}",
            info.mode,
            info.parent_id or "–",
            f"{info.n_samples:,}",
            f"{info.n_variants:,}",
            str(info.n_batches),
        ]
        for info in releases
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


@release_app.command("show")
def show(
    release_id: Annotated[str | None, typer.Argument(help="release id [default: the newest]")] = None,
    samples: Annotated[bool, typer.Option("--samples", help="list the sample versions it counts")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a release's manifest: counts, strata, batches and (optionally) its sample versions."""
    from genomdb.frequency.publish import open_release

    with state.open() as instance:
        info, manifest = open_release(instance, release_id)
    document = manifest.document
    if as_json:
        print_json(document if samples else {k: v for k, v in document.items() if k not in ("samples", "excluded")})
        return
    counts = document["counts"]
    console.print(
        f"[bold]{info.release_id}[/]  {document['created']}  {document['mode']}  parent {info.parent_id or '–'}"
    )
    console.print(
        f"  {counts['n_samples']:,} samples counted, {counts.get('n_excluded', 0):,} excluded "
        f"({', '.join(f'{k} {v}' for k, v in counts.get('excluded_by_reason', {}).items()) or 'none'})"
    )
    layers = manifest.coverage_layers
    console.print(
        f"  {counts['n_variants']:,} variants, {counts['n_coverage_runs']:,} callable-AN runs in "
        + ", ".join(f"{layer.name} ({layer.n_runs:,})" for layer in layers)
    )
    console.print(f"  strata: {', '.join(document['strata'])}")
    for batch in document["batches"]:
        console.print(
            f"  batch {batch['batch_id']}: {batch['n_samples']} samples, sha256 {batch['manifest_sha256'][:16]}…"
        )
    if samples:
        for s in document["samples"]:
            console.print(f"  {s['sample_key']} (id {s['sample_id']}) {s['submission_id']} v{s['submission_version']}")


@release_app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="the earlier release id")],
    new: Annotated[str | None, typer.Argument(help="the later release id [default: the newest]")] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare two releases: samples and batches added or removed, variants added, removed or changed."""
    from genomdb.frequency.publish import diff_releases

    with state.open() as instance:
        result = diff_releases(instance, old, new)
    if as_json:
        print_json(result)
        return
    console.print(f"[bold]{result.old} → {result.new}[/]")
    console.print(f"  samples: +{len(result.samples_added)} / -{len(result.samples_removed)}")
    console.print(f"  batches: +{len(result.batches_added)} / -{len(result.batches_removed)}")
    console.print(
        f"  variants: +{result.variants_added:,} / -{result.variants_removed:,}, "
        f"{result.variants_changed:,} with a different AC or AN"
    )
    if result.strata_added or result.strata_removed:
        console.print(f"  strata: +{list(result.strata_added)} / -{list(result.strata_removed)}")


class _LookupByDefault(TyperGroup):
    """``genomdb freq KEY`` means ``genomdb freq lookup KEY``; ``genomdb freq annotate …`` stays a command.

    Its help is the look-up's (the main use), followed by the other commands.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["lookup", *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        lookup = self.commands["lookup"]
        with lookup.make_context(ctx.info_name, [], parent=ctx.parent, resilient_parsing=True) as main_use:
            lookup.format_help(main_use, formatter)
        others = [f"genomdb freq {name}: {c.get_short_help_str(200)}" for name, c in self.commands.items()]
        console.print(
            "[bold]Other commands[/] (see their --help):\n"
            + "\n".join(f"  {line}" for line in others if not line.startswith("genomdb freq lookup")),
            highlight=False,
        )


freq_app = typer.Typer(
    cls=_LookupByDefault,
    help="Allele frequencies: `genomdb freq chr19-11089362-G-A`, `… chr19:11.08M-11.10M`, `… --gene LDLR`.",
    no_args_is_help=True,
)


def _tier(instance: Instance, as_user: str | None, requested: Tier) -> Tier:
    """The tier asked for, when the acting user's role may ask for it (the REST service's table); the public tier
    needs no user."""
    from genomdb.access.tiers import allowed_tier, highest_tier

    actor = acting_or_nobody(instance, as_user)
    return allowed_tier(
        requested,
        highest=highest_tier(actor.role if actor is not None else None),
        actor=actor,
        nobody="a shell user acting as nobody",
        how="act as such a user with --as USER or GENOMDB_USER",
    )


def _number(value: float | int | None, digits: int = 6) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return f"{value:,}"


def _rows(variant: VariantFrequency) -> list[dict[str, Any]]:
    return [
        {
            "variant": variant.key,
            "tier": variant.tier,
            "stratum": s.stratum,
            "status": variant.status.value,
            "ac": s.allele_count,
            "an": s.allele_number,
            "af": s.allele_frequency,
            "nhomalt": s.n_homalt,
            "nhemi": s.n_hemi,
            "faf95": s.faf95,
            "faf99": s.faf99,
        }
        for s in variant.strata
    ]


def _print_tsv(variants: tuple[VariantFrequency, ...] | list[VariantFrequency]) -> None:
    columns = ["variant", "tier", "stratum", "status", "ac", "an", "af", "nhomalt", "nhemi", "faf95", "faf99"]
    sys.stdout.write("\t".join(columns) + "\n")
    for variant in variants:
        for row in _rows(variant):
            sys.stdout.write("\t".join("" if row[c] is None else str(row[c]) for c in columns) + "\n")


def _print_variant(variant: VariantFrequency) -> None:
    console.print(f"[bold]{variant.key}[/]  {variant.release_id}  tier {variant.tier}")
    console.print(f"  {variant.message}")
    if variant.status.value in ("observed", "not_observed"):
        table = Table(header_style="bold")
        for column in ("stratum", "AC", "AN", "AF", "nhomalt", "nhemi", "FAF95", "FAF99"):
            table.add_column(column, justify="left" if column == "stratum" else "right")
        for s in variant.strata:
            table.add_row(
                s.stratum,
                _number(s.allele_count),
                _number(s.allele_number),
                _number(s.allele_frequency, 4),
                _number(s.n_homalt),
                _number(s.n_hemi),
                _number(s.faf95, 3),
                _number(s.faf99, 3),
            )
        console.print(table)


def _print_region(region: RegionFrequencies) -> None:
    title = f"{region.gene.symbol} " if region.gene else ""
    console.print(f"[bold]{title}{region.interval}[/]  {region.release_id}  tier {region.tier}")
    table = Table(header_style="bold")
    for column in ("variant", "AC", "AN", "AF", "nhomalt", "FAF95", "note"):
        table.add_column(column, justify="left" if column in ("variant", "note") else "right")
    for variant in region.variants:
        total = variant.total
        note = "" if variant.status.value == "observed" else variant.status.value.replace("_", " ")
        table.add_row(
            variant.key,
            _number(total.allele_count),
            _number(total.allele_number),
            _number(total.allele_frequency, 4),
            _number(total.n_homalt),
            _number(total.faf95, 3),
            note,
        )
    console.print(table)
    console.print(f"{len(region.variants):,} variant(s) observed in the region")


@freq_app.command("lookup")
def lookup(
    query: Annotated[
        str | None, typer.Argument(help="a variant key (chr19-11089362-G-A) or a region (chr19:11.08M-11.10M)")
    ] = None,
    gene: Annotated[str | None, typer.Option("--gene", help="a gene symbol, e.g. LDLR")] = None,
    tier: TierOption = Tier.PUBLIC,
    release: ReleaseOption = None,
    as_json: JsonOption = False,
    as_tsv: Annotated[bool, typer.Option("--tsv", help="print tab-separated values, one row per stratum")] = False,
    as_user: AsUser = None,
) -> None:
    """Allele frequencies of a variant, a region or a gene, at a disclosure tier.

    Examples: `genomdb freq chr19-11089362-G-A` · `genomdb freq chr19:11.08M-11.10M` · `genomdb freq --gene LDLR
    --tier registered`. Every number printed names its tier.
    """
    from genomdb.frequency.lookup import FrequencyDatabase

    if (query is None) == (gene is None):
        raise InvalidInput(
            "give a variant key or region, or --gene",
            [Problem("genomdb freq", "exactly one query", expected="KEY, REGION or --gene SYMBOL")],
        )
    with state.open() as instance:
        tier = _tier(instance, as_user, tier)
        with FrequencyDatabase(instance, release) as database:
            found = database.lookup_gene(gene, tier) if gene is not None else database.lookup(query or "", tier)
    if as_json:
        print_json(found)
    elif isinstance(found, VariantFrequency):
        _print_tsv([found]) if as_tsv else _print_variant(found)
    else:
        _print_tsv(found.variants) if as_tsv else _print_region(found)


@freq_app.command("annotate")
def annotate(
    source: Annotated[Path, typer.Argument(help="input VCF (.vcf, .vcf.gz or .bcf), normalised")],
    output: Annotated[Path, typer.Option("--output", "-o", help="output VCF; .gz is bgzipped and indexed")],
    tier: TierOption = Tier.PUBLIC,
    release: ReleaseOption = None,
    as_user: AsUser = None,
) -> None:
    """Add GDB_AC, GDB_AN, GDB_AF, GDB_nhomalt and GDB_FAF95 from a release to every record of a VCF."""
    from genomdb.frequency.annotate import annotate_vcf
    from genomdb.frequency.lookup import FrequencyDatabase

    with state.open() as instance:
        tier = _tier(instance, as_user, tier)
        with FrequencyDatabase(instance, release) as database:
            report = annotate_vcf(database, source, output, tier=tier)
    statuses = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(report.by_status.items())) or "none"
    console.print(
        f"[green]✓[/] {report.output}: {report.n_records:,} records, {report.n_alleles:,} alleles ({statuses}) "
        f"from {report.release_id}, tier {report.tier}"
    )
