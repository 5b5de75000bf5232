"""Schema migrations with Alembic, run in-process against an open engine.

Each domain owns a branch of migrations rooted at the initial catalog revision (``0001``): ``variants``,
``frequency``, ``classification``, … A catalog is current when every branch head is applied.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_MIGRATIONS = Path(__file__).parent / "migrations"
_DOMAIN_VERSIONS = (Path(__file__).parents[1] / "storage" / "migrations",)
"""Branches kept in their domain's own folder (the storage domain's ledger)."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    locations = [_MIGRATIONS / "versions", *_DOMAIN_VERSIONS]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the catalog schema to the newest revision of every branch (a no-op when it is there already)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())
