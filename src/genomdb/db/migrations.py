"""Schema migrations with Alembic, run in-process against an open engine.

Each domain owns a branch of migrations in its own ``migrations/`` folder, rooted at the catalogue's initial revision
(``0001``): ``variants``, ``frequency``, ``classification``, ``access``, … The runner finds those folders by looking
for them (Alembic ``version_locations``), so a new domain adds a folder and nothing here changes. A database is
current when every branch head is applied.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_PACKAGE = Path(__file__).resolve().parent.parent
_SCRIPT_LOCATION = Path(__file__).resolve().parent / "alembic"


def domain_migration_folders() -> list[Path]:
    """Every ``genomdb/<domain>/migrations`` folder that holds revisions, in a stable order."""
    return sorted(
        folder
        for folder in _PACKAGE.glob("*/migrations")
        if folder.is_dir() and any(path.suffix == ".py" for path in folder.iterdir())
    )


def load_domain_tables() -> None:
    """Import every domain's ``tables`` module so that the shared metadata knows all tables."""
    for tables in sorted(_PACKAGE.glob("*/tables.py")):
        importlib.import_module(f"genomdb.{tables.parent.name}.tables")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    # Alembic splits version_locations on this separator; a path never contains a newline.
    config.set_main_option("path_separator", "newline")
    config.set_main_option("version_locations", "\n".join(str(folder) for folder in domain_migration_folders()))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision of every branch (a no-op when it is there already)."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())
