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


def demo(
    individuals: Annotated[int, typer.Option("--individuals", "-n", min=3, help="cohort size")] = 200,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same cohort)")] = 42,
    workdir: Annotated[
        Path | None, typer.Option(help="where to write the simulated files [default: HOME/demo-data]")
    ] = None,
) -> None:
    """Simulate a cohort (msprime), write gVCF/VCF/CRAM/FASTQ and manifests, and submit them all."""
    from genomdb.demo.generate import generate_demo
    from genomdb.demo.load import load_demo

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

        cohort = generate_demo(out_dir, n_individuals=individuals, seed=seed, progress=progress)
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
    console.print(
        f"[green]✓[/] demo loaded: {n_current} samples in the catalog at {settings.resolved_home()} "
        f"in {time.perf_counter() - started:.0f} s"
    )
    console.print(
        "next: [bold]genomdb catalog search --has-vcf --region RH[/]  ·  "
        "[bold]genomdb catalog search --platform ONT[/]  ·  [bold]genomdb catalog show SUB-…[/]"
    )
