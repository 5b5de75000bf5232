"""Commands of the blob store: gc and verify."""

from __future__ import annotations

from typing import Annotated

import typer

from genomdb.cli.context import state
from genomdb.cli.output import console
from genomdb.errors import IntegrityError
from genomdb.frequency.publish import collect_unregistered_releases
from genomdb.variants.store import collect_unregistered_batches

app = typer.Typer(help="The blob store: garbage collection and integrity checks.", no_args_is_help=True)


@app.command("gc")
def gc(
    grace: Annotated[
        int | None,
        typer.Option("--grace", help="seconds an unregistered blob is left alone (protects submissions in flight)"),
    ] = None,
) -> None:
    """Remove blobs, variant batches and release folders the catalog does not know (left by crashed runs)."""
    with state.open() as instance:
        seconds = instance.settings.gc_grace_seconds if grace is None else grace
        report = instance.blobs.gc(instance.catalog.registered_blobs(), grace_seconds=seconds)
        batches = collect_unregistered_batches(
            instance.settings.resolved_home(), instance.catalog, grace_seconds=seconds
        )
        releases = collect_unregistered_releases(instance, grace_seconds=seconds)
    console.print(
        f"removed {report.removed_blobs} unregistered blob(s) ({report.removed_bytes / 1e6:.1f} MB) and "
        f"{report.removed_staging} staging leftover(s); {report.kept_young} younger than {seconds} s kept"
    )
    console.print(
        f"removed {batches.removed_batches} unregistered variant batch(es) and {batches.removed_temporary} "
        f"unfinished one(s); {batches.kept_young} younger than {seconds} s kept"
    )
    console.print(f"removed {len(releases)} unregistered frequency release folder(s)")


@app.command("verify")
def verify() -> None:
    """Re-read every registered blob and check it still hashes to its key."""
    with state.open() as instance:
        registered = sorted(instance.catalog.registered_blobs())
        bad = []
        for sha256 in registered:
            try:
                instance.blobs.verify(sha256)
            except IntegrityError as exc:
                bad.append(exc.message)
            except Exception as exc:
                bad.append(f"blob {sha256}: {exc}")
    for line in bad:
        console.print(f"[red]✗[/] {line}")
    console.print(f"verified {len(registered) - len(bad)} of {len(registered)} blob(s)")
    if bad:
        raise IntegrityError(f"{len(bad)} blob(s) failed verification")


def _register_tier() -> None:
    from genomdb.cli.dataout_cmd import tier

    app.command("tier")(tier)


_register_tier()
