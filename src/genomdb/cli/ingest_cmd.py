"""Commands of data-in: init, submit, manifest, reference."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import RichProgress, console, print_json
from genomdb.ingest.manifest import manifest_json_schema

manifest_app = typer.Typer(help="The submission manifest: its JSON Schema.", no_args_is_help=True)
reference_app = typer.Typer(help="Reference genome FASTA files of the instance.", no_args_is_help=True)


def init() -> None:
    """Create the instance home: catalog, blob store, and secrets (kept outside the catalog, mode 0600)."""
    from genomdb.instance import init_instance

    report = init_instance(state.settings())
    verb = "created" if report.created_home else "checked"
    console.print(f"[green]✓[/] {verb} genomdb instance at [bold]{report.home}[/]")
    if report.created_secrets:
        console.print("  generated the pseudonymisation key and the archive crypt4gh key pair (secrets/, mode 0600)")
    if report.seeded_rows:
        console.print(f"  added {report.seeded_rows} regions and departments")


def submit(
    manifest: Annotated[Path, typer.Argument(help="the manifest (YAML or JSON); file paths are relative to it")],
    corrects: Annotated[
        str | None, typer.Option("--corrects", help="the submission this one corrects (a new version of it)")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why (required with --corrects)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the outcome as JSON")] = False,
    as_user: AsUser = None,
) -> None:
    """Validate a submission and store it; bad input is rejected as a whole with a full report."""
    from genomdb.ingest.workers import start_workers_early

    # first, so that the validation workers' imports run beside this process's own (the catalog's, the access
    # policy's) and the manifest parse, instead of after them
    start_workers_early(state.settings().ingest_workers)
    from genomdb.access.data_in import require_submit
    from genomdb.ingest.manifest import declared_department
    from genomdb.ingest.submit import submit_manifest

    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="submissions")
        named = declared_department(manifest, max_bytes=instance.settings.manifest_max_bytes)
        require_submit(instance, actor, named, corrects=corrects, via="cli")
        outcome = submit_manifest(
            instance, manifest, corrects=corrects, reason=reason, progress=None if as_json else RichProgress()
        )
    if as_json:
        print_json(outcome)
        return
    if outcome.unchanged:
        console.print(
            f"[yellow]=[/] identical content is already stored as {outcome.submission_id} "
            f"version {outcome.version}: nothing changed"
        )
        return
    what = "correction stored as" if corrects else "accepted as"
    console.print(
        f"[green]✓[/] {what} [bold]{outcome.submission_id}[/] version {outcome.version}: "
        f"{outcome.n_samples} sample(s), {outcome.n_files} file(s), {outcome.bytes_stored / 1e6:.1f} MB newly stored"
    )


@manifest_app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write to this file instead of stdout")] = None,
) -> None:
    """Print the JSON Schema that every submission manifest must match."""
    text = json.dumps(manifest_json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
    else:
        sys.stdout.write(text)


@reference_app.command("add")
def reference_add(
    build: Annotated[str, typer.Argument(help="reference build, e.g. GRCh38")],
    fasta: Annotated[Path, typer.Argument(help="bgzip-compressed FASTA with .fai and .gzi beside it")],
) -> None:
    """Register the reference FASTA used to check CRAM M5 tags and to normalise variants."""
    with state.open() as instance:
        target = instance.add_reference(build, fasta)
    console.print(f"[green]✓[/] {build} reference stored at {target}")
