"""screening: programme policies, runs and findings, cascade worklists, clinic capacity and referrals

Revision ID: screening_0001
Revises: 0001
Create Date: 2026-12-07 00:45:00.000000
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "screening_0001"
down_revision = "0001"
branch_labels = ("screening",)
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "screening_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        _when("loaded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_policies")),
        sa.UniqueConstraint("programme", "policy_version", name=op.f("uq_screening_policies_programme")),
    )
    op.create_index(op.f("ix_screening_policies_programme"), "screening_policies", ["programme"])
    op.create_table(
        "screening_runs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        _when("as_of", nullable=True),
        sa.Column("cohort", sa.JSON(), nullable=False),
        sa.Column("release_id", sa.String(length=80), nullable=True),
        sa.Column("classification_versions", sa.JSON(), nullable=False),
        sa.Column("flagged_variants", sa.JSON(), nullable=False),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("n_reported", sa.Integer(), nullable=False),
        sa.Column("n_flagged", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_screening_runs")),
    )
    op.create_index(op.f("ix_screening_runs_programme"), "screening_runs", ["programme"])
    op.create_table(
        "screening_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("sample_key", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("gene", sa.String(length=20), nullable=False),
        sa.Column("risk_class", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["screening_runs.run_id"], name=op.f("fk_screening_findings_run_id_screening_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_findings")),
    )
    op.create_index(op.f("ix_screening_findings_run_id"), "screening_findings", ["run_id"])
    op.create_index(op.f("ix_screening_findings_pseudonym"), "screening_findings", ["pseudonym"])
    op.create_table(
        "screening_relatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("index_pseudonym", sa.String(length=40), nullable=False),
        sa.Column("relative_pseudonym", sa.String(length=40), nullable=False),
        sa.Column("gene", sa.String(length=20), nullable=False),
        sa.Column("variant_keys", sa.JSON(), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("degree", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_relatives")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_screening_relatives_entry_id")),
        sa.UniqueConstraint(
            "programme", "index_pseudonym", "relative_pseudonym", name=op.f("uq_screening_relatives_programme")
        ),
    )
    op.create_index(op.f("ix_screening_relatives_programme"), "screening_relatives", ["programme"])
    op.create_index(op.f("ix_screening_relatives_index_pseudonym"), "screening_relatives", ["index_pseudonym"])
    op.create_index(op.f("ix_screening_relatives_relative_pseudonym"), "screening_relatives", ["relative_pseudonym"])
    op.create_table(
        "screening_capacity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("monthly_capacity", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        _when("set_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_capacity")),
        sa.UniqueConstraint("region", "programme", name=op.f("uq_screening_capacity_region")),
    )
    op.create_table(
        "screening_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("gene", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        _when("released_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_referrals")),
        sa.UniqueConstraint("programme", "pseudonym", name=op.f("uq_screening_referrals_programme")),
    )
    op.create_index(op.f("ix_screening_referrals_programme"), "screening_referrals", ["programme"])


def downgrade() -> None:
    for table in (
        "screening_referrals",
        "screening_capacity",
        "screening_relatives",
        "screening_findings",
        "screening_runs",
        "screening_policies",
    ):
        op.drop_table(table)
