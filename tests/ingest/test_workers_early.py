"""`genomdb submit` starts the validation workers' fork server before its own imports: only when there may be
several workers, and the server never outlives the command, whether a pool used it or not."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.processes import needs_proc, session_processes, start_in_own_session, wait_until

SCRIPT = textwrap.dedent(
    """
    import sys
    import multiprocessing.forkserver as forkserver
    from genomdb.ingest.workers import start_workers_early

    start_workers_early(int(sys.argv[1]))
    print(forkserver._forkserver._forkserver_pid, flush=True)
    """
)


def _run(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    process = start_in_own_session([sys.executable, "-c", SCRIPT, str(workers)])
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    return process, out.decode().strip()


def test_one_worker_starts_no_fork_server() -> None:
    _process, pid = _run(1)
    assert pid == "None"


@needs_proc
@pytest.mark.parametrize("workers", [2, 0])
def test_the_early_fork_server_ends_with_the_command(workers: int) -> None:
    if workers == 0 and (os.cpu_count() or 1) < 2:
        pytest.skip("0 workers means one per core, and this machine has one core")
    process, pid = _run(workers)
    assert pid.isdigit(), "a fork server was started"
    # the command has exited without ever using the server: it must not stay behind
    wait_until(lambda: not session_processes(process.pid), timeout=10, what="the fork server to exit")
