"""The validation workers' fork server, startable before anything heavy is imported.

Kept apart from :mod:`genomdb.ingest.filecheck` (which imports the validators and NumPy) so that ``genomdb submit``
can start the fork server first thing: its imports then run in their own process while the command imports the
catalog and the access policy and parses the manifest.
"""

from __future__ import annotations

import os

from genomdb.worker_pool import start_fork_server

WORKER_MODULES = ("genomdb.ingest.filecheck",)
"""What the validation workers' fork server imports once (the validators come with it)."""


def start_workers_early(workers: int) -> None:
    """Start the fork server of the validation workers now when there may be more than one worker (``workers``
    as in the ``ingest_workers`` setting: 0 is one per core)."""
    if (workers or os.cpu_count() or 1) > 1:
        start_fork_server(WORKER_MODULES)
