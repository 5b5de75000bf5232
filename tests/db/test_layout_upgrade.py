"""An instance written by the layout before every domain owned its persistence opens and upgrades unchanged.

The two dumps were written by genomdb 0fbd678, when ``catalog/`` held every domain's tables, repositories and
migrations. Revision ids did not change when the migrations moved into their domains' folders, so the runner, which
now finds ``genomdb/<domain>/migrations`` by looking, must see those catalogs as current and read them as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from genomdb.access.repository import AccessRepository
from genomdb.config import Settings
from genomdb.db.base import Base
from genomdb.db.migrations import head_revisions, load_domain_tables
from genomdb.instance import Instance, init_instance
from genomdb.model.catalog import SearchFilters

HERE = Path(__file__).parent
OLD_HEADS = {"classification_0001", "frequency_0001", "service_0001", "variants_0001"}
"""What the dumps' ``alembic_version`` holds."""
OLD_COUNTS = {"persons": 2, "samples": 2, "runs": 1, "files": 5, "blobs": 8, "analyses": 2, "submissions": 1}


def _load_sqlite(home: Path) -> Settings:
    home.mkdir(parents=True)
    script = (HERE / "catalog_before_layout.sqlite.sql").read_text()
    with sqlite3.connect(home / "catalog.sqlite") as connection:
        connection.executescript(script)
    return Settings(home=home)


def _load_postgresql(home: Path, url: str) -> Settings:
    import psycopg

    schema = url.rsplit("search_path%3D", 1)[1]
    script = (HERE / "catalog_before_layout.postgresql.sql").read_text().replace("{schema}", f'"{schema}"')
    plain = url.split("?", 1)[0].replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(script.encode())  # one multi-statement script, as pg_dump wrote it
    return Settings(home=home, database_url=url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def old_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    if request.param == "postgresql":
        home.mkdir()
        return _load_postgresql(home, request.getfixturevalue("postgres_url"))
    return _load_sqlite(home)


def test_the_old_revisions_are_todays_heads() -> None:
    """No revision id changed when the migrations moved: the old heads are still revisions the runner finds."""
    assert head_revisions() >= OLD_HEADS, "a moved migration changed its revision id, or a branch was lost"


def test_an_old_catalog_opens_upgrades_and_reads_as_before(old_settings: Settings) -> None:
    init_instance(old_settings)  # secrets for the copied catalog; migrations and seeds add only what is missing
    with Instance.open(old_settings) as instance:
        assert instance.db.is_current()
        counts = instance.catalog.counts()
        assert {name: counts[name] for name in OLD_COUNTS} == OLD_COUNTS
        [listing] = instance.catalog.submissions()
        assert listing.department == "RH-KG" and listing.current_version == 1
        found = instance.catalog.search(SearchFilters(department="RH-KG"))
        assert len(found) == 2 and all(s.pseudonym.startswith("GDB-") for s in found)
        users = {user.username: user for user in AccessRepository(instance.db).users()}
        assert set(users) == {"root", "anna"}
        assert (users["anna"].department, users["anna"].region) == ("RH-KG", "RH")
        load_domain_tables()
        with instance.db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert set(context.get_current_heads()) == head_revisions()
            assert compare_metadata(context, Base.metadata) == []
