"""Frequency releases as the public sees them: ids to cite, sizes, strata, checksums and differences."""

from __future__ import annotations

from dataclasses import dataclass

from genomdb.api.context import Caller, ServiceContext
from genomdb.frequency.publish import ReleaseDiff, diff_releases, open_release
from genomdb.frequency.records import ReleaseInfo


@dataclass(frozen=True, slots=True)
class ReleaseDetail:
    info: ReleaseInfo
    batches: dict[str, str]
    """Variant-store batch id → sha256 of its batch.json."""
    files: dict[str, str]
    """Release file name → sha256."""


def list_releases(context: ServiceContext, caller: Caller) -> list[ReleaseInfo]:
    """Every registered release, oldest first."""
    return context.releases.releases(fresh=True)


def show_release(context: ServiceContext, caller: Caller, release_id: str) -> ReleaseDetail:
    """One release with the checksums that let anyone verify a copy of it."""
    info = context.releases.info(release_id)
    _, manifest = open_release(context.instance, info.release_id)
    return ReleaseDetail(info, manifest.batch_checksums, manifest.files)


def diff(context: ServiceContext, caller: Caller, old_id: str, new_id: str | None = None) -> ReleaseDiff:
    """How a release differs from another (the newest by default)."""
    context.releases.info(old_id)
    if new_id is not None:
        context.releases.info(new_id)
    return diff_releases(context.instance, old_id, new_id)
