"""storage: the integrity ledger (sha256 per stored object and its last scrub)

Revision ID: storage_0001
Revises: 0001
Create Date: 2026-12-06 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "storage_0001"
down_revision = "0001"
branch_labels = ("storage",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_ledger",
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.String(length=400), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_storage_ledger")),
    )
    op.create_index(op.f("ix_storage_ledger_verified_at"), "storage_ledger", ["verified_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_storage_ledger_verified_at"), table_name="storage_ledger")
    op.drop_table("storage_ledger")
