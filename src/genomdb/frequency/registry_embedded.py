"""The release registry read from an embedded catalog with the standard library (see :mod:`genomdb.db.embedded`).

The same answers as :func:`genomdb.frequency.repository.frequency_release`, from the same table
(:class:`genomdb.frequency.tables.FrequencyReleaseRow`); ``tests/frequency/test_registry_embedded.py`` compares them.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from genomdb.errors import NotFound
from genomdb.frequency.records import ReleaseInfo

_COLUMNS = (
    "release_id, sequence, parent_id, created_at, path, manifest_sha256, mode, n_samples, n_variants, n_batches, strata"
)


def registered_release(connection: sqlite3.Connection, release_id: str | None, *, home: Path) -> ReleaseInfo:
    """A release by id, or the newest one when ``release_id`` is None; NotFound when there is none."""
    if release_id is None:
        row = connection.execute(f"SELECT {_COLUMNS} FROM frequency_releases ORDER BY sequence DESC LIMIT 1").fetchone()
        if row is None:
            raise NotFound("no frequency release yet: build one with `genomdb release build`")
    else:
        row = connection.execute(
            f"SELECT {_COLUMNS} FROM frequency_releases WHERE release_id = ?",
            (release_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no frequency release {release_id}")
    rid, sequence, parent, created, path, sha, mode, n_samples, n_variants, n_batches, strata = row
    moment = dt.datetime.fromisoformat(created)
    return ReleaseInfo(
        release_id=rid,
        sequence=int(sequence),
        parent_id=parent,
        created_at=moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC),
        path=home / path,
        manifest_sha256=sha,
        mode=mode,
        n_samples=int(n_samples),
        n_variants=int(n_variants),
        n_batches=int(n_batches),
        strata=tuple(json.loads(strata)),
    )
