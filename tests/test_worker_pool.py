"""Process pools whose workers die with their parent: a SIGKILLed parent leaves no worker behind, whether the
workers sleep or are stuck in a C call that holds the GIL, under a fork server and fork, and through the lifeline pipe
alone where PR_SET_PDEATHSIG is not available."""

from __future__ import annotations

import os
import re
import sys
import textwrap
import time
from pathlib import Path

import pytest

from genomdb.worker_pool import worker_pool
from tests.processes import kill_and_count_survivors, needs_proc, pool_workers, start_in_own_session, wait_until

_INITIALISED: list[str] = []


def remember(tag: str) -> None:
    _INITIALISED.append(tag)


def initialised_with(_: int) -> tuple[int, list[str]]:
    return os.getpid(), list(_INITIALISED)


def block_in_c(marker_dir: str) -> None:
    """Mark that the task runs, then backtrack in ``re`` (C code that never releases the GIL) for hours."""
    Path(marker_dir, str(os.getpid())).touch()
    re.match(r"(a+)+$", "a" * 64 + "b")


def sleep_long(marker_dir: str) -> None:
    Path(marker_dir, str(os.getpid())).touch()
    time.sleep(3600)


def test_a_pool_runs_tasks_with_the_initializer_and_leaves_no_process() -> None:
    with worker_pool(2, initializer=remember, initargs=("ready",)) as pool:
        results = list(pool.map(initialised_with, range(6)))
        workers = {pid for pid, _ in results}
    assert {tuple(tags) for _, tags in results} == {("ready",)}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _pool_script(start_method: str, task: str, marker_dir: Path, *, without_pdeathsig: bool) -> str:
    return textwrap.dedent(
        f"""
        import genomdb.worker_pool as pools
        from tests.test_worker_pool import {task}

        if {without_pdeathsig!r}:
            pools._die_with = lambda parent: None  # forked workers inherit this: only the lifeline ties them
        with pools.worker_pool(2, start_method={start_method!r}) as pool:
            for future in [pool.submit({task}, {str(marker_dir)!r}) for _ in range(2)]:
                future.result()
        """
    )


@needs_proc
@pytest.mark.parametrize(
    ("start_method", "task", "without_pdeathsig"),
    [
        ("forkserver", "block_in_c", False),
        ("forkserver", "sleep_long", False),
        ("fork", "block_in_c", False),
        ("fork", "sleep_long", True),
    ],
)
def test_workers_die_with_a_killed_parent(
    tmp_path: Path, start_method: str, task: str, without_pdeathsig: bool
) -> None:
    script = _pool_script(start_method, task, tmp_path, without_pdeathsig=without_pdeathsig)
    parent = start_in_own_session([sys.executable, "-c", script])
    try:
        wait_until(lambda: len(list(tmp_path.iterdir())) == 2, timeout=60, what="both workers to run their task")
        assert len(pool_workers(parent.pid)) == 2
    finally:
        survivors = kill_and_count_survivors(parent)
    assert survivors == [], f"alive 5 s after the parent's SIGKILL: {survivors}"
