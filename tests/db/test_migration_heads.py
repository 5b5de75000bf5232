"""The migration check on every command's path: applied revisions by one query, script heads from a cache that
follows the scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from genomdb.db import migrations
from genomdb.db.engine import create_database


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "genomdb"


def test_heads_equal_alembics_and_come_from_the_cache_the_second_time(cache: Path) -> None:
    expected = set(ScriptDirectory.from_config(migrations._config()).get_heads())
    assert len(expected) >= 5  # one branch per domain
    assert migrations.head_revisions() == expected
    (cached,) = cache.glob("migration-heads-*.json")
    cached.write_text('["only-from-the-cache"]')
    assert migrations.head_revisions() == {"only-from-the-cache"}


def test_a_damaged_cache_is_recomputed(cache: Path) -> None:
    expected = migrations.head_revisions()
    (cached,) = cache.glob("migration-heads-*.json")
    cached.write_text("{not json")
    assert migrations.head_revisions() == expected


def test_changed_scripts_change_the_key(cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = migrations._scripts_fingerprint()
    folder = tmp_path / "extra" / "migrations"
    folder.mkdir(parents=True)
    (folder / "x_0001.py").write_text("revision = 'x'\n")
    real = migrations.domain_migration_folders()
    monkeypatch.setattr(migrations, "domain_migration_folders", lambda: [*real, folder])
    assert migrations._scripts_fingerprint() != before


def test_current_revisions_of_a_new_and_a_migrated_database(tmp_path: Path, cache: Path) -> None:
    db = create_database(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        assert migrations.current_revisions(db.engine) == set()
        assert not db.is_current()
        db.migrate()
        assert migrations.current_revisions(db.engine) == migrations.head_revisions()
        assert db.is_current()
    finally:
        db.close()


def test_a_database_migrated_by_a_newer_genomdb_is_refused_clearly(tmp_path: Path, cache: Path) -> None:
    from sqlalchemy import text

    from genomdb.errors import Unavailable

    db = create_database(f"sqlite:///{tmp_path / 'catalog.db'}")
    try:
        db.migrate()
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('zz_from_the_future')"))
        with pytest.raises(Unavailable, match=r"zz_from_the_future.*migrated by a newer genomdb"):
            db.migrate()
        assert "zz_from_the_future" in migrations.current_revisions(db.engine)
    finally:
        db.close()
