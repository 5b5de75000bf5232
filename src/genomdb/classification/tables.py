"""Tables of the national variant database (migration branch ``classification``).

Assertion versions are append-only: a change, and a withdrawal, is a new row; the assertion row only moves its
``current_version`` pointer. ``recorded_at`` is transaction time (set by genomdb), ``asserted_on`` valid time (the
department's date). The index on (variant_key, recorded_at, assertion_pk, version) answers "which version of each
assertion about this variant stood at time T" from the index alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow

VARIANT_KEY_LENGTH = 2000


class ClassificationImportRow(Base):
    """One imported file: every version it created points here."""

    __tablename__ = "classification_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    file_name: Mapped[str] = mapped_column(String(1000))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(8))
    n_rows: Mapped[int] = mapped_column(Integer)
    n_new_versions: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassificationAssertionRow(Base):
    """A department's assertion about a variant for a condition; its content lives in versions."""

    __tablename__ = "classification_assertions"
    __table_args__ = (UniqueConstraint("department_id", "variant_key", "condition_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assertion_id: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    variant_key: Mapped[str] = mapped_column(String(VARIANT_KEY_LENGTH), index=True)
    condition_key: Mapped[str] = mapped_column(String(500))
    current_version: Mapped[int] = mapped_column(Integer)
    """The newest version's number: the one pointer that moves (versions themselves are never changed)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassificationVersionRow(Base):
    """One immutable version of an assertion (inserted, never updated or deleted)."""

    __tablename__ = "classification_versions"
    __table_args__ = (
        UniqueConstraint("assertion_pk", "version"),
        Index("ix_classification_versions_variant_recorded", "variant_key", "recorded_at", "assertion_pk", "version"),
        Index("ix_classification_versions_department_recorded", "department_id", "recorded_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    assertion_pk: Mapped[int] = mapped_column(ForeignKey("classification_assertions.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    variant_key: Mapped[str] = mapped_column(String(VARIANT_KEY_LENGTH))
    vrs_allele_id: Mapped[str] = mapped_column(String(48), index=True)
    acmg_class: Mapped[str] = mapped_column(String(32))
    supported_class: Mapped[str] = mapped_column(String(32))
    criteria: Mapped[str] = mapped_column(String(500))
    condition_name: Mapped[str] = mapped_column(String(500))
    condition_id: Mapped[str | None] = mapped_column(String(32))
    inheritance: Mapped[str] = mapped_column(String(16))
    gene: Mapped[str | None] = mapped_column(String(32))
    transcript: Mapped[str | None] = mapped_column(String(64))
    hgvs_c: Mapped[str | None] = mapped_column(String(500))
    hgvs_p: Mapped[str | None] = mapped_column(String(500))
    evidence: Mapped[str] = mapped_column(Text)
    classifier: Mapped[str] = mapped_column(String(200))
    asserted_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    import_pk: Mapped[int | None] = mapped_column(ForeignKey("classification_imports.id"))


class ClassificationConflictRow(Base):
    """A conflict case: opened when departments come to disagree about a variant; state changes are events."""

    __tablename__ = "classification_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conflict_id: Mapped[str] = mapped_column(String(32), unique=True)
    variant_key: Mapped[str] = mapped_column(String(VARIANT_KEY_LENGTH), index=True)
    category: Mapped[str] = mapped_column(String(32))
    departments: Mapped[list[str]] = mapped_column(JSON)
    classes: Mapped[list[list[str]]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(32), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_by_version_pk: Mapped[int] = mapped_column(ForeignKey("classification_versions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ClassificationConflictEventRow(Base):
    """Append-only history of a conflict case."""

    __tablename__ = "classification_conflict_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conflict_pk: Mapped[int] = mapped_column(ForeignKey("classification_conflicts.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)


class ClassificationCrossingRow(Base):
    """The national view of a variant crossed the actionable boundary when a version was recorded."""

    __tablename__ = "classification_crossings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crossing_id: Mapped[str] = mapped_column(String(32), unique=True)
    variant_key: Mapped[str] = mapped_column(String(VARIANT_KEY_LENGTH), index=True)
    direction: Mapped[str] = mapped_column(String(32))
    before_term: Mapped[str] = mapped_column(String(64))
    after_term: Mapped[str] = mapped_column(String(64))
    trigger_version_pk: Mapped[int] = mapped_column(ForeignKey("classification_versions.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ClassificationWorklistEntryRow(Base):
    """One person on a department's recontact worklist for a crossing: only samples that department submitted."""

    __tablename__ = "classification_worklist_entries"
    __table_args__ = (UniqueConstraint("crossing_pk", "department_id", "sample_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crossing_pk: Mapped[int] = mapped_column(ForeignKey("classification_crossings.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"))
    alt_count: Mapped[int] = mapped_column(Integer)


class ClassificationFrequencyThresholdRow(Base):
    """An instance's own FAF95 thresholds for a gene (``*``: the default for every other gene)."""

    __tablename__ = "classification_frequency_thresholds"
    gene: Mapped[str] = mapped_column(String(32), primary_key=True)
    ba1_above: Mapped[float] = mapped_column(Float)
    bs1_above: Mapped[float] = mapped_column(Float)
    pm2_below: Mapped[float] = mapped_column(Float)
    pm2_label: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClassificationSequenceDigestRow(Base):
    """The refget accession of a reference contig, computed once per reference FASTA (``fingerprint``)."""

    __tablename__ = "classification_sequence_digests"
    build: Mapped[str] = mapped_column(String(16), primary_key=True)
    contig: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    length: Mapped[int] = mapped_column(BigInteger)
    refget_accession: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
