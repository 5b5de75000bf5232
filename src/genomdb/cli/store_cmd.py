"""Commands of the store: gc, verify, scrub, tiers (policy and explicit moves), the capacity plan and migration."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from genomdb.cli.context import AsUser, acting, operating, state
from genomdb.cli.output import console, err_console, print_json
from genomdb.errors import IntegrityError, InvalidInput, Problem

if TYPE_CHECKING:
    from genomdb.instance import Instance
from genomdb.frequency.publish import collect_unregistered_releases
from genomdb.ingest.uploads import collect_abandoned_uploads
from genomdb.variants.store import collect_unregistered_batches

app = typer.Typer(
    help="The store: garbage collection, integrity checks, tiers, capacity plan and migration.", no_args_is_help=True
)


@app.command("gc")
def gc(
    grace: Annotated[
        int | None,
        typer.Option("--grace", help="seconds an unregistered blob is left alone (protects submissions in flight)"),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Remove blobs, variant batches and release folders the catalog does not know (left by crashed runs), and
    uploads never submitted (setting GENOMDB_UPLOAD_MAX_AGE_SECONDS)."""
    with state.open() as instance:
        operating(instance, as_user, "store gc")
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
def verify(as_user: AsUser = None) -> None:
    """Re-read every registered blob and check it still hashes to its key."""
    with state.open() as instance:
        operating(instance, as_user, "store verify")
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
    as_user: AsUser = None,
) -> None:
    """Re-read stored objects (blobs, batch and release files) and compare each with the ledger's sha256."""
    from genomdb.frequency.publish import release_objects
    from genomdb.storage.scrub import blob_entries
    from genomdb.storage.scrub import scrub as run_scrub
    from genomdb.variants.store import VariantStore

    with state.open() as instance:
        operating(instance, as_user, "store scrub")
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


def _size(n: float) -> str:
    for unit, factor in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= factor:
            return f"{n / factor:,.2f} {unit}"
    return f"{n:,.0f} B"


