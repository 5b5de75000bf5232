"""The read-only embedded-catalog path answers only when it can answer exactly as the ordinary path would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from genomdb.config import Settings
from genomdb.db.embedded import read_only_catalog, sqlite_file
from genomdb.instance import init_instance


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////abs/catalog.sqlite", Path("/abs/catalog.sqlite")),
        ("sqlite:///rel/catalog.sqlite", Path("rel/catalog.sqlite")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///x.sqlite?mode=ro", None),
        ("postgresql+psycopg://localhost/test", None),
    ],
)
def test_only_a_plain_sqlite_file_url_is_read_directly(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


def test_a_current_catalog_is_read_and_any_other_is_left_to_the_ordinary_path(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    init_instance(settings)
    url = settings.resolved_database_url()
    with read_only_catalog(url) as connection:
        assert connection is not None
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.execute("DELETE FROM frequency_releases")

    path = sqlite_file(url)
    assert path is not None
    with sqlite3.connect(path) as writer:  # a revision this genomdb does not know: migrated by a newer one
        writer.execute("INSERT INTO alembic_version (version_num) VALUES ('fffffffffff0')")
    with read_only_catalog(url) as connection:
        assert connection is None

    missing = tmp_path / "nothing.sqlite"
    with read_only_catalog(f"sqlite:///{missing}") as connection:
        assert connection is None
    assert not missing.exists()
