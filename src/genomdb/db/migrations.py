"""Schema migrations with Alembic, run in-process against an open engine.

Each domain owns a branch of migrations in its own ``migrations/`` folder, rooted at the catalogue's initial revision
(``0001``): ``variants``, ``frequency``, ``classification``, ``access``, … The runner finds those folders by looking
for them (Alembic ``version_locations``), so a new domain adds a folder and nothing here changes. A database is
current when every branch head is applied.

Checking that is on the path of every command, so it avoids Alembic: the applied revisions are read with one query,
and the heads of the installed migration scripts are computed by Alembic once per set of scripts (keyed by their
names, sizes and modification times) and kept in the user's cache directory.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from genomdb.errors import Unavailable

if TYPE_CHECKING:
    from alembic.config import Config
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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    # Alembic splits version_locations on this separator; a path never contains a newline.
    config.set_main_option("path_separator", "newline")
    config.set_main_option("version_locations", "\n".join(str(folder) for folder in domain_migration_folders()))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision of every branch (a no-op when it is there already)."""
    from alembic import command
    from alembic.util import CommandError

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "heads")
        except CommandError as exc:
            unknown = sorted(current_revisions(engine) - _known_revisions())
            if not unknown:
                raise
            raise Unavailable(
                f"the catalog database carries schema revision(s) {', '.join(unknown)} that this genomdb does not "
                "know: it was migrated by a newer genomdb. Install that version (or newer) to open it; nothing was "
                "changed"
            ) from exc


VERSION_TABLE = "alembic_version"


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revisions(engine: Engine) -> set[str]:
    """The revisions applied to the database (Alembic's version table; empty for a new database)."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        return {row[0] for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def _scripts_fingerprint() -> str:
    """Names, sizes and modification times of every migration script: changes whenever the scripts do."""
    digest = hashlib.sha256()
    for folder in domain_migration_folders():
        for path in sorted(folder.glob("*.py")):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "genomdb"


def head_revisions() -> set[str]:
    """The newest revision of every branch of the installed scripts (from the cache when the scripts are unchanged;
    a cache that cannot be read or written is only slower)."""
    cached = _cache_dir() / f"migration-heads-{_scripts_fingerprint()[:32]}.json"
    try:
        return set(json.loads(cached.read_text()))
    except (OSError, ValueError, TypeError):
        pass
    from alembic.script import ScriptDirectory

    heads = sorted(ScriptDirectory.from_config(_config()).get_heads())
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(heads))
        partial.replace(cached)
    except OSError:
        pass
    return set(heads)
