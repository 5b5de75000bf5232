"""Commands of the store: gc, verify and scrub."""

from __future__ import annotations

from typing import Annotated

import typer

from genomdb.cli.context import state
from genomdb.cli.output import console
from genomdb.errors import IntegrityError
from genomdb.frequency.publish import collect_unregistered_releases
from genomdb.ingest.uploads import collect_abandoned_uploads
from genomdb.variants.store import collect_unregistered_batches

app = typer.Typer(help="The store: garbage collection and integrity checks.", no_args_is_help=True)


@app.command("gc")
def gc(
    grace: Annotated[
        int | None,
        typer.Option("--grace", help="seconds an unregistered blob is left alone (protects submissions in flight)"),
    ] = None,
) -> None:
    """Remove blobs, variant batches and release folders the catalog does not know (left by crashed runs), and
    uploads never submitted (setting GENOMDB_UPLOAD_MAX_AGE_SECONDS)."""
    with state.open() as instance:
        seconds = instance.settings.gc_grace_seconds if grace is None else grace
        report = instance.blobs.gc(instance.catalog.registered_blobs(), grace_seconds=seconds)
        batches = collect_unregistered_batches(
            instance.settings.resolved_home(), instance.catalog, grace_seconds=seconds, datasets=instance.datasets
        )
        releases = collect_unregistered_releases(instance, grace_seconds=seconds)
        upload_age = instance.settings.upload_max_age_seconds
        uploads = collect_abandoned_uploads(instance, older_than_seconds=upload_age)
    console.print(
        f"removed {report.removed_blobs} unregistered blob(s) ({report.removed_bytes / 1e6:.1f} MB) and "
        f"{report.removed_staging} staging leftover(s); {report.kept_young} younger than {seconds} s kept"
    )
    console.print(
        f"removed {batches.removed_batches} unregistered variant batch(es) and {batches.removed_temporary} "
        f"unfinished one(s); {batches.kept_young} younger than {seconds} s kept"
    )
    console.print(f"removed {len(releases)} unregistered frequency release folder(s)")
    console.print(f"removed {uploads} upload(s) begun more than {upload_age} s ago and never submitted")


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


@app.command("scrub")
def scrub(
    sample: Annotated[
        float,
        typer.Option(
            "--sample", min=0.0001, max=1.0, help="fraction of the objects to re-read, least recently checked first"
        ),
    ] = 1.0,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.01, help="read at most this many MB/s (spares production I/O)")
    ] = None,
) -> None:
    """Re-read stored objects (blobs, batch and release files) and compare each with the ledger's sha256."""
    from genomdb.frequency.publish import release_objects
    from genomdb.storage.scrub import blob_entries
    from genomdb.storage.scrub import scrub as run_scrub
    from genomdb.variants.store import VariantStore

    with state.open() as instance:
        expected = [
            *blob_entries(instance.catalog.registered_blobs()),
            *VariantStore.of(instance).stored_objects(),
            *release_objects(instance),
        ]
        report = run_scrub(instance.db, instance.blobs, instance.datasets, expected, sample=sample, mb_per_second=rate)
    for drift in report.drift:
        console.print(f"[red]✗[/] {drift.name}: {drift.state} — {drift.detail}")
    speed = report.n_bytes / 1e6 / report.seconds if report.seconds > 0 else 0.0
    console.print(
        f"scrubbed {report.n_checked} of {report.n_objects} object(s), {report.n_bytes / 1e6:.1f} MB "
        f"in {report.seconds:.1f} s ({speed:.1f} MB/s); {len(report.drift)} with drift"
    )
    if report.drift:
        raise IntegrityError(f"{len(report.drift)} object(s) drifted from the ledger")


def _register_tier() -> None:
    from genomdb.cli.dataout_cmd import tier

    app.command("tier")(tier)


_register_tier()
