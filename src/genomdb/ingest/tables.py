"""Tables of the ingest domain (migration branch ``ingest``): uploads waiting in the store's upload area.

One row per upload started with ``genomdb upload`` or ``POST /api/uploads``: whose it is, how it is cut into
parts, the backend's handle of it, and — once completed — the sha256 by which a manifest adopts it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class UploadRow(Base):
    __tablename__ = "ingest_uploads"
    upload_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    part_size: Mapped[int] = mapped_column(BigInteger)
    handle: Mapped[str | None] = mapped_column(String(1024))
    """The backend's id of the upload (an S3 UploadId); never shown to clients."""
    state: Mapped[str] = mapped_column(String(16))
    """``open``, ``complete``, ``submitted``, ``aborted`` or ``expired``."""
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    submission_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
