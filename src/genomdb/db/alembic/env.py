"""Alembic environment: genomdb always passes an open connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from genomdb.db.base import Base
from genomdb.db.migrations import load_domain_tables

load_domain_tables()
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
