"""access: query budgets over days (queries spent per client digest and UTC day)

Revision ID: budget_0001
Revises: 0001
Create Date: 2026-12-06 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "budget_0001"
down_revision = "0001"
branch_labels = ("budget",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_budget_use",
        sa.Column("client_digest", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n_queries", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("client_digest", "day", name=op.f("pk_query_budget_use")),
    )


def downgrade() -> None:
    op.drop_table("query_budget_use")
