"""Catalog tables of the frequency database (migration branch ``frequency``): releases and what they count."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class FrequencyReleaseRow(Base):
    """A registered, immutable frequency release: its folder exists for readers once this row is committed."""

    __tablename__ = "frequency_releases"
    release_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("frequency_releases.release_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    path: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    n_samples: Mapped[int] = mapped_column(Integer)
    n_variants: Mapped[int] = mapped_column(Integer)
    n_batches: Mapped[int] = mapped_column(Integer)
    strata: Mapped[list[Any]] = mapped_column(JSON)


class FrequencyReleaseSampleRow(Base):
    """A sample version a release counts (so "which releases hold this sample" is one query)."""

    __tablename__ = "frequency_release_samples"
    release_id: Mapped[str] = mapped_column(ForeignKey("frequency_releases.release_id"), primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), primary_key=True, index=True)


class FrequencyReleaseBatchRow(Base):
    """A variant-store batch a release read, with the sha256 of its batch.json at the time."""

    __tablename__ = "frequency_release_batches"
    release_id: Mapped[str] = mapped_column(ForeignKey("frequency_releases.release_id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
