"""Tables of the pharmacogenetics domain (migration branch ``pgx``): one stored result per sample version and data
version, with the digest of the inputs it was made from so that a batch run redoes only what changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class PgxResultRow(Base):
    __tablename__ = "pgx_results"
    __table_args__ = (UniqueConstraint("sample_id", "data_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    """The catalogue's sample *version* (``samples.id``) the genotypes came from."""
    data_version: Mapped[str] = mapped_column(String(64))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    """sha256 over the data version, the variant-store batch and the evidence settings."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    report: Mapped[dict[str, Any]] = mapped_column()
