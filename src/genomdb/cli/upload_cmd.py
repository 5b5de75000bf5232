"""``genomdb upload``: send large files to the store ahead of their submission (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import RichProgress, console, print_json


def upload(
    files: Annotated[list[Path], typer.Argument(help="the files to send (FASTQ, CRAM, BAM, VCF, …)", exists=True)],
    as_user: AsUser = None,
    part_mb: Annotated[
        int | None,
        typer.Option("--part-mb", min=5, max=5120, help="part size in MiB (default: 16, larger for huge files)"),
    ] = None,
    parallel: Annotated[
        int, typer.Option("--parallel", min=1, max=16, help="parts in flight at once (memory: about this many parts)")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcomes as JSON")] = False,
) -> None:
    """Send files to the store's upload area for a later submission; a rerun resumes an interrupted upload."""
    from genomdb.ingest.uploads import send_file

    outcomes = []
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="uploads")
        resume_dir = instance.settings.resolved_home() / "resume" / "uploads"
        for path in files:
            outcome = send_file(
                instance,
                actor,
                path,
                resume_dir=resume_dir,
                progress=None if as_json else RichProgress(),
                part_size=part_mb * 1024 * 1024 if part_mb else None,
                concurrency=parallel,
            )
            outcomes.append(outcome)
            if not as_json:
                resumed = (
                    f", {outcome.n_parts_verified} verified from an earlier run" if outcome.n_parts_verified else ""
                )
                console.print(
                    f"[green]✓[/] {outcome.file_name}: {outcome.size / 1e6:,.1f} MB in {outcome.n_parts} part(s) "
                    f"({outcome.n_parts_sent} sent{resumed}) as upload {outcome.upload_id}"
                )
                console.print(f"  sha256 {outcome.sha256}")
    if as_json:
        print_json(outcomes)
        return
    console.print(
        "In the manifest, name each file by its sha256 instead of a path: "
        "[bold]{id: …, format: …, uploaded: true, sha256: …}[/]"
    )
