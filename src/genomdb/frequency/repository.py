"""Catalog reads and writes of the frequency database: registering releases and finding them again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound
from genomdb.frequency.records import ReleaseInfo
from genomdb.frequency.tables import (
    FrequencyReleaseBatchRow,
    FrequencyReleaseRow,
    FrequencyReleaseSampleRow,
)

_CHUNK = 5_000


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _info(row: FrequencyReleaseRow, home: Path) -> ReleaseInfo:
    return ReleaseInfo(
        release_id=row.release_id,
        sequence=row.sequence,
        parent_id=row.parent_id,
        created_at=_aware(row.created_at),
        path=home / row.path,
        manifest_sha256=row.manifest_sha256,
        mode=row.mode,
        n_samples=row.n_samples,
        n_variants=row.n_variants,
        n_batches=row.n_batches,
        strata=tuple(row.strata),
    )


def next_release_sequence(db: Database) -> int:
    """One more than the highest release sequence number so far."""
    with db.session() as session:
        return int(session.scalar(select(func.max(FrequencyReleaseRow.sequence))) or 0) + 1


def register_release(
    db: Database,
    release: ReleaseInfo,
    *,
    home: Path,
    sample_ids: Sequence[int],
    batches: Sequence[tuple[str, str]],
) -> None:
    """Record a written release, the sample versions it counts and the batches it read, in one transaction."""
    try:
        with db.session() as session:
            session.add(
                FrequencyReleaseRow(
                    release_id=release.release_id,
                    sequence=release.sequence,
                    parent_id=release.parent_id,
                    created_at=release.created_at,
                    path=str(release.path.relative_to(home)),
                    manifest_sha256=release.manifest_sha256,
                    mode=release.mode,
                    n_samples=release.n_samples,
                    n_variants=release.n_variants,
                    n_batches=release.n_batches,
                    strata=list(release.strata),
                )
            )
            session.flush()
            ids = sorted(set(sample_ids))
            for start in range(0, len(ids), _CHUNK):
                session.execute(
                    insert(FrequencyReleaseSampleRow),
                    [{"release_id": release.release_id, "sample_id": sid} for sid in ids[start : start + _CHUNK]],
                )
            if batches:
                session.execute(
                    insert(FrequencyReleaseBatchRow),
                    [{"release_id": release.release_id, "batch_id": b, "manifest_sha256": s} for b, s in batches],
                )
    except DatabaseIntegrityError:
        raise Conflict(
            f"release {release.release_id} (sequence {release.sequence}) could not be registered: "
            "another release was registered at the same time, or a sample version is unknown"
        ) from None


def frequency_releases(db: Database, *, home: Path) -> list[ReleaseInfo]:
    """Every registered release, oldest first."""
    with db.session() as session:
        rows = session.scalars(select(FrequencyReleaseRow).order_by(FrequencyReleaseRow.sequence))
        return [_info(row, home) for row in rows]


def frequency_release(db: Database, release_id: str | None, *, home: Path) -> ReleaseInfo:
    """A release by id, or the newest one when ``release_id`` is None; NotFound when there is none."""
    with db.session() as session:
        if release_id is None:
            row = session.scalar(select(FrequencyReleaseRow).order_by(FrequencyReleaseRow.sequence.desc()).limit(1))
            if row is None:
                raise NotFound("no frequency release yet: build one with `genomdb release build`")
        else:
            row = session.get(FrequencyReleaseRow, release_id)
            if row is None:
                raise NotFound(f"no frequency release {release_id}")
        return _info(row, home)


def releases_with_sample(db: Database, sample_id: int) -> list[str]:
    """Ids of the releases that count a sample version, oldest first."""
    with db.session() as session:
        return list(
            session.scalars(
                select(FrequencyReleaseSampleRow.release_id)
                .join(FrequencyReleaseRow, FrequencyReleaseRow.release_id == FrequencyReleaseSampleRow.release_id)
                .where(FrequencyReleaseSampleRow.sample_id == sample_id)
                .order_by(FrequencyReleaseRow.sequence)
            )
        )
