"""ingest: uploads waiting in the store's upload area for their submission

Revision ID: ingest_0001
Revises: 0001
Create Date: 2026-12-07 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ingest_0001"
down_revision = "0001"
branch_labels = ("ingest",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_uploads",
        sa.Column("upload_id", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("part_size", sa.BigInteger(), nullable=False),
        sa.Column("handle", sa.String(length=1024), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("submission_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_ingest_uploads")),
    )
    op.create_index(op.f("ix_ingest_uploads_department_code"), "ingest_uploads", ["department_code"], unique=False)
    op.create_index(op.f("ix_ingest_uploads_sha256"), "ingest_uploads", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_ingest_uploads_sha256"), table_name="ingest_uploads")
    op.drop_index(op.f("ix_ingest_uploads_department_code"), table_name="ingest_uploads")
    op.drop_table("ingest_uploads")
