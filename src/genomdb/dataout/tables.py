"""Tables of data-out: working-copy requests and their progress.

The table was created by the ``access_0001`` revision (when access and data-out shipped together); later changes
to it are revisions in this domain's own ``migrations/`` folder.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from genomdb.db.base import Base, utcnow


class DataOutRequestRow(Base):
    __tablename__ = "dataout_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column()
    purpose: Mapped[str | None] = mapped_column(String(16))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    waiting_for: Mapped[list[Any] | None] = mapped_column()
    n_parts: Mapped[int | None] = mapped_column(Integer)
    total_bytes: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
