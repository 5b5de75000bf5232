"""Opening a registered release for reading: what a look-up needs, without the release builder's engine.

Kept apart from :mod:`genomdb.frequency.publish` so that a look-up from the shell imports neither DuckDB nor the
variant store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from genomdb.errors import IntegrityError
from genomdb.frequency.manifest import MANIFEST_NAME, ReleaseManifest, read_manifest
from genomdb.frequency.records import ReleaseInfo
from genomdb.instance import Instance

FREQUENCY_DIR = "frequency"
RELEASES_DIR = "releases"


def release_name(release_id: str) -> str:
    """A release's dataset name on the instance's store (its folder relative to the home)."""
    return f"{FREQUENCY_DIR}/{RELEASES_DIR}/{release_id}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_release(instance: Instance, release_id: str | None = None) -> tuple[ReleaseInfo, ReleaseManifest]:
    """A registered release (the newest by default) with its manifest, checked against the catalog's sha256."""
    info = _registered(instance, release_id)
    instance.datasets.materialise(release_name(info.release_id), info.path)  # an S3 store: the verified local cache
    manifest_path = info.path / MANIFEST_NAME
    if not manifest_path.exists() or _sha256(manifest_path) != info.manifest_sha256:
        raise IntegrityError(f"release {info.release_id}: {manifest_path} is missing or differs from the catalog")
    return info, read_manifest(info.path)


def _registered(instance: Instance, release_id: str | None) -> ReleaseInfo:
    """The catalog's record of a release. An instance that has not opened its database yet (a look-up from the
    shell) reads it from an embedded catalog without SQLAlchemy (:mod:`genomdb.db.embedded`)."""
    home = instance.settings.resolved_home()
    if not instance.database_opened:
        from genomdb.db.embedded import read_only_catalog
        from genomdb.frequency.registry_embedded import registered_release

        with read_only_catalog(instance.settings.resolved_database_url()) as connection:
            if connection is not None:
                return registered_release(connection, release_id, home=home)
    from genomdb.frequency.repository import frequency_release

    return frequency_release(instance.db, release_id, home=home)
