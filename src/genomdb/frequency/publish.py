"""Publishing releases into an instance: ids, atomic folders, catalog registration, listing and diffs.

Layout under the instance home::

    frequency/releases/<release_id>/     variants.parquet, coverage.parquet (+ .arrow twins), manifest.json
    frequency/releases/.tmp-<uuid>/      a release being written; renamed into place when complete
    frequency/partials/<batch_id>/<digest>/   per-batch partial aggregates (cells), reused by later releases
    frequency/work/                      DuckDB spill space

A release folder exists for readers only once the catalog transaction registering it has committed: the
folder is renamed into place first and removed again if registration fails. Folders without a catalog row are
leftovers of a crash, ignored by every reader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from genomdb.errors import Conflict, InvalidInput, NotFound, Problem
from genomdb.frequency.aggregate import quote
from genomdb.frequency.inputs import harmonised_inputs
from genomdb.frequency.manifest import MANIFEST_NAME, write_manifest
from genomdb.frequency.records import BatchSource, BuildReport, CohortMember, ReleaseInfo
from genomdb.frequency.registered import FREQUENCY_DIR, RELEASES_DIR, open_release, release_name
from genomdb.frequency.release import (
    PreviousRelease,
    assemble_release,
    fsync_tree,
    plan_release,
    release_document,
)
from genomdb.frequency.repository import (
    frequency_releases,
    next_release_sequence,
    register_release,
)
from genomdb.frequency.strata import stratum_slug
from genomdb.ingest.progress import ProgressSink
from genomdb.instance import Instance
from genomdb.storage.repository import LedgerEntry
from genomdb.variants.engine import check_engine

PARTIALS_DIR = "partials"
WORK_DIR = "work"

__all__ = [
    "FREQUENCY_DIR",
    "RELEASES_DIR",
    "build_release",
    "diff_releases",
    "list_releases",
    "open_release",
    "release_name",
]

ReleaseInputs = Callable[[Instance], tuple[list[BatchSource], list[CohortMember]]]


def frequency_home(instance: Instance) -> Path:
    return instance.settings.resolved_home() / FREQUENCY_DIR


def release_id_for(created: dt.datetime, sequence: int) -> str:
    """``GDB-FREQ-<year>-<month>-R<sequence>``: the month it was built and its place in the series."""
    return f"GDB-FREQ-{created:%Y-%m}-R{sequence}"


def build_release(
    instance: Instance,
    *,
    full: bool = False,
    inputs: ReleaseInputs = harmonised_inputs,
    now: dt.datetime | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    engine: str | None = None,
    master: str | None = None,
    progress: ProgressSink | None = None,
) -> BuildReport:
    """Build the next release from the registered batches and cohort, register it, and describe what happened.

    Incremental on top of the newest release unless ``full``; Conflict when nothing changed since it. ``engine``
    and ``master`` default to the instance settings (``GENOMDB_ENGINE``, ``GENOMDB_SPARK_MASTER``).
    """
    engine = engine or instance.settings.engine
    master = master or instance.settings.spark_master
    check_engine(engine, master=master)
    created = now or dt.datetime.now(dt.UTC)
    home = instance.settings.resolved_home()
    root = frequency_home(instance)
    batches, cohort = inputs(instance)
    if not batches:
        raise Conflict("no harmonised batches yet: run `genomdb harmonize` first")
    releases = frequency_releases(instance.db, home=home)
    if releases:
        instance.datasets.materialise(release_name(releases[-1].release_id), releases[-1].path)
    previous = PreviousRelease.open(releases[-1].path) if releases else None
    if previous is not None:
        open_release(instance, previous.manifest.release_id)
    plan = plan_release(batches, cohort, previous, full=full)
    if plan.is_unchanged and previous is not None:
        raise Conflict(f"nothing changed since {previous.manifest.release_id}: no new batch, no sample joined or left")
    if not plan.included:
        raise Conflict("no sample version qualifies for a release (see `genomdb release build --help`)")
    sequence = next_release_sequence(instance.db)
    release_id = release_id_for(created, sequence)
    releases_dir = root / RELEASES_DIR
    releases_dir.mkdir(parents=True, exist_ok=True)
    scratch = releases_dir / f".tmp-{uuid.uuid4().hex}"
    target = releases_dir / release_id
    if target.exists():
        raise Conflict(f"release folder {target} exists without a catalog row: remove it (a crashed build)")
    try:
        assembled = assemble_release(
            plan,
            out_dir=scratch,
            partials_dir=root / PARTIALS_DIR,
            work_dir=root / WORK_DIR,
            threads=threads,
            memory_limit=memory_limit,
            engine=engine,
            master=master,
            progress=progress,
        )
        document = release_document(plan, assembled, release_id=release_id, created=created)
        manifest_sha256 = write_manifest(scratch, document)
        fsync_tree(scratch)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    info = ReleaseInfo(
        release_id=release_id,
        sequence=sequence,
        parent_id=previous.manifest.release_id if previous else None,
        created_at=created,
        path=target,
        manifest_sha256=manifest_sha256,
        mode="full" if full else "incremental",
        n_samples=len(plan.included),
        n_variants=assembled.tables.n_variants,
        n_batches=len(plan.batches),
        strata=plan.strata,
    )
    try:
        instance.datasets.publish(target, release_name(release_id))  # objects first, the catalog row second
        register_release(
            instance.db,
            info,
            home=home,
            sample_ids=[s.sample_id for s in plan.included],
            batches=[(b.batch_id, b.manifest_sha256) for b in plan.batches],
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return BuildReport(
        release=info,
        n_new_batches=len(plan.new_batches),
        n_added_samples=plan.n_added,
        n_removed_samples=plan.n_removed,
        excluded=plan.decision.excluded_counts(),
        seconds=assembled.seconds,
        engine=" ".join(
            [assembled.engine["name"], *(f"({m})" for m in [assembled.engine.get("master")] if m is not None)]
        ),
    )


def list_releases(instance: Instance) -> list[ReleaseInfo]:
    """Every registered release, oldest first."""
    return frequency_releases(instance.db, home=instance.settings.resolved_home())


@dataclass(frozen=True, slots=True)
class ReleaseDiff:
    """How a release differs from another: samples, batches and variants."""

    old: str
    new: str
    samples_added: tuple[int, ...]
    samples_removed: tuple[int, ...]
    batches_added: tuple[str, ...]
    batches_removed: tuple[str, ...]
    variants_added: int
    variants_removed: int
    variants_changed: int
    """Variants in both whose total AC or AN differs."""
    strata_added: tuple[str, ...]
    strata_removed: tuple[str, ...]


def diff_releases(instance: Instance, old_id: str, new_id: str | None = None) -> ReleaseDiff:
    """Compare two registered releases (``new_id`` defaults to the newest)."""
    old_info, old = open_release(instance, old_id)
    new_info, new = open_release(instance, new_id)
    if old_info.release_id == new_info.release_id:
        raise InvalidInput(
            "a release compared with itself", [Problem("release diff", "same release twice", found=old_id)]
        )
    old_samples = {s.sample_id for s in old.samples}
    new_samples = {s.sample_id for s in new.samples}
    old_batches, new_batches = old.batch_checksums, new.batch_checksums
    total = stratum_slug("all")
    sql = f"""
        SELECT count(*) FILTER (WHERE o.chrom IS NULL),
               count(*) FILTER (WHERE n.chrom IS NULL),
               count(*) FILTER (WHERE o.chrom IS NOT NULL AND n.chrom IS NOT NULL
                                AND (o.ac_{total} <> n.ac_{total} OR o.an_{total} <> n.an_{total}))
        FROM read_parquet({quote(str(old_info.path / "variants.parquet"))}) AS o
        FULL OUTER JOIN read_parquet({quote(str(new_info.path / "variants.parquet"))}) AS n
          ON o.chrom = n.chrom AND o.pos = n.pos AND o.ref = n.ref AND o.alt = n.alt
    """
    con = duckdb.connect(":memory:")
    try:
        added, removed, changed = con.execute(sql).fetchall()[0]
    finally:
        con.close()
    return ReleaseDiff(
        old=old_info.release_id,
        new=new_info.release_id,
        samples_added=tuple(sorted(new_samples - old_samples)),
        samples_removed=tuple(sorted(old_samples - new_samples)),
        batches_added=tuple(sorted(set(new_batches) - set(old_batches))),
        batches_removed=tuple(sorted(set(old_batches) - set(new_batches))),
        variants_added=int(added),
        variants_removed=int(removed),
        variants_changed=int(changed),
        strata_added=tuple(s for s in new.strata if s not in old.strata),
        strata_removed=tuple(s for s in old.strata if s not in new.strata),
    )


def release_objects(instance: Instance) -> list[LedgerEntry]:
    """What the integrity ledger holds for the registered releases: each ``manifest.json`` with the catalog's
    sha256, and each file with the sha256 its (matching) manifest lists."""
    entries: list[LedgerEntry] = []
    for info in list_releases(instance):
        name = release_name(info.release_id)
        manifest_name = f"{name}/{MANIFEST_NAME}"
        entries.append(LedgerEntry(manifest_name, "release", info.manifest_sha256))
        try:
            with instance.datasets.open_file(manifest_name) as handle:
                data = handle.read()
        except NotFound:
            continue
        if hashlib.sha256(data).hexdigest() != info.manifest_sha256:
            continue
        for file_name, sha256 in sorted(json.loads(data)["files"].items()):
            entries.append(LedgerEntry(f"{name}/{file_name}", "release", sha256))
    return entries


def collect_unregistered_releases(instance: Instance, *, grace_seconds: float | None = None) -> list[Path]:
    """Remove release folders no catalog row names (crashed builds), older than the grace period; list them.

    On an S3 store their objects are removed too (listed as ``s3:`` names)."""
    grace = instance.settings.gc_grace_seconds if grace_seconds is None else grace_seconds
    registered = {info.path.name for info in list_releases(instance)}
    remote = [
        Path(f"s3:{name}")
        for name in instance.datasets.collect(f"{FREQUENCY_DIR}/{RELEASES_DIR}", registered, grace_seconds=grace)
    ]
    releases_dir = frequency_home(instance) / RELEASES_DIR
    if not releases_dir.is_dir():
        return remote
    now = time.time()
    removed = []
    for folder in sorted(releases_dir.iterdir()):
        if folder.name in registered or not folder.is_dir() or now - folder.stat().st_mtime < grace:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return remote + removed
