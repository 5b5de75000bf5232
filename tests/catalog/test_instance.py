from __future__ import annotations

import stat

from genomdb.config import Settings
from genomdb.instance import Instance, init_instance


def test_init_creates_secrets_outside_catalog_with_mode_0600(settings: Settings) -> None:
    report = init_instance(settings)
    assert report.created_secrets and report.seeded_rows == 12
    secrets_dir = settings.resolved_secrets_dir()
    for path in secrets_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    key = (secrets_dir / "pseudonym.key").read_text().strip()
    if settings.resolved_database_url().startswith("sqlite"):
        assert key.encode() not in (settings.resolved_home() / "catalog.sqlite").read_bytes()


def test_init_is_idempotent_and_keeps_secrets(settings: Settings) -> None:
    init_instance(settings)
    key = (settings.resolved_secrets_dir() / "pseudonym.key").read_text()
    again = init_instance(settings)
    assert not again.created_secrets and again.seeded_rows == 0
    assert (settings.resolved_secrets_dir() / "pseudonym.key").read_text() == key


def test_regions_and_departments_are_data(instance: Instance) -> None:
    departments = instance.catalog.departments()
    assert {d.region.name for d in departments} == {
        "Region Hovedstaden",
        "Region Sjælland",
        "Region Syddanmark",
        "Region Midtjylland",
        "Region Nordjylland",
    }
    assert instance.catalog.department("RM-KG") is not None
    assert instance.catalog.department("XX-NOPE") is None
    assert instance.db.is_current()