@app.command("tier")
def tier(
    target: Annotated[
        str | None,
        typer.Argument(help="move one blob (sha256) or one sample's files (SMP-… or department id) explicitly"),
    ] = None,
    cold: Annotated[
        bool | None, typer.Option("--cold/--hot", help="with a TARGET: move it to the cold tier, or back to hot")
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="move every object the tier policy wants moved")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list what the tier policy would move (the default without TARGET)")
    ] = False,
    lifecycle_json: Annotated[
        bool, typer.Option("--lifecycle-json", help="print the policy as an S3 bucket lifecycle configuration")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="decide as on this date (YYYY-MM-DD): what will have moved by then"),
    ] = None,
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Storage tiers: apply the tier policy (--dry-run, --apply), print it as S3 lifecycle JSON, or move one
    blob or sample explicitly (TARGET --cold/--hot, stewards; thawing completes waiting requests)."""
    if target is not None:
        if cold is None or apply or dry_run or lifecycle_json or as_of:
            raise InvalidInput(
                "cannot move this target",
                [Problem("store tier", "an explicit move takes TARGET with --cold or --hot and nothing else")],
            )
        from genomdb.cli.dataout_cmd import tier as explicit_tier

        explicit_tier(target, cold, as_user, as_json)
        return
    if cold is not None or sum((apply, dry_run, lifecycle_json)) > 1:
        raise InvalidInput(
            "cannot apply the tier policy",
            [Problem("store tier", "choose one of --dry-run, --apply, --lifecycle-json; --cold/--hot need a TARGET")],
        )
    if lifecycle_json:
        _print_lifecycle()
        return
    _apply_policy(apply=apply, as_of=_date(as_of), as_user=as_user, as_json=as_json)


def _date(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "cannot read the date", [Problem("--as-of", "not a date", expected="YYYY-MM-DD", found=text[:40])]
        ) from None
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)


def _print_lifecycle() -> None:
    from genomdb.dataout.tiering import tier_policy
    from genomdb.storage.s3 import parse_s3_url

    with state.open() as instance:
        policy = tier_policy(instance)
        url = instance.blobs.url
    prefix = parse_s3_url(url).prefix if url.startswith("s3://") else ""
    sys.stdout.write(json.dumps(policy.lifecycle(prefix), indent=2) + "\n")
    err_console.print(
        f"lifecycle rules of tier policy {policy.revision}: blobs are matched by their class tag, which "
        "`genomdb store tier --apply` writes; an object in an active referral carries the tag 'held', which no "
        "rule matches (install with `aws s3api put-bucket-lifecycle-configuration` or `s3cmd setlifecycle`)"
    )


def _apply_policy(*, apply: bool, as_of: dt.datetime, as_user: str | None, as_json: bool) -> None:
    from genomdb.dataout.tiering import apply_moves, stored_objects, summary, tier_policy
    from genomdb.storage.repository import object_tiers
    from genomdb.storage.tiers import plan_moves

    with state.open() as instance:
        policy = tier_policy(instance)
        now = as_of
        subjects = stored_objects(instance, policy, now=now)
        tags = {name: placed.tag for name, placed in object_tiers(instance.db).items()}
        changes = plan_moves(policy, subjects, now, tags=tags)
        moves = [m for m in changes if m.moves]
        applied = []
        if apply and changes:
            actor = acting(instance, as_user, needed_for="moving stored objects between tiers")
            applied = [a for a in apply_moves(instance, actor, policy, changes) if a.move.moves]
            subjects = stored_objects(instance, policy, now=now)
        physical = instance.blobs.url.startswith("s3://")
    rows: list[dict[str, Any]] = [
        {
            "name": m.subject.name,
            "class": m.subject.file_class,
            "from": m.subject.current.value,
            "to": m.target.value,
            "storage_class": policy.storage_class(m.target),
            "size": m.subject.size,
        }
        for m in moves
    ]
    if as_json:
        print_json(
            {
                "policy_revision": policy.revision,
                "as_of": now.date().isoformat(),
                "applied": apply,
                "moves": rows,
                "retagged": len(changes) - len(moves),
                "physical": physical,
                "tiers": summary(subjects),
            }
        )
        return
    verb = "moved" if apply else "would move"
    for row in rows:
        console.print(
            f"{verb} {row['name']} ({row['class']}, {_size(row['size'])}) {row['from']} → {row['to']} "
            f"[{row['storage_class']}]"
        )
    how = "copied in place to the storage class" if physical else "recorded (local store: one medium)"
    console.print(
        f"tier policy {policy.revision}: {len(applied) if apply else len(rows)} object(s) {verb}, "
        f"{len(changes) - len(moves)} class tag(s) {'written' if apply else 'to write'}"
        + (f", {how}" if apply and rows else "")
        + ("" if apply or not rows else "; run with --apply to move them")
    )
    for file_class, tiers in sorted(summary(subjects).items()):
        cells = ", ".join(f"{t} {n} object(s) {_size(b)}" for t, (n, b) in sorted(tiers.items()))
        console.print(f"  {file_class}: {cells}")


@app.command("plan")
def plan(
    genomes: Annotated[int, typer.Option("--genomes", min=1, help="genomes to plan for")] = 60000,
    coverage: Annotated[float, typer.Option("--coverage", min=0.1, help="planned sequencing depth (×)")] = 35.0,
    years: Annotated[int, typer.Option("--years", min=1, max=50, help="years over which they arrive")] = 5,
    reference: Annotated[
        str | None, typer.Option("--reference", help="reference build whose length gives the measured depth")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Capacity and cost plan: bytes per tier and per year for N genomes, from this instance's measured sizes and
    the tier policy, with every assumption printed."""
    from genomdb.dataout.tiering import measure, reference_length, tier_policy
    from genomdb.storage.plan import capacity_plan

    with state.open() as instance:
        policy = tier_policy(instance)
        measured = measure(instance, policy, reference_length=reference_length(instance, reference))
    result = capacity_plan(
        policy,
        measured.measures,
        genomes=genomes,
        coverage=coverage,
        years=years,
        measured_coverage=measured.coverage,
        coverage_source=measured.coverage_source,
        referral_share=measured.referral_share,
        referral_source=measured.referral_source,
        n_instance_genomes=measured.n_genomes,
    )
    if as_json:
        print_json(result.to_dict())
        return
    from rich.table import Table

    per_genome = Table(title=f"bytes per genome at {coverage:g}×", show_edge=False)
    per_genome.add_column("class")
    per_genome.add_column("bytes", justify="right")
    for file_class, n in result.per_genome.items():
        per_genome.add_row(file_class, _size(n))
    console.print(per_genome)
    table = Table(title=f"{genomes:,} genomes over {years} year(s)", show_edge=False)
    for column in ("year", "genomes", "hot", "cold", "total", f"cost ({result.currency})"):
        table.add_column(column, justify="right")
    for row in result.rows:
        table.add_row(
            str(row.year),
            f"{row.genomes:,}",
            _size(row.hot_bytes),
            _size(row.cold_bytes),
            _size(row.hot_bytes + row.cold_bytes),
            f"{row.cost:,.0f}",
        )
    console.print(table)
    console.print("assumptions:")
    for line in result.assumptions:
        console.print(f"  • {line}")


@app.command("migrate")
def migrate(
    to: Annotated[
        str | None, typer.Option("--to", help="the new store: s3://bucket/prefix?endpoint=… (credentials from env)")
    ] = None,
    finalise: Annotated[
        bool, typer.Option("--finalise", help="remove the old store once everything is verified at the new one")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="write every object and its check (TSV)")] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.01, help="copy at most this many MB/s (spares production I/O)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable summary")] = False,
) -> None:
    """Copy every blob, batch and release to a new store, read each back against its sha256 (resumable), then
    switch the instance over in one step; --finalise removes the old store afterwards."""
    if (to is None) == (not finalise):
        raise InvalidInput(
            "cannot migrate", [Problem("store migrate", "give --to URL to migrate, or --finalise (not both)")]
        )
    if finalise:
        _finalise(as_json=as_json)
        return
    assert to is not None
    _migrate(to, report=report, rate=rate, as_json=as_json)


