"""The database handle: one SQLAlchemy engine (SQLite embedded, or PostgreSQL) and its transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from genomdb.db.migrations import current_revisions, head_revisions, upgrade_to_head
from genomdb.errors import Unavailable


def create_database(url: str) -> Database:
    """Open the database at a SQLAlchemy URL: ``sqlite:///path`` (embedded) or ``postgresql+psycopg://…``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        raise Unavailable(
            f"unsupported catalog URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg://"
        )
    return Database(engine)


class Database:
    """One relational database shared by every domain; behaves the same on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back on any exception."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None

    def migrate(self) -> None:
        """Bring every domain's schema to its newest revision (a no-op when it is there already)."""
        try:
            upgrade_to_head(self.engine)
        except OperationalError as exc:
            raise Unavailable(f"catalog database unavailable: {exc.orig}") from None

    def is_current(self) -> bool:
        return current_revisions(self.engine) == head_revisions()
