"""variant store: batches, their sample versions, sample QC

Revision ID: variants_0001
Revises: 0001
Create Date: 2026-11-22 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "variants_0001"
down_revision = "0001"
branch_labels = ("variants",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "variant_batches",
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("reference_build", sa.String(length=16), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("n_calls", sa.BigInteger(), nullable=False),
        sa.Column("n_blocks", sa.BigInteger(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_variant_batches")),
    )
    op.create_table(
        "batch_samples",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["variant_batches.batch_id"], name=op.f("fk_batch_samples_batch_id_variant_batches")
        ),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_batch_samples_file_id_files")),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"], name=op.f("fk_batch_samples_sample_id_samples")),
        sa.PrimaryKeyConstraint("sample_id", name=op.f("pk_batch_samples")),
    )
    with op.batch_alter_table("batch_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_samples_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "sample_qc",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("n_calls", sa.BigInteger(), nullable=False),
        sa.Column("n_passing_calls", sa.BigInteger(), nullable=False),
        sa.Column("call_rate", sa.Float(), nullable=True),
        sa.Column("callable_bases", sa.BigInteger(), nullable=False),
        sa.Column("target_bases", sa.BigInteger(), nullable=True),
        sa.Column("callable_fraction", sa.Float(), nullable=True),
        sa.Column("n_snv", sa.BigInteger(), nullable=False),
        sa.Column("n_indel", sa.BigInteger(), nullable=False),
        sa.Column("ti_tv", sa.Float(), nullable=True),
        sa.Column("n_het", sa.BigInteger(), nullable=False),
        sa.Column("n_hom_var", sa.BigInteger(), nullable=False),
        sa.Column("het_hom_ratio", sa.Float(), nullable=True),
        sa.Column("chrx_heterozygosity", sa.Float(), nullable=True),
        sa.Column("chrx_n_calls", sa.Integer(), nullable=False),
        sa.Column("inferred_sex", sa.String(length=8), nullable=False),
        sa.Column("declared_sex", sa.String(length=8), nullable=True),
        sa.Column("ploidy_sex", sa.String(length=8), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["variant_batches.batch_id"], name=op.f("fk_sample_qc_batch_id_variant_batches")
        ),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"], name=op.f("fk_sample_qc_sample_id_samples")),
        sa.PrimaryKeyConstraint("sample_id", name=op.f("pk_sample_qc")),
    )
    with op.batch_alter_table("sample_qc", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_qc_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sample_qc_flagged"), ["flagged"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sample_qc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_qc_flagged"))
        batch_op.drop_index(batch_op.f("ix_sample_qc_batch_id"))
    op.drop_table("sample_qc")
    with op.batch_alter_table("batch_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_samples_batch_id"))
    op.drop_table("batch_samples")
    op.drop_table("variant_batches")
