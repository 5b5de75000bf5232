"""Read-only queries on the embedded catalog (SQLite) through the standard library, for the shell's hot paths.

Importing SQLAlchemy costs a shell command about 0.3 s, more than the whole of a frequency look-up. A command that
only *reads* one small thing from an embedded catalog (which release is the newest) asks here first: a read-only
``sqlite3`` connection, used only when the catalog is SQLite and its schema is exactly at this genomdb's heads. In
every other case (PostgreSQL, a catalog to be migrated, one migrated by a newer genomdb, no catalog yet) it answers
None and the caller takes the ordinary path through :class:`genomdb.db.engine.Database`, which migrates or explains.

Queries here read tables that a domain's SQLAlchemy models define; each has a test that compares its answer with
the domain repository's own query on the same catalog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from genomdb.db.migrations import VERSION_TABLE, head_revisions

SQLITE_PREFIX = "sqlite:///"


def sqlite_file(url: str) -> Path | None:
    """The database file of a plain ``sqlite:///PATH`` URL, or None for any other URL (PostgreSQL, in-memory,
    query parameters, another driver)."""
    if not url.startswith(SQLITE_PREFIX) or "?" in url:
        return None
    path = url[len(SQLITE_PREFIX) :]
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def read_only_catalog(url: str) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to an embedded catalog whose schema is current, else None (see the module)."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        yield None
        return
    try:
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30.0)
    except sqlite3.Error:
        yield None
        return
    with closing(connection):
        try:
            applied = {row[0] for row in connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")}
        except sqlite3.Error:
            applied = set()
        yield connection if applied and applied == head_revisions() else None
