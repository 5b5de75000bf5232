"""Users in three places (own department, same region, other region), a steward, a researcher, and a submitted
family whose mother has opted out of research."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from genomdb.access.records import Actor, Role, SampleFacts
from genomdb.access.users import add_user, resolve_actor
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from tests.ingest.submission_kit import make_kit


@dataclass(frozen=True)
class People:
    admin: Actor
    steward: Actor
    own: Actor
    """Clinician in RH-KG, the submitting department."""
    region: Actor
    """Clinician in RH-GM: same region (RH), another department."""
    other: Actor
    """Clinician in RM-KG: another region."""
    researcher: Actor


@dataclass(frozen=True)
class Family:
    child: SampleFacts
    mother: SampleFacts
    """Opted out of research."""


def make_people(instance: Instance) -> People:
    add_user(instance, None, "root", role=Role.ADMIN, department=None)
    admin = resolve_actor(instance, "root")
    for name, role, department in (
        ("steve", Role.STEWARD, None),
        ("kg", Role.CLINICIAN, "RH-KG"),
        ("gm", Role.CLINICIAN, "RH-GM"),
        ("aarhus", Role.CLINICIAN, "RM-KG"),
        ("rita", Role.RESEARCHER, "RH-GM"),
    ):
        add_user(instance, admin, name, role=role, department=department)
    return People(
        admin=admin,
        steward=resolve_actor(instance, "steve"),
        own=resolve_actor(instance, "kg"),
        region=resolve_actor(instance, "gm"),
        other=resolve_actor(instance, "aarhus"),
        researcher=resolve_actor(instance, "rita"),
    )


@pytest.fixture
def people(instance: Instance) -> People:
    return make_people(instance)


@pytest.fixture
def family(instance: Instance, tmp_path: Path) -> Family:
    kit = make_kit(tmp_path / "kit")
    kit.doc["individuals"][0]["research_opt_out"] = True
    submit_manifest(instance, kit.write())
    child = instance.catalog.sample_facts("RH-KG-T0001")
    mother = instance.catalog.sample_facts("RH-KG-T0002")
    assert child is not None and mother is not None and mother.research_opt_out
    return Family(child, mother)
