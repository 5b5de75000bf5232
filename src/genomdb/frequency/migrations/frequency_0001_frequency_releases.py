"""frequency database: releases, the sample versions and batches they hold

Revision ID: frequency_0001
Revises: 0001
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "frequency_0001"
down_revision = "0001"
branch_labels = ("frequency",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frequency_releases",
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("n_variants", sa.Integer(), nullable=False),
        sa.Column("n_batches", sa.Integer(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["frequency_releases.release_id"],
            name=op.f("fk_frequency_releases_parent_id_frequency_releases"),
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_frequency_releases")),
        sa.UniqueConstraint("sequence", name=op.f("uq_frequency_releases_sequence")),
    )
    op.create_table(
        "frequency_release_samples",
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["frequency_releases.release_id"],
            name=op.f("fk_frequency_release_samples_release_id_frequency_releases"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_frequency_release_samples_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("release_id", "sample_id", name=op.f("pk_frequency_release_samples")),
    )
    op.create_index(
        op.f("ix_frequency_release_samples_sample_id"), "frequency_release_samples", ["sample_id"], unique=False
    )
    op.create_table(
        "frequency_release_batches",
        sa.Column("release_id", sa.String(length=40), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["frequency_releases.release_id"],
            name=op.f("fk_frequency_release_batches_release_id_frequency_releases"),
        ),
        sa.PrimaryKeyConstraint("release_id", "batch_id", name=op.f("pk_frequency_release_batches")),
    )


def downgrade() -> None:
    op.drop_table("frequency_release_batches")
    op.drop_index(op.f("ix_frequency_release_samples_sample_id"), table_name="frequency_release_samples")
    op.drop_table("frequency_release_samples")
    op.drop_table("frequency_releases")