def _open_target(instance: Instance, url: str) -> tuple[object, object]:
    from genomdb.storage.blobs import create_blob_store
    from genomdb.storage.datasets import create_dataset_store
    from genomdb.storage.envelope import load_archive_keys

    settings = instance.settings
    blobs = create_blob_store(
        url,
        archive_keys=load_archive_keys(settings.resolved_secrets_dir()),
        credentials=settings.s3_credentials(),
        staging_dir=settings.resolved_home() / "staging",
    )
    datasets = create_dataset_store(url, home=settings.resolved_home(), credentials=settings.s3_credentials())
    return blobs, datasets


def _migrate(to: str, *, report: Path | None, rate: float | None, as_json: bool) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    from genomdb.dataout.tiering import migration_objects, tier_policy
    from genomdb.storage.migrate import migrate as run_migration
    from genomdb.storage.migrate import require_s3_target, switch_store

    with state.open() as instance:
        target_blobs, target_datasets = require_s3_target(*_open_target(instance, to))  # type: ignore[arg-type]
        policy = tier_policy(instance)
        objects = migration_objects(instance, policy)
        total = 2 * sum(o.size for o in objects)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err_console, disable=as_json) as bar:
            task = bar.add_task(f"copy + read back {len(objects)} object(s)", total=total)
            result = run_migration(
                instance.db,
                source_blobs=instance.blobs,
                source_datasets=instance.datasets,
                target_blobs=target_blobs,
                target_datasets=target_datasets,
                objects=objects,
                mb_per_second=rate,
                progress=lambda n: bar.advance(task, n),
            )
            # what was registered while the copy ran is carried too, until nothing new is left
            while not result.failed:
                fresh = [
                    o for o in migration_objects(instance, policy) if o.name not in {c.name for c in result.checks}
                ]
                if not fresh:
                    break
                bar.update(task, total=total + 2 * sum(o.size for o in fresh))
                more = run_migration(
                    instance.db,
                    source_blobs=instance.blobs,
                    source_datasets=instance.datasets,
                    target_blobs=target_blobs,
                    target_datasets=target_datasets,
                    objects=fresh,
                    mb_per_second=rate,
                    progress=lambda n: bar.advance(task, n),
                )
                result.checks += more.checks
                result.bytes_copied += more.bytes_copied
        if not result.failed:
            switch_store(instance.settings.resolved_home(), target=target_blobs.url, previous=instance.blobs.url)
            result.switched = True
    if report is not None:
        result.write_tsv(report)
    counts: dict[str, int] = {}
    for check in result.checks:
        counts[check.outcome] = counts.get(check.outcome, 0) + 1
    if as_json:
        print_json(
            {
                "source": result.source,
                "target": result.target,
                "objects": len(result.checks),
                "outcomes": counts,
                "bytes_copied": result.bytes_copied,
                "switched": result.switched,
                "failed": [{"name": c.name, "detail": c.detail} for c in result.failed],
            }
        )
    else:
        for check in result.failed:
            console.print(f"[red]✗[/] {check.name}: {check.detail}")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        console.print(f"{len(result.checks)} object(s) checked at {result.target}: {summary}")
        if result.switched:
            console.print(
                f"[green]✓[/] every sha256 verified; the instance now uses {result.target}. The old store "
                f"{result.source} is untouched until `genomdb store migrate --finalise`"
            )
    if result.failed:
        raise IntegrityError(
            f"{len(result.failed)} object(s) failed their check; the instance still uses {result.source} "
            "(run the migration again to retry them)"
        )


def _finalise(*, as_json: bool) -> None:
    from genomdb.dataout.tiering import migration_objects, tier_policy
    from genomdb.errors import Unavailable
    from genomdb.storage.migrate import finalise

    with state.open() as instance:
        recorded = instance.settings.recorded_store() or {}
        previous = recorded.get("previous_store_url")
        if not previous:
            raise Unavailable("nothing to finalise: this instance has no migration waiting (no previous store)")
        old_blobs, old_datasets = _open_target(instance, previous)
        done = finalise(
            instance.db,
            instance.settings.resolved_home(),
            old_blobs=old_blobs,  # type: ignore[arg-type]
            old_datasets=old_datasets,  # type: ignore[arg-type]
            expected=migration_objects(instance, tier_policy(instance)),
        )
    if as_json:
        print_json(done)
        return
    console.print(
        f"[green]✓[/] removed the old store {done.previous}: {done.removed_objects} object(s), "
        f"{_size(done.removed_bytes)}"
    )
