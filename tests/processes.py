"""Watching a command's whole process tree on Linux: start it in a session of its own, list every live process of
that session from /proc (workers reparented after their parent died stay in it), and SIGKILL the command."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through Linux /proc")


@dataclass(frozen=True)
class LiveProcess:
    pid: int
    ppid: int
    command: str


def session_processes(session_id: int) -> list[LiveProcess]:
    """Every process of a session that is not a zombie."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        state, ppid, session = fields[0], int(fields[1]), int(fields[3])
        if session == session_id and state not in ("Z", "X"):
            found.append(LiveProcess(int(entry.name), ppid, command))
    return found


def start_in_own_session(args: Sequence[str], *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a command as the leader of a new session (its pid is the session id)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    return subprocess.Popen(
        list(args), env=environment, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def genomdb_command(*args: str) -> list[str]:
    """``genomdb ARGS`` run by this interpreter."""
    return [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)


def pool_workers(leader: int) -> list[LiveProcess]:
    """The process-pool workers of the leader's session: children of its fork server, or its forked children."""
    members = session_processes(leader)
    helpers = {p.pid for p in members if p.ppid == leader and "multiprocessing" in p.command}
    return [p for p in members if p.ppid in helpers or (p.ppid == leader and p.pid not in helpers)]


def kill_and_count_survivors(process: subprocess.Popen[bytes], *, grace: float = 5.0) -> list[LiveProcess]:
    """SIGKILL the session leader and return what of its session is still alive after ``grace`` seconds
    (killing those, by pid, so that a failing test leaves nothing behind)."""
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + grace
    survivors = session_processes(process.pid)
    while survivors and time.monotonic() < deadline:
        time.sleep(0.05)
        survivors = session_processes(process.pid)
    for leftover in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.kill(leftover.pid, signal.SIGKILL)
    return survivors
