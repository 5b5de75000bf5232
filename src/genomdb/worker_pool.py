"""Process pools whose workers die with the process that started them.

A plain ``ProcessPoolExecutor`` outlives a parent killed with SIGKILL. Under ``forkserver`` its workers are
children of the fork server, and each holds the write end of the fork server's "alive" pipe (multiprocessing
passes it to every child so that the fork server lives while any client does): the fork server waits for the
workers and the workers wait for work that will never come — issue 11 saw 350 MB still alive 18 minutes after a
``kill -9`` of ``genomdb harmonize``. Every pool in genomdb is made by :func:`worker_pool`, and each of its
workers, as it starts:

1. **closes its copy of the fork server's alive pipe**, so that the pipe's only write end is the main process's
   and the fork server exits as soon as the main process is gone (it watches that pipe for end of file);
2. **asks Linux for PR_SET_PDEATHSIG = SIGKILL** (``prctl`` through ctypes): the kernel kills the worker the
   moment its parent — the fork server, or the main process under ``fork`` — exits. Only the kernel can be that
   prompt: a worker spends most of its life inside one long C call that holds the GIL (pysam's ``bcftools norm``
   of a whole gVCF, minutes on a genome), during which no Python code of the worker runs;
3. **watches a lifeline pipe** whose only write end stays in the main process: a daemon thread blocks reading it
   and ends the worker at the end of file the kernel produces when the main process dies, however it dies. This
   covers systems without ``prctl`` (or a sandbox refusing it) and a Python whose fork server keeps its alive
   pipe elsewhere, at the latest when the worker's current C call returns.

So main → fork server → worker is a chain of kernel events with no polling. Polling the parent's pid was not
chosen as the fallback: it is late by its interval and a reused pid can make a dead parent look alive, while the
pipe's end of file is immediate and exact. The ``spawn`` start method (workers as direct children of the main
process) was measured too: it re-imports genomdb in every worker of every pool, which doubled the time of a
13-file submission on a busy 2-core machine (16 s against 7-8 s), while the fork server imports it once per
process.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Literal

_PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""
_ORPHANED_EXIT_CODE = 70


@contextmanager
def worker_pool(
    max_workers: int,
    *,
    start_method: Literal["forkserver", "fork"] = "forkserver",
    preload: Sequence[str] = (),
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` of ``max_workers`` processes that die with this process.

    ``forkserver`` is the default: the caller may hold threads (DuckDB, progress bars, database pools) whose
    locks a ``fork`` would copy; ``fork`` is for callers without such threads that hand workers large read-only
    state by inheritance. ``preload`` names modules a fork server imports when it starts (once per process);
    ``initializer(*initargs)`` runs in every worker.
    """
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver" and preload:
        context.set_forkserver_preload(list(preload))
    lifeline, held = context.Pipe(duplex=False)
    # A forked worker inherits the write end and must close its copy; a fork server's worker gets only the read end.
    inherited = held if start_method == "fork" else None
    try:
        with ProcessPoolExecutor(
            max_workers=max_workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(lifeline, inherited, initializer, initargs),
        ) as pool:
            yield pool
    finally:
        held.close()
        lifeline.close()


def start_fork_server(preload: Sequence[str]) -> None:
    """Start the fork server now, importing ``preload``, and return at once: the imports run in the fork server's
    own process while the caller goes on (reading its input, importing its own modules), instead of being waited
    for when the first :func:`worker_pool` asks for a worker. Pools made later with the same ``preload`` fork
    their workers from this server; a fork server already running is kept.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    multiprocessing.forkserver.ensure_running()


def _start_worker(
    lifeline: multiprocessing.connection.Connection,
    inherited: multiprocessing.connection.Connection | None,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """Worker initializer: tie the worker to the main process, then run the caller's initializer."""
    if inherited is not None:
        inherited.close()
    _release_fork_server()
    _die_with_parent()
    threading.Thread(target=_watch_lifeline, args=(lifeline,), name="genomdb-lifeline", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _release_fork_server() -> None:
    """Close this worker's copy of the fork server's alive pipe (it starts no processes of its own)."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with contextlib.suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits; exit now if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # refused (a sandbox): the lifeline still holds
    if os.getppid() != parent:
        os._exit(_ORPHANED_EXIT_CODE)  # the parent died before the request took effect


def _watch_lifeline(lifeline: multiprocessing.connection.Connection) -> None:
    """Block until the main process's end of the lifeline closes, then end this worker at once."""
    try:
        while True:
            lifeline.recv_bytes()  # nobody writes; this returns only with end of file
    except (EOFError, OSError):
        pass
    os._exit(_ORPHANED_EXIT_CODE)
