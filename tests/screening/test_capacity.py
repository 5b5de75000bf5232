"""Clinic capacity: worklists released in priority order within each region's monthly capacity, the rest kept in
the queue, the months to clear each backlog; a capacity that is not a number is refused and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from genomdb.access.users import resolve_actor
from genomdb.demo.users import STEWARD, clinician_name
from genomdb.errors import InvalidInput
from genomdb.screening import repository, service
from genomdb.screening.capacity import Backlog, parse_capacity, plan_release, queues
from genomdb.screening.policy import shipped_policy
from genomdb.screening.records import Capacity, Finding, RelativeEntry, StatusChange
from tests.screening.conftest import Run, ScreeningWorld


def _finding(name: str, gene: str, risk: str, born: int, region: str = "RH") -> Finding:
    return Finding(name, f"SMP-{name}", "RH-KG", region, born, gene, risk, "pathogenic", (), True)


def test_the_queue_follows_the_policy_s_priority_and_capacity_holds_the_rest_back() -> None:
    policy = shipped_policy("breast-cancer")
    findings = [
        _finding("old-moderate", "CHEK2", "moderate", 1950),
        _finding("old-high", "BRCA2", "high", 1950),
        _finding("young-moderate", "ATM", "moderate", 2000),
        _finding("young-high", "BRCA1", "high", 1990),
        _finding("elsewhere", "BRCA1", "high", 1990, region="RM"),
    ]
    queue = queues(policy, findings, referred={"nobody"})
    assert [q.finding.pseudonym for q in queue["RH"]] == ["young-high", "old-high", "young-moderate", "old-moderate"]
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    capacities = [Capacity("RH", "breast-cancer", 3, "steward", now)]
    released, backlogs = plan_release(policy, queue, capacities, [], run_id="SCR-x", now=now)
    assert [r.pseudonym for r in released] == ["young-high", "old-high", "young-moderate"]
    by_region = {b.region: b for b in backlogs}
    assert by_region["RH"].n_queued == 1 and by_region["RH"].months_to_clear == 1
    assert by_region["RM"].n_queued == 1 and by_region["RM"].months_to_clear is None  # no capacity: never
    again, _ = plan_release(
        policy, queues(policy, findings, {r.pseudonym for r in released}), capacities, released, run_id="SCR-x", now=now
    )
    assert again == []  # this month's capacity is used up; next month the last one goes
    assert Backlog("breast-cancer", "RH", 2, 5, 0).months_to_clear == 3
    assert Backlog("breast-cancer", "RH", 2, 5, 2).months_to_clear == 3


STEPS = ("to_invite", "invited", "consented")


def _relative(name: str, index: str, status: str) -> RelativeEntry:
    day = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    history = tuple(StatusChange(step, day, "clin") for step in STEPS[: STEPS.index(status) + 1])
    return RelativeEntry(
        f"REL-{name}", "breast-cancer", index, name, "BRCA2", ("chr13-1-A-G",), "sibling", 1, status, None, history
    )


def test_consented_relatives_wait_for_the_clinic_in_the_same_queue_by_the_same_priority() -> None:
    policy = shipped_policy("breast-cancer")
    findings = [
        _finding("old-moderate", "CHEK2", "moderate", 1950),
        _finding("old-high", "BRCA2", "high", 1950),
        _finding("elsewhere", "BRCA1", "high", 1990, "RM"),
    ]
    relatives = [
        _relative("young-sister", "old-high", "consented"),  # a high-risk family, born 1995
        _relative("uncle", "old-moderate", "consented"),  # a moderate-risk family, born 1940
        _relative("invited-only", "old-high", "invited"),  # not consented: not the clinic's work yet
        _relative("not-asked", "old-high", "to_invite"),
        _relative("cousin-rm", "elsewhere", "consented"),  # queued in the index case's region
        _relative("orphan", "nobody-reported", "consented"),  # no reported index case in this run
    ]
    years = {"young-sister": 1995, "uncle": 1940, "cousin-rm": 2001}
    queue = queues(policy, findings, referred=set(), relatives=relatives, birth_years=years)
    assert [q.pseudonym for q in queue["RH"]] == ["young-sister", "old-high", "old-moderate", "uncle"]
    assert [q.position for q in queue["RH"]] == [1, 2, 3, 4]
    assert queue["RH"][0].relative is not None and queue["RH"][0].finding.pseudonym == "old-high"
    assert [q.pseudonym for q in queue["RM"]] == ["cousin-rm", "elsewhere"]
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    capacities = [Capacity("RH", "breast-cancer", 2, "steward", now)]
    released, backlogs = plan_release(policy, queue, capacities, [], run_id="SCR-x", now=now)
    assert [(r.pseudonym, r.gene) for r in released] == [("young-sister", "BRCA2"), ("old-high", "BRCA2")]
    by_region = {b.region: b for b in backlogs}
    assert by_region["RH"].n_queued == 2 and by_region["RH"].n_relatives_queued == 1
    again = queues(policy, findings, {r.pseudonym for r in released}, relatives=relatives, birth_years=years)
    assert [q.pseudonym for q in again["RH"]] == ["old-moderate", "uncle"]  # a referred relative is not queued again


@pytest.mark.parametrize("text", ["forty", "-3", "2.5", "", "1e3"])
def test_a_capacity_that_is_not_a_whole_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_capacity(text)
    [problem] = refused.value.problems
    assert problem.message == "not a number" and problem.found == text


def test_capacity_set_release_and_projection_through_the_cli(world: ScreeningWorld, genomdb: Run) -> None:
    before = repository.counts(world.instance.db)
    refused = genomdb(world, "screen", "capacity", "set", "RH", "fh", "lots", "--as", STEWARD)
    assert refused.returncode == 2 and "not a number" in refused.stderr and "lots" in refused.stderr
    assert repository.counts(world.instance.db) == before
    run = service.latest_run(world.instance, "fh")
    reported = {f.pseudonym: f for f in repository.findings(world.instance.db, run.run_id) if f.reported}
    regions = sorted({f.region for f in reported.values()})
    busiest = max(regions, key=lambda r: sum(f.region == r for f in reported.values()))
    n_busiest = sum(f.region == busiest for f in reported.values())
    assert genomdb(world, "screen", "capacity", "set", busiest, "fh", "1", "--as", STEWARD).returncode == 0
    shown = genomdb(world, "screen", "capacity", "--tsv")
    assert shown.returncode == 0
    row = next(line.split("\t") for line in shown.stdout.splitlines() if line.startswith(f"fh\t{busiest}\t"))
    assert row[2] == "1" and int(row[4]) == n_busiest and row[5] == "0" and row[6] == str(n_busiest)
    released = genomdb(world, "screen", "release", "fh", "--as", STEWARD)
    assert released.returncode == 0 and "1 referral(s) released" in released.stdout
    referred = repository.referrals(world.instance.db, "fh")
    assert len(referred) == 1 and referred[0].region == busiest
    queue_left = [b for b in service.backlogs(world.instance) if b.programme == "fh" and b.region == busiest]
    assert queue_left[0].n_queued == n_busiest - 1 and queue_left[0].n_released_this_month == 1
    steward = resolve_actor(world.instance, STEWARD)
    n_again, _ = service.release(world.instance, steward, "fh")
    assert n_again == 0  # held back until next month, still queued


def test_a_relative_who_consents_joins_the_clinic_queue_and_is_referred(world: ScreeningWorld, genomdb: Run) -> None:
    steward = resolve_actor(world.instance, STEWARD)
    run = service.latest_run(world.instance, "fh")
    findings = repository.findings(world.instance.db, run.run_id)
    # One referral per person: a relative who is a reported carrier is queued as an index case already, and which
    # entry sorts first depends on the instance's random pseudonym key, so pick one queued only through the cascade.
    referred = {r.pseudonym for r in repository.referrals(world.instance.db)}
    already = {f.pseudonym for f in findings if f.reported} | referred
    entry = next(
        e
        for e in repository.relatives(world.instance.db, programme="fh")
        if e.status == "to_invite" and e.relative_pseudonym not in already
    )
    [index] = [f for f in findings if f.pseudonym == entry.index_pseudonym]
    clinician = resolve_actor(world.instance, clinician_name(index.department))
    before = {b.region: b for b in service.backlogs(world.instance) if b.programme == "fh"}
    for status in ("invited", "consented"):
        service.set_relative_status(world.instance, clinician, entry.entry_id, status)
    after = {b.region: b for b in service.backlogs(world.instance) if b.programme == "fh"}
    assert after[index.region].n_queued == before[index.region].n_queued + 1
    assert after[index.region].n_relatives_queued == before[index.region].n_relatives_queued + 1
    shown = genomdb(world, "screen", "capacity", "--tsv")
    row = next(line.split("\t") for line in shown.stdout.splitlines() if line.startswith(f"fh\t{index.region}\t"))
    assert row[5] == str(after[index.region].n_relatives_queued)
    room = after[index.region].n_released_this_month + after[index.region].n_queued
    service.set_capacity(world.instance, steward, index.region, "fh", room)
    service.release(world.instance, steward, "fh")
    assert entry.relative_pseudonym in {r.pseudonym for r in repository.referrals(world.instance.db, "fh")}
    cleared = {b.region: b for b in service.backlogs(world.instance) if b.programme == "fh"}
    assert cleared[index.region].n_queued == 0 and cleared[index.region].n_relatives_queued == 0
