"""storage_tiers: the tier of each stored object and the migration ledger

Revision ID: storage_tiers_0001
Revises: 0001
Create Date: 2026-12-07 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "storage_tiers_0001"
down_revision = "0001"
branch_labels = ("storage_tiers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_object_tiers",
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("file_class", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("storage_class", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("policy_revision", sa.String(length=40), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_storage_object_tiers")),
    )
    op.create_table(
        "storage_migrated_objects",
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target", "name", name=op.f("pk_storage_migrated_objects")),
    )


def downgrade() -> None:
    op.drop_table("storage_migrated_objects")
    op.drop_table("storage_object_tiers")
