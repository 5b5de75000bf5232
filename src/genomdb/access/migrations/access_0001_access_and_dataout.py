"""access control and data-out: users, grants, hash-chained audit log, working-copy requests

Revision ID: access_0001
Revises: 0001
Create Date: 2026-11-29 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "access_0001"
down_revision = "0001"
branch_labels = ("access",)
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "access_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("grantee_user_id", sa.Integer(), nullable=True),
        sa.Column("grantee_department_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], name=op.f("fk_access_grants_granted_by_id_users")),
        sa.ForeignKeyConstraint(
            ["grantee_department_id"],
            ["departments.id"],
            name=op.f("fk_access_grants_grantee_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(["grantee_user_id"], ["users.id"], name=op.f("fk_access_grants_grantee_user_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_access_grants_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
    )
    op.create_index(
        op.f("ix_access_grants_grantee_department_id"), "access_grants", ["grantee_department_id"], unique=False
    )
    op.create_index(op.f("ix_access_grants_grantee_user_id"), "access_grants", ["grantee_user_id"], unique=False)
    op.create_table(
        "access_audit",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("actor_department", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource_kind", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=False),
        sa.Column("person", sa.String(length=40), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=32), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_audit")),
    )
    op.create_index(op.f("ix_access_audit_actor"), "access_audit", ["actor"], unique=False)
    op.create_index(op.f("ix_access_audit_at"), "access_audit", ["at"], unique=False)
    op.create_index(op.f("ix_access_audit_person"), "access_audit", ["person"], unique=False)
    head = op.create_table(
        "access_audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_audit_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "entry_hash": GENESIS_HASH}])
    op.create_table(
        "dataout_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=True),
        sa.Column("grant_id", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("waiting_for", sa.JSON(), nullable=True),
        sa.Column("n_parts", sa.Integer(), nullable=True),
        sa.Column("total_bytes", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_dataout_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataout_requests")),
    )
    op.create_index(op.f("ix_dataout_requests_status"), "dataout_requests", ["status"], unique=False)
    op.create_index(op.f("ix_dataout_requests_user_id"), "dataout_requests", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dataout_requests_user_id"), table_name="dataout_requests")
    op.drop_index(op.f("ix_dataout_requests_status"), table_name="dataout_requests")
    op.drop_table("dataout_requests")
    op.drop_table("access_audit_head")
    op.drop_index(op.f("ix_access_audit_person"), table_name="access_audit")
    op.drop_index(op.f("ix_access_audit_at"), table_name="access_audit")
    op.drop_index(op.f("ix_access_audit_actor"), table_name="access_audit")
    op.drop_table("access_audit")
    op.drop_index(op.f("ix_access_grants_grantee_user_id"), table_name="access_grants")
    op.drop_index(op.f("ix_access_grants_grantee_department_id"), table_name="access_grants")
    op.drop_table("access_grants")
    op.drop_table("users")
