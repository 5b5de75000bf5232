"""pharmacogenetics: stored results per sample version and data version

Revision ID: pgx_0001
Revises: 0001
Create Date: 2026-12-06 22:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "pgx_0001"
down_revision = "0001"
branch_labels = ("pgx",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pgx_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.String(length=64), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"], name=op.f("fk_pgx_results_sample_id_samples")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pgx_results")),
        sa.UniqueConstraint("sample_id", "data_version", name=op.f("uq_pgx_results_sample_id")),
    )
    op.create_index(op.f("ix_pgx_results_sample_id"), "pgx_results", ["sample_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pgx_results_sample_id"), table_name="pgx_results")
    op.drop_table("pgx_results")
