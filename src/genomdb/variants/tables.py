"""Catalog tables of the variant store (migration branch ``variants``): batches, their samples and sample QC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class VariantBatchRow(Base):
    """A registered, immutable variant-store batch: its files exist for readers once this row is committed."""

    __tablename__ = "variant_batches"
    batch_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    schema_version: Mapped[int] = mapped_column(Integer)
    reference_build: Mapped[str] = mapped_column(String(16))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    n_samples: Mapped[int] = mapped_column(Integer)
    n_calls: Mapped[int] = mapped_column(BigInteger)
    n_blocks: Mapped[int] = mapped_column(BigInteger)
    manifest_sha256: Mapped[str] = mapped_column(String(64))


class BatchSampleRow(Base):
    """A sample version held by a batch; each harmonised sample version belongs to exactly one batch."""

    __tablename__ = "batch_samples"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("variant_batches.batch_id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))


class SampleQcRow(Base):
    """Sample QC of a harmonised sample version, computed from its batch."""

    __tablename__ = "sample_qc"
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("variant_batches.batch_id"), index=True)
    n_calls: Mapped[int] = mapped_column(BigInteger)
    n_passing_calls: Mapped[int] = mapped_column(BigInteger)
    call_rate: Mapped[float | None] = mapped_column(Float)
    callable_bases: Mapped[int] = mapped_column(BigInteger)
    target_bases: Mapped[int | None] = mapped_column(BigInteger)
    callable_fraction: Mapped[float | None] = mapped_column(Float)
    n_snv: Mapped[int] = mapped_column(BigInteger)
    n_indel: Mapped[int] = mapped_column(BigInteger)
    ti_tv: Mapped[float | None] = mapped_column(Float)
    n_het: Mapped[int] = mapped_column(BigInteger)
    n_hom_var: Mapped[int] = mapped_column(BigInteger)
    het_hom_ratio: Mapped[float | None] = mapped_column(Float)
    chrx_heterozygosity: Mapped[float | None] = mapped_column(Float)
    chrx_n_calls: Mapped[int] = mapped_column(Integer)
    inferred_sex: Mapped[str] = mapped_column(String(8))
    declared_sex: Mapped[str | None] = mapped_column(String(8))
    ploidy_sex: Mapped[str | None] = mapped_column(String(8))
    flags: Mapped[list[Any]] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
