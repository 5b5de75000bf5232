"""national variant database: assertion versions, conflicts, recontact worklists

Revision ID: classification_0001
Revises: 0001
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "classification_0001"
down_revision = "0001"
branch_labels = ("classification",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_frequency_thresholds",
        sa.Column("gene", sa.String(length=32), nullable=False),
        sa.Column("ba1_above", sa.Float(), nullable=False),
        sa.Column("bs1_above", sa.Float(), nullable=False),
        sa.Column("pm2_below", sa.Float(), nullable=False),
        sa.Column("pm2_label", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gene", name=op.f("pk_classification_frequency_thresholds")),
    )
    op.create_table(
        "classification_sequence_digests",
        sa.Column("build", sa.String(length=16), nullable=False),
        sa.Column("contig", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("refget_accession", sa.String(length=40), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("build", "contig", name=op.f("pk_classification_sequence_digests")),
    )
    op.create_table(
        "classification_assertions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assertion_id", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("variant_key", sa.String(length=2000), nullable=False),
        sa.Column("condition_key", sa.String(length=500), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_classification_assertions_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_assertions")),
        sa.UniqueConstraint("assertion_id", name=op.f("uq_classification_assertions_assertion_id")),
        sa.UniqueConstraint(
            "department_id", "variant_key", "condition_key", name=op.f("uq_classification_assertions_department_id")
        ),
    )
    op.create_index(
        op.f("ix_classification_assertions_variant_key"), "classification_assertions", ["variant_key"], unique=False
    )
    op.create_table(
        "classification_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=1000), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("n_new_versions", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_classification_imports_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_imports")),
        sa.UniqueConstraint("import_id", name=op.f("uq_classification_imports_import_id")),
    )
    op.create_index(
        op.f("ix_classification_imports_file_sha256"), "classification_imports", ["file_sha256"], unique=False
    )
    op.create_table(
        "classification_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assertion_pk", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("variant_key", sa.String(length=2000), nullable=False),
        sa.Column("vrs_allele_id", sa.String(length=48), nullable=False),
        sa.Column("acmg_class", sa.String(length=32), nullable=False),
        sa.Column("supported_class", sa.String(length=32), nullable=False),
        sa.Column("criteria", sa.String(length=500), nullable=False),
        sa.Column("condition_name", sa.String(length=500), nullable=False),
        sa.Column("condition_id", sa.String(length=32), nullable=True),
        sa.Column("inheritance", sa.String(length=16), nullable=False),
        sa.Column("gene", sa.String(length=32), nullable=True),
        sa.Column("transcript", sa.String(length=64), nullable=True),
        sa.Column("hgvs_c", sa.String(length=500), nullable=True),
        sa.Column("hgvs_p", sa.String(length=500), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("classifier", sa.String(length=200), nullable=False),
        sa.Column("asserted_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("import_pk", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assertion_pk"],
            ["classification_assertions.id"],
            name=op.f("fk_classification_versions_assertion_pk_classification_assertions"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_classification_versions_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["import_pk"],
            ["classification_imports.id"],
            name=op.f("fk_classification_versions_import_pk_classification_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_versions")),
        sa.UniqueConstraint("assertion_pk", "version", name=op.f("uq_classification_versions_assertion_pk")),
    )
    op.create_index(
        "ix_classification_versions_department_recorded",
        "classification_versions",
        ["department_id", "recorded_at"],
        unique=False,
    )
    op.create_index(
        "ix_classification_versions_variant_recorded",
        "classification_versions",
        ["variant_key", "recorded_at", "assertion_pk", "version"],
        unique=False,
    )
    op.create_index(
        op.f("ix_classification_versions_vrs_allele_id"), "classification_versions", ["vrs_allele_id"], unique=False
    )
    op.create_table(
        "classification_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conflict_id", sa.String(length=32), nullable=False),
        sa.Column("variant_key", sa.String(length=2000), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_version_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by_version_pk"],
            ["classification_versions.id"],
            name=op.f("fk_classification_conflicts_opened_by_version_pk_classification_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_conflicts")),
        sa.UniqueConstraint("conflict_id", name=op.f("uq_classification_conflicts_conflict_id")),
    )
    op.create_index(op.f("ix_classification_conflicts_state"), "classification_conflicts", ["state"], unique=False)
    op.create_index(
        op.f("ix_classification_conflicts_variant_key"), "classification_conflicts", ["variant_key"], unique=False
    )
    op.create_table(
        "classification_crossings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crossing_id", sa.String(length=32), nullable=False),
        sa.Column("variant_key", sa.String(length=2000), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("before_term", sa.String(length=64), nullable=False),
        sa.Column("after_term", sa.String(length=64), nullable=False),
        sa.Column("trigger_version_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trigger_version_pk"],
            ["classification_versions.id"],
            name=op.f("fk_classification_crossings_trigger_version_pk_classification_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_crossings")),
        sa.UniqueConstraint("crossing_id", name=op.f("uq_classification_crossings_crossing_id")),
    )
    op.create_index(
        op.f("ix_classification_crossings_variant_key"), "classification_crossings", ["variant_key"], unique=False
    )
    op.create_table(
        "classification_conflict_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conflict_pk", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conflict_pk"],
            ["classification_conflicts.id"],
            name=op.f("fk_classification_conflict_events_conflict_pk_classification_conflicts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_conflict_events")),
    )
    op.create_index(
        op.f("ix_classification_conflict_events_conflict_pk"),
        "classification_conflict_events",
        ["conflict_pk"],
        unique=False,
    )
    op.create_table(
        "classification_worklist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crossing_pk", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("alt_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["crossing_pk"],
            ["classification_crossings.id"],
            name=op.f("fk_classification_worklist_entries_crossing_pk_classification_crossings"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_classification_worklist_entries_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_classification_worklist_entries_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_classification_worklist_entries_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_worklist_entries")),
        sa.UniqueConstraint(
            "crossing_pk", "department_id", "sample_id", name=op.f("uq_classification_worklist_entries_crossing_pk")
        ),
    )
    op.create_index(
        op.f("ix_classification_worklist_entries_crossing_pk"),
        "classification_worklist_entries",
        ["crossing_pk"],
        unique=False,
    )
    op.create_index(
        op.f("ix_classification_worklist_entries_department_id"),
        "classification_worklist_entries",
        ["department_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_classification_worklist_entries_department_id"), table_name="classification_worklist_entries"
    )
    op.drop_index(op.f("ix_classification_worklist_entries_crossing_pk"), table_name="classification_worklist_entries")
    op.drop_table("classification_worklist_entries")
    op.drop_index(op.f("ix_classification_conflict_events_conflict_pk"), table_name="classification_conflict_events")
    op.drop_table("classification_conflict_events")
    op.drop_index(op.f("ix_classification_crossings_variant_key"), table_name="classification_crossings")
    op.drop_table("classification_crossings")
    op.drop_index(op.f("ix_classification_conflicts_variant_key"), table_name="classification_conflicts")
    op.drop_index(op.f("ix_classification_conflicts_state"), table_name="classification_conflicts")
    op.drop_table("classification_conflicts")
    op.drop_index(op.f("ix_classification_versions_vrs_allele_id"), table_name="classification_versions")
    op.drop_index("ix_classification_versions_variant_recorded", table_name="classification_versions")
    op.drop_index("ix_classification_versions_department_recorded", table_name="classification_versions")
    op.drop_table("classification_versions")
    op.drop_index(op.f("ix_classification_imports_file_sha256"), table_name="classification_imports")
    op.drop_table("classification_imports")
    op.drop_index(op.f("ix_classification_assertions_variant_key"), table_name="classification_assertions")
    op.drop_table("classification_assertions")
    op.drop_table("classification_sequence_digests")
    op.drop_table("classification_frequency_thresholds")
