"""`kill -9` of `genomdb harmonize` while it reads and normalises files: no process of the run survives (bcftools
runs inside it, DuckDB on its threads), and the next run harmonises everything (issue 11)."""

from __future__ import annotations

from pathlib import Path

from genomdb.config import Settings
from genomdb.demo import DemoCohort
from genomdb.demo.load import load_demo
from genomdb.demo.users import STEWARD, ensure_demo_users
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance, init_instance
from genomdb.variants.store import VariantStore, collect_unregistered_batches
from tests.processes import (
    genomdb_command,
    kill_and_count_survivors,
    needs_proc,
    start_in_own_session,
    wait_until,
)


@needs_proc
def test_killed_harmonize_leaves_no_worker_and_a_restart_succeeds(tmp_path: Path, demo_x: DemoCohort) -> None:
    settings = Settings(home=tmp_path / "home", gc_grace_seconds=0)
    init_instance(settings)
    with Instance.open(settings) as instance:
        load_demo(instance, demo_x)
        ensure_demo_users(instance)
    command = genomdb_command("--home", str(settings.home), "harmonize", "--workers", "2", "--as", STEWARD)
    # chunks of two files: the run's worker processes (a fork server and two workers) are busy when it is killed
    run = start_in_own_session(command, env={"GENOMDB_HARMONIZE_CHUNK_FILES": "2"})
    try:
        wait_until(
            lambda: any((settings.resolved_home() / "variants").glob(".tmp-*/**/chunk-*")),
            timeout=120,
            what="harmonize's workers to stage their first chunk",
        )
    finally:
        survivors = kill_and_count_survivors(run)
    assert run.returncode == -9
    assert survivors == [], f"alive 5 s after the parent's SIGKILL: {survivors}"

    with Instance.open(settings) as instance:
        home = settings.resolved_home()
        assert VariantStore.of(instance).batches() == []
        outcome = harmonize(instance, workers=2)
        assert outcome.n_samples == demo_x.n_samples
        assert [b.batch_id for b in VariantStore.of(instance).batches()] == [outcome.batch_id]
        report = collect_unregistered_batches(home, instance.catalog, grace_seconds=0)
        assert report.removed_temporary == 1, "the killed run's work folder is collected"
        assert not list((home / "variants").glob(".tmp-*"))
