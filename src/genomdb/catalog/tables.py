"""The metadata catalogue's tables: regions, departments, persons, samples, runs, files, blobs, submissions, events.

ORM classes never leave :mod:`genomdb.catalog`: its repositories map them to domain records. Other domains join to
these tables only through the read-only relations published in :mod:`genomdb.catalog.relations`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from genomdb.db.base import Base, utcnow


class RegionRow(Base):
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class DepartmentRow(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    region: Mapped[RegionRow] = relationship(lazy="joined")


class PersonRow(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    declared_sex: Mapped[str | None] = mapped_column(String(8))
    research_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    does_not_want_to_know: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The person's right not to know: never listed by an early-detection programme (manifest or steward)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RelationshipRow(Base):
    __tablename__ = "relationships"
    __table_args__ = (UniqueConstraint("person_id", "relation", "relative_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    relative_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"))


class SubmissionRow(Base):
    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    current_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SubmissionVersionRow(Base):
    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    manifest_name: Mapped[str] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(500))
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    report: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SampleRow(Base):
    """One version of a sample: a correction writes new rows with the same ``sample_key``."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("submission_version_id", "submitter_sample_id"),
        Index("ix_samples_department_submitter_id", "department_id", "submitter_sample_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_key: Mapped[str] = mapped_column(String(32), index=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    submitter_sample_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    tissue: Mapped[str] = mapped_column(String(64))
    collection_date: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    run_ref: Mapped[str] = mapped_column(String(64))
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    read_type: Mapped[str] = mapped_column(String(8))
    instrument: Mapped[str | None] = mapped_column(String(200))
    library_strategy: Mapped[str] = mapped_column(String(32))
    library_id: Mapped[str | None] = mapped_column(String(200))
    run_date: Mapped[dt.date | None] = mapped_column(Date)


class BlobRow(Base):
    """A stored object, keyed by the sha256 of its plaintext content."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(8), default="hot")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileRow(Base):
    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("submission_version_id", "file_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    file_ref: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    mate_ref: Mapped[str | None] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    original_path: Mapped[str | None] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    md5: Mapped[str] = mapped_column(String(32))
    index_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    index_name: Mapped[str | None] = mapped_column(String(16))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FileSampleRow(Base):
    __tablename__ = "file_samples"
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), primary_key=True, index=True)


class AnalysisRow(Base):
    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id"), index=True)
    analysis_ref: Mapped[str] = mapped_column(String(64))
    pipeline_name: Mapped[str] = mapped_column(String(200))
    pipeline_version: Mapped[str] = mapped_column(String(100))
    reference_build: Mapped[str] = mapped_column(String(16))


class AnalysisSampleRow(Base):
    __tablename__ = "analysis_samples"
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), primary_key=True, index=True)


class AnalysisFileRow(Base):
    __tablename__ = "analysis_files"
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)


class SubmissionEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "submission_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
