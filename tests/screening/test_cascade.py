"""Cascade testing: relatives from declared relationships (first- then second-degree), their carrier status from
their genome, a status per relative that moves one step at a time, and the yield per index case."""

from __future__ import annotations

import pytest

from genomdb.access.users import resolve_actor
from genomdb.demo.users import clinician_name
from genomdb.errors import InvalidInput
from genomdb.screening import repository, service
from genomdb.screening.cascade import Pedigree, yields
from tests.screening.conftest import Run, ScreeningWorld


def test_second_degree_relatives_are_derived_from_declared_edges() -> None:
    edges = [
        ("child", "mother", "mum"),
        ("child", "father", "dad"),
        ("mum", "mother", "granny"),
        ("aunt", "mother", "granny"),
        ("cousin", "mother", "aunt"),
        ("half", "mother", "mum"),
        ("half", "father", "other-dad"),
        ("kid", "mother", "child"),
        ("sister", "sibling", "child"),
        ("niece", "mother", "sister"),
    ]
    found = {r.pseudonym: (r.relation, r.degree) for r in Pedigree(edges).relatives("child")}
    assert found == {
        "mum": ("mother", 1),
        "dad": ("father", 1),
        "sister": ("sibling", 1),
        "kid": ("child", 1),
        "half": ("half-sibling", 2),
        "granny": ("grandparent", 2),
        "aunt": ("aunt/uncle", 2),
        "niece": ("niece/nephew", 2),
    }
    assert "cousin" not in found  # third degree
    order = [r.degree for r in Pedigree(edges).relatives("child")]
    assert order == sorted(order)


def _brca2_family(world: ScreeningWorld) -> tuple[str, list[str], str]:
    """The BRCA2 index case with relatives on the worklist, its relatives, and its department."""
    [brca2] = world.planted("BRCA2")
    run = service.latest_run(world.instance, "breast-cancer")
    carriers = [f for f in repository.findings(world.instance.db, run.run_id) if brca2 in f.variant_keys]
    entries = repository.relatives(world.instance.db, programme="breast-cancer")
    for carrier in carriers:
        mine = [e.relative_pseudonym for e in entries if e.index_pseudonym == carrier.pseudonym]
        if mine:
            return carrier.pseudonym, mine, carrier.department
    raise AssertionError("no BRCA2 index case with relatives")


def test_relatives_in_the_database_have_their_carrier_status_from_their_genome(world: ScreeningWorld) -> None:
    index, relatives, department = _brca2_family(world)
    clinician = resolve_actor(world.instance, clinician_name(department))
    entries = service.cascade(world.instance, clinician, index=index)
    assert {e.relative_pseudonym for e in entries} == set(relatives)
    statuses = {e.relation: e.genome_status for e in entries}
    # the planted father and child: whichever is the index, the other is a first-degree carrier
    assert "carrier" in statuses.values()
    assert all(e.degree == 1 for e in entries) and all(e.status == "to_invite" for e in entries)
    [found] = yields(entries)
    assert found.index_pseudonym == index and found.n_carriers >= 1 and found.n_known >= found.n_carriers


def test_a_relative_moves_one_step_at_a_time_and_a_skip_changes_nothing(world: ScreeningWorld, genomdb: Run) -> None:
    index, _relatives, department = _brca2_family(world)
    user = clinician_name(department)
    clinician = resolve_actor(world.instance, user)
    entry = next(e for e in service.cascade(world.instance, clinician, index=index) if e.status == "to_invite")
    before = repository.counts(world.instance.db)
    refused = genomdb(world, "screen", "relative", entry.entry_id, "--status", "consented", "--as", user)
    assert refused.returncode == 2
    assert "skips a step" in refused.stderr and "invited or declined" in refused.stderr
    assert repository.counts(world.instance.db) == before
    [unchanged] = repository.relatives(world.instance.db, relative=entry.entry_id)
    assert unchanged.status == "to_invite" and len(unchanged.history) == 1
    for status in ("invited", "consented", "tested"):
        done = genomdb(world, "screen", "relative", entry.entry_id, "--status", status, "--as", user)
        assert done.returncode == 0, done.stderr
    with pytest.raises(InvalidInput, match="result"):
        service.set_relative_status(world.instance, clinician, entry.entry_id, "result")
    moved = service.set_relative_status(world.instance, clinician, entry.entry_id, "result", result="non-carrier")
    assert [h.status for h in moved.history] == ["to_invite", "invited", "consented", "tested", "result"]
    assert all(h.at >= moved.history[0].at for h in moved.history) and moved.result == "non-carrier"
    with pytest.raises(InvalidInput, match="closed"):
        service.set_relative_status(world.instance, clinician, entry.entry_id, "declined")
    listed = genomdb(world, "screen", "cascade", index, "--as", user, "--tsv")
    assert listed.returncode == 0 and "result: non-carrier" in listed.stdout


def test_another_department_neither_sees_nor_changes_a_cascade(world: ScreeningWorld) -> None:
    index, _, department = _brca2_family(world)
    region = world.instance.catalog.department(department)
    assert region is not None
    other = next(d for d in world.instance.catalog.departments() if d.region.code != region.region.code)
    stranger = resolve_actor(world.instance, clinician_name(other.code))
    assert service.cascade(world.instance, stranger, index=index) == []
    entry = repository.relatives(world.instance.db, index=index)[0]
    with pytest.raises(Exception, match="no cascade entry"):
        service.set_relative_status(world.instance, stranger, entry.entry_id, "declined")
