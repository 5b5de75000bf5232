"""A submission killed mid-way (SIGKILL) leaves nothing visible, nothing lost and no worker process alive;
`store gc` cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from genomdb.access.records import Role
from genomdb.access.users import add_user, resolve_actor
from genomdb.config import Settings
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters
from tests.ingest import formats_factory as ff
from tests.ingest.submission_kit import make_kit, snapshot
from tests.processes import (
    genomdb_command,
    kill_and_count_survivors,
    needs_proc,
    pool_workers,
    start_in_own_session,
    wait_until,
)

# Each kill point is a function the submission calls once its blobs are in place:
KILL_POINTS = {
    # after every blob was renamed into place, before the catalog transaction starts
    "before_catalog_commit": "genomdb.catalog.repository.Catalog.record_accepted",
    # inside the catalog transaction, after all rows were flushed, before COMMIT
    "inside_catalog_transaction": "genomdb.catalog.repository.SubmissionEventRow",
}


def _run_killed_submission(settings: Settings, manifest: Path, target: str) -> int:
    module, _, name = target.rpartition(".")
    owner, attribute = module, name
    if module.endswith(".Catalog"):
        owner, attribute = module.rpartition(".")[0], f"Catalog.{name}"
    script = textwrap.dedent(
        f"""
        import importlib, os, signal
        from pathlib import Path
        from genomdb.config import Settings
        from genomdb.instance import Instance
        from genomdb.ingest.submit import submit_manifest

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        target = importlib.import_module({owner!r})
        parts = {attribute!r}.split(".")
        holder = target
        for part in parts[:-1]:
            holder = getattr(holder, part)
        setattr(holder, parts[-1], die)
        settings = Settings(home=Path({str(settings.home)!r}), database_url={settings.database_url!r})
        with Instance.open(settings) as instance:
            submit_manifest(instance, Path({str(manifest)!r}))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", script], env=env, check=False, capture_output=True).returncode


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_killed_submission_leaves_no_visible_state(
    instance: Instance, settings: Settings, tmp_path: Path, kill_point: str
) -> None:
    kit = make_kit(tmp_path / "submission")
    before = snapshot(instance)
    returncode = _run_killed_submission(settings, kit.write(), KILL_POINTS[kill_point])
    assert returncode == -signal.SIGKILL

    after_crash = snapshot(instance)
    assert after_crash.counts == before.counts, "the catalog shows nothing of the killed submission"
    assert instance.catalog.search(SearchFilters()) == []
    assert after_crash.blobs - before.blobs, "the blobs were written before the kill"

    report = instance.blobs.gc(instance.catalog.registered_blobs(), grace_seconds=0)
    assert report.removed_blobs == len(after_crash.blobs - before.blobs)
    cleaned = snapshot(instance)
    assert cleaned.blobs == before.blobs and cleaned.staging == ()

    outcome = submit_manifest(instance, kit.manifest)
    assert outcome.status == "accepted" and not outcome.unchanged
    for sample in instance.catalog.search(SearchFilters()):
        for stored in instance.catalog.sample(sample.sample_key).files:
            instance.blobs.verify(stored.sha256)


def test_gc_spares_young_unregistered_blobs_and_registered_ones(instance: Instance, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "submission")
    submit_manifest(instance, kit.write())
    registered = instance.catalog.registered_blobs()
    with instance.blobs.workspace() as workspace:
        stray = tmp_path / "stray.bin"
        stray.write_bytes(b"not registered")
        instance.blobs.commit(instance.blobs.stage(stray, workspace, name="stray.bin"))
    report = instance.blobs.gc(registered, grace_seconds=3600)
    assert (report.removed_blobs, report.kept_young) == (0, 1)
    report = instance.blobs.gc(registered, grace_seconds=0)
    assert report.removed_blobs == 1
    assert {sha for sha, _ in instance.blobs.iter_blobs()} == registered


def _kit_with_many_files(folder: Path, *, n_extra_runs: int, reads: int) -> Path:
    """The small kit plus further paired-FASTQ runs of the child: enough files for validation on all cores."""
    kit = make_kit(folder)
    child = kit.doc["samples"][0]["id"]
    for run in range(2, 2 + n_extra_runs):
        kit.doc["runs"].append({"id": f"run{run}", "sample": child, "platform": "ILLUMINA", "read_type": "short"})
        for mate, other in (("R1", "R2"), ("R2", "R1")):
            path = ff.write_fastq(folder / f"child_{run}_{mate}.fastq.gz", ff.fastq_records(reads, seed=run * 2))
            kit.doc["files"].append(
                {
                    "id": f"{run}{mate}",
                    "path": path.name,
                    "format": "FASTQ",
                    "run": f"run{run}",
                    "mate": f"{run}{other}",
                }
            )
            kit.rehash(f"{run}{mate}")
    return kit.write()


@needs_proc
def test_killed_submission_leaves_no_validating_worker(instance: Instance, settings: Settings, tmp_path: Path) -> None:
    """`kill -9` of `genomdb submit` while worker processes validate its files: none of them survives, and the
    same submission then goes through."""
    manifest = _kit_with_many_files(tmp_path / "submission", n_extra_runs=4, reads=5_000)
    env = {"GENOMDB_DATABASE_URL": settings.database_url} if settings.database_url else {}
    steward = add_user(instance, None, "steve", role=Role.STEWARD, department=None)
    add_user(instance, resolve_actor(instance, steward.username), "sub-rh", role=Role.SUBMITTER, department="RH-KG")
    command = genomdb_command("--home", str(settings.home), "submit", str(manifest), "--as", "sub-rh")
    run = start_in_own_session(command, env=env)
    try:
        wait_until(lambda: len(pool_workers(run.pid)) >= 2, timeout=120, what="submit's validating workers")
    finally:
        survivors = kill_and_count_survivors(run)
    assert run.returncode == -signal.SIGKILL
    assert survivors == [], f"alive 5 s after the parent's SIGKILL: {survivors}"
    assert instance.catalog.search(SearchFilters()) == []

    outcome = submit_manifest(instance, manifest)
    assert outcome.status == "accepted" and outcome.n_files == 13
