"""catalog: a person's "does not want to know" flag (the right not to know, honoured by early detection)

Revision ID: catalog_0002
Revises: 0001
Create Date: 2026-12-07 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "catalog_0002"
down_revision = "0001"
branch_labels = ("catalog",)
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite accepts it with a default): no table rebuild under the foreign keys to persons
    op.add_column(
        "persons", sa.Column("does_not_want_to_know", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("does_not_want_to_know")
