"""The ``variants`` migration branch creates exactly the tables the ORM describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from genomdb.db.base import Base
from genomdb.instance import Instance

VARIANT_TABLES = {"variant_batches", "batch_samples", "sample_qc"}


def _tables_of(diff: object) -> set[str]:
    found: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif getattr(item, "name", None) in VARIANT_TABLES and hasattr(item, "columns"):
            found.add(str(item.name))
        elif getattr(getattr(item, "table", None), "name", None) in VARIANT_TABLES:
            found.add(str(item.table.name))  # type: ignore[attr-defined]
        elif isinstance(item, str) and item in VARIANT_TABLES:
            found.add(item)
    return found


def test_the_migration_matches_the_tables(instance: Instance) -> None:
    with instance.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, Base.metadata) if _tables_of(d)]
        assert "variants_0001" in context.get_current_heads()
    assert differences == []
