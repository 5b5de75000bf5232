"""Tables of early detection (migration branch ``screening``): loaded policies, runs and their findings, cascade
worklist entries, clinic capacity and released referrals. Persons are named by pseudonym, as the audit log does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class ScreeningPolicyRow(Base):
    __tablename__ = "screening_policies"
    __table_args__ = (UniqueConstraint("programme", "policy_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(40), index=True)
    policy_version: Mapped[str] = mapped_column(String(40))
    schema_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_by: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScreeningRunRow(Base):
    __tablename__ = "screening_runs"
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    programme: Mapped[str] = mapped_column(String(40), index=True)
    policy_version: Mapped[str] = mapped_column(String(40))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cohort: Mapped[list[Any]] = mapped_column(JSON)
    release_id: Mapped[str | None] = mapped_column(String(80))
    classification_versions: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Variant key → the assertion versions (``CLS-… v2``) its national view was made of."""
    flagged_variants: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Variant key → why it was flagged, not reported (FAF95 above the gene's maximum credible frequency)."""
    n_samples: Mapped[int] = mapped_column(Integer)
    n_reported: Mapped[int] = mapped_column(Integer)
    n_flagged: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScreeningFindingRow(Base):
    __tablename__ = "screening_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("screening_runs.run_id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    sample_key: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gene: Mapped[str] = mapped_column(String(20))
    risk_class: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(32))
    variants: Mapped[list[Any]] = mapped_column(JSON)
    """Per variant: key, genotype, alt_count, gq, national term, FAF95."""
    reported: Mapped[bool] = mapped_column(Boolean)
    flag_reason: Mapped[str | None] = mapped_column(Text)


class ScreeningRelativeRow(Base):
    __tablename__ = "screening_relatives"
    __table_args__ = (UniqueConstraint("programme", "index_pseudonym", "relative_pseudonym"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(32), unique=True)
    programme: Mapped[str] = mapped_column(String(40), index=True)
    index_pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    relative_pseudonym: Mapped[str] = mapped_column(String(40), index=True)
    gene: Mapped[str] = mapped_column(String(20))
    variant_keys: Mapped[list[Any]] = mapped_column(JSON)
    relation: Mapped[str] = mapped_column(String(40))
    degree: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    history: Mapped[list[Any]] = mapped_column(JSON)
    """Every status with its date and who set it, oldest first."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScreeningCapacityRow(Base):
    __tablename__ = "screening_capacity"
    __table_args__ = (UniqueConstraint("region", "programme"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(32))
    programme: Mapped[str] = mapped_column(String(40))
    monthly_capacity: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScreeningReferralRow(Base):
    __tablename__ = "screening_referrals"
    __table_args__ = (UniqueConstraint("programme", "pseudonym"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme: Mapped[str] = mapped_column(String(40), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(32))
    gene: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str] = mapped_column(String(32))
    month: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM``: the month whose capacity the referral used."""
    released_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
