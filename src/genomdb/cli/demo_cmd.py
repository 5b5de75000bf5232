"""The demo: simulate a realistic cohort and submit it through the real data-in path."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from genomdb.cli.context import state
from genomdb.cli.output import RichProgress, console, err_console
from genomdb.instance import Instance, init_instance
from genomdb.model.catalog import SearchFilters
from genomdb.model.submission import SubmissionOutcome

DEMO_TIER = "registered"
"""The tier of the demo's look-ups (``build_demo_release``'s default): what a registered clinician sees."""

EXCLUSION_WORDS = {
    "not_current": "superseded or withdrawn submission",
    "withdrawn": "withdrawn",
    "research_opt_out": "research opt-out",
    "qc_failed": "failed sample QC",
    "duplicate_person": "second sample of a person (duplicates)",
    "batch_not_in_release": "not harmonised yet",
}


def demo(
    individuals: Annotated[int, typer.Option("--individuals", "-n", min=3, help="cohort size")] = 200,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same cohort)")] = 42,
    workdir: Annotated[
        Path | None, typer.Option(help="where to write the simulated files [default: HOME/demo-data]")
    ] = None,
    data_out: Annotated[
        bool,
        typer.Option("--data-out", help="also show data-out: own-patient slice, refused and granted requests, audit"),
    ] = False,
) -> None:
    """Simulate a cohort, submit it, harmonise it, build a frequency release and load classifications.

    Everything goes through the real paths a department, the steward and a clinician use.
    """
    from genomdb.dataout.demo import run_dataout_demo
    from genomdb.demo.classifications import load_demo_classifications
    from genomdb.demo.generate import generate_demo
    from genomdb.demo.load import load_demo
    from genomdb.demo.pgx_run import run_demo_pgx
    from genomdb.demo.users import ADMIN, STEWARD, clinician_name, ensure_demo_users, submitter_name
    from genomdb.frequency.demo import build_demo_release

    settings = state.settings()
    started = time.perf_counter()
    init_instance(settings)
    out_dir = workdir or settings.resolved_home() / "demo-data"
    console.print(f"simulating {individuals} individuals (msprime, growing population) into {out_dir}")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, object] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

        cohort = generate_demo(out_dir, n_individuals=individuals, seed=seed, progress=progress, sex_chromosomes=True)
    console.print(
        f"  {cohort.n_individuals} individuals, {cohort.n_samples} samples, "
        + ", ".join(f"{name}: {n:,} sites" for name, n in cohort.n_sites.items())
        + f" ({time.perf_counter() - started:.0f} s)"
    )

    def submitted(manifest: Path, outcome: SubmissionOutcome) -> None:
        state_word = "unchanged" if outcome.unchanged else "accepted"
        console.print(
            f"  [green]✓[/] {manifest.parent.name}: {outcome.submission_id} {state_word}, "
            f"{outcome.n_samples} samples, {outcome.n_files} files"
        )

    with Instance.open(settings) as instance:
        load_demo(instance, cohort, progress_factory=RichProgress, on_submitted=submitted)
        n_current = len(instance.catalog.search(SearchFilters(limit=1_000_000)))
        console.print(f"[green]✓[/] {n_current} samples in the catalog ({time.perf_counter() - started:.0f} s)")

        console.print("harmonising, building the frequency release …")
        release = build_demo_release(
            instance,
            example_keys=cohort.example_variant_keys,
            tier=DEMO_TIER,
            progress=lambda step: RichProgress("steps" if step == "release" else "bytes"),
        )
        info = release.release
        console.print(
            f"[green]✓[/] release [bold]{info.release_id}[/]: {info.n_samples} of {cohort.n_samples} samples counted, "
            f"{info.n_variants:,} variants ({time.perf_counter() - started:.0f} s)"
        )
        if release.report is not None:
            reasons = ", ".join(
                f"{EXCLUSION_WORDS.get(reason, reason.replace('_', ' '))}: {n}"
                for reason, n in release.report.excluded.items()
            )
            console.print(f"  not counted — {reasons or 'none'}", highlight=False)
        console.print(
            f"  look-ups at the [bold]{DEMO_TIER}[/] tier (what a clinician sees); AF to 4 significant digits:",
            highlight=False,
        )
        for variant in release.variants:
            total = variant.total
            af = f"{total.allele_frequency:.4g}" if total.allele_frequency is not None else "–"
            console.print(
                f"  {variant.key:28} AC {total.allele_count if total.allele_count is not None else '–':>5}  "
                f"AN {total.allele_number if total.allele_number is not None else '–':>5}  AF {af:>8}  "
                f"[{variant.tier}] {variant.message}",
                highlight=False,
                markup=False,
            )
        console.print(
            f"  LDLR: {len(release.gene.variants):,} variants observed in {release.gene.interval} "
            f"at the {release.gene.tier} tier",
            highlight=False,
        )

        classifications = load_demo_classifications(instance, cohort.example_variant_keys)
        console.print(
            f"[green]✓[/] national variant database: {classifications.n_assertions} assertions "
            f"({classifications.n_versions} versions) from several departments, {classifications.n_conflicts} "
            f"conflict(s), {classifications.n_worklist_entries} recontact worklist entries"
        )
        for scenario, key in classifications.scenarios.items():
            console.print(f"  {scenario:42} {key}", highlight=False)

        users = ensure_demo_users(instance)
        console.print(
            f"[green]✓[/] {len(users)} users to act as (--as USER or GENOMDB_USER): {ADMIN}, {STEWARD}, "
            f"{clinician_name('RH-KG')} and {submitter_name('RH-KG')} (one of each per department) …"
        )

        from genomdb.demo.classifications import classify_planted
        from genomdb.screening.demo import run_screening_demo

        classify_planted(instance, [(p.key, p.gene) for p in cohort.planted_variants])
        console.print(
            "early detection: planted carriers "
            + ", ".join(f"{p.gene} {p.hgvs.split(' ')[0]} ({p.key})" for p in cohort.planted_variants),
            highlight=False,
        )
        clinicians = {d.code: clinician_name(d.code) for d in instance.catalog.departments()}
        for line in run_screening_demo(instance, steward=STEWARD, clinician_of=clinicians):
            console.print(f"  {line}", highlight=False, markup=False)
        pgx = run_demo_pgx(instance, out_dir)
        common = ", ".join(f"{d} {n}" for d, n in pgx.cyp2c19.most_common(5))
        console.print(
            f"[green]✓[/] PGx batch: {pgx.summary.n_called} of {pgx.summary.n_samples} samples called "
            f"(data {pgx.summary.data_version}); CYP2C19: {common}",
            highlight=False,
        )
        if pgx.example is not None:
            console.print(
                f"  example report ({pgx.example_sample}, CYP2C19 {pgx.example_diplotype}, read as "
                f"{clinician_name('RH-KG')}): {pgx.example}",
                highlight=False,
            )

        if data_out:
            console.print("data-out: working copies under the access rules")
            for line in run_dataout_demo(instance):
                console.print(f"  {line}", highlight=False)

    console.print(f"[green]✓[/] demo ready at {settings.resolved_home()} in {time.perf_counter() - started:.0f} s")
    example = cohort.example_variant_keys[0] if cohort.example_variant_keys else "chr19-11089362-G-A"
    console.print(
        f"next: [bold]genomdb freq {example} --tier {DEMO_TIER} --as {clinician_name('RH-KG')}[/] (the numbers above)"
        f"  ·  [bold]genomdb freq {example}[/] (the public tier: whether it was observed, no counts)  ·  "
        f"[bold]genomdb freq --gene LDLR --tier controlled --as {clinician_name('RH-KG')}[/]  ·  "
        f"[bold]genomdb classify conflicts[/]  ·  [bold]genomdb catalog search --platform ONT --as {STEWARD}[/]  ·  "
        f"[bold]genomdb screen cascade --as {clinician_name('RH-KG')}[/]  ·  "
        f"[bold]genomdb pgx show {pgx.example_sample or 'SMP-…'} --as {clinician_name('RH-KG')}[/]  ·  "
        "[bold]genomdb serve[/]",
        highlight=False,
    )
