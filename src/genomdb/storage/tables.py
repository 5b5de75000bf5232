"""Tables of the storage domain (migration branch ``storage``): the integrity ledger.

One row per stored object genomdb answers for — a blob, or one file of a variant-store batch or a frequency
release — with the sha256 it must have and the outcome of the last time ``genomdb store scrub`` re-read it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class LedgerRow(Base):
    __tablename__ = "storage_ledger"
    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    """``blob/<sha256>``, or a dataset file relative to the store root (``variants/batches/…/part-0.parquet``)."""
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    state: Mapped[str | None] = mapped_column(String(16))
    """``ok``, ``corrupt`` or ``missing`` after the last scrub; None before the first."""
    detail: Mapped[str | None] = mapped_column(String(400))


class ObjectTierRow(Base):
    """The tier each stored object was last put in by the tier policy (``genomdb store tier --apply``)."""

    __tablename__ = "storage_object_tiers"
    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    """The ledger's name of the object (``blob/<sha256>`` or a dataset file)."""
    file_class: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(8))
    storage_class: Mapped[str] = mapped_column(String(32))
    tag: Mapped[str] = mapped_column(String(32))
    """The class tag the object carries on S3 (its class, or ``held`` while an active referral keeps it hot)."""
    policy_revision: Mapped[str] = mapped_column(String(40))
    moved_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MigratedObjectRow(Base):
    """The migration ledger: an object copied to a new store and read back with the sha256 it must have."""

    __tablename__ = "storage_migrated_objects"
    target: Mapped[str] = mapped_column(String(400), primary_key=True)
    """The new store's URL (credentials never part of it)."""
    name: Mapped[str] = mapped_column(String(400), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
