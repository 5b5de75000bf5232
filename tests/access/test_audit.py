"""The audit log is append-only and tamper-evident: edits, deletions, reordering and a cut tail are all found."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from genomdb.access.audit import AuditLog
from genomdb.access.policy import Policy
from genomdb.access.records import Action, AuditDraft, AuditFilters, Resource
from genomdb.config import Settings
from genomdb.errors import Forbidden
from genomdb.instance import Instance
from tests.access.conftest import Family, People

N_ENTRIES = 10
"""Six users added, then four decisions."""


def _fill(instance: Instance, people: People, family: Family) -> AuditLog:
    policy = Policy(instance)
    for actor in (people.own, people.region, people.other, people.researcher):
        policy.decide(actor, Action.READ_DATA, policy.sample(family.child.sample_key))
    log = AuditLog(instance)
    assert log.verify().ok
    return log


def _sql(instance: Instance, statement: str, **params: object) -> None:
    with instance.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _swap_rows(instance: Instance, first: int, second: int) -> None:
    """Reorder two entries: give each the other's content, keeping the sequence numbers in place."""
    columns = "at, actor, actor_role, action, resource_kind, resource_id, person, decision, rule, prev_hash, entry_hash"
    with instance.db.engine.begin() as connection:
        rows = {
            row[0]: row[1:]
            for row in connection.execute(
                text(f"SELECT seq, {columns} FROM access_audit WHERE seq IN (:a, :b)"), {"a": first, "b": second}
            )
        }
        names = [c.strip() for c in columns.split(",")]
        assignments = ", ".join(f"{name} = :{name}" for name in names)
        for target, source in ((first, second), (second, first)):
            connection.execute(
                text(f"UPDATE access_audit SET {assignments} WHERE seq = :seq"),
                {**dict(zip(names, rows[source], strict=True)), "seq": target},
            )


TAMPERING: dict[str, tuple[Callable[[Instance], None], str]] = {
    "edit": (
        lambda i: _sql(i, "UPDATE access_audit SET decision = 'allowed', rule = 'grant' WHERE seq = :s", s=N_ENTRIES),
        f"entry {N_ENTRIES} does not match its hash: its content was edited",
    ),
    "delete": (
        lambda i: _sql(i, "DELETE FROM access_audit WHERE seq = :s", s=3),
        "entries 3–3 are missing: deleted from the log",
    ),
    "reorder": (lambda i: _swap_rows(i, 4, 5), "entry 4 does not follow the entry before it"),
}


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_tampering_is_detected(instance: Instance, people: People, family: Family, kind: str) -> None:
    log = _fill(instance, people, family)
    assert log.verify().n_entries == N_ENTRIES
    tamper, expected = TAMPERING[kind]
    tamper(instance)
    result = log.verify()
    assert not result.ok
    assert any(expected in problem for problem in result.problems), result.problems


def test_truncating_the_tail_is_caught_by_the_anchor(instance: Instance, people: People, family: Family) -> None:
    log = _fill(instance, people, family)
    _sql(instance, "DELETE FROM access_audit WHERE seq > :s", s=N_ENTRIES - 2)
    last = log.verify()
    assert not last.ok
    # a careful tamperer also rewinds the head row: the chain is then consistent, but the anchor outside is not
    with instance.db.engine.begin() as connection:
        head_hash = connection.execute(
            text("SELECT entry_hash FROM access_audit WHERE seq = :s"), {"s": N_ENTRIES - 2}
        ).scalar_one()
        connection.execute(
            text("UPDATE access_audit_head SET seq = :s, entry_hash = :h WHERE id = 1"),
            {"s": N_ENTRIES - 2, "h": head_hash},
        )
    result = log.verify()
    assert not result.ok and result.head_seq == N_ENTRIES - 2 and result.anchor_seq == N_ENTRIES
    assert any("entries were removed from the end" in p for p in result.problems)


def test_rehashing_without_the_key_does_not_help(instance: Instance, people: People, family: Family) -> None:
    log = _fill(instance, people, family)
    with instance.db.engine.begin() as connection:
        prev = connection.execute(
            text("SELECT prev_hash FROM access_audit WHERE seq = :s"), {"s": N_ENTRIES}
        ).scalar_one()
        forged = hashlib.sha256((prev + "\nallowed").encode()).hexdigest()
        connection.execute(
            text("UPDATE access_audit SET decision = 'allowed', entry_hash = :h WHERE seq = :s"),
            {"h": forged, "s": N_ENTRIES},
        )
        connection.execute(text("UPDATE access_audit_head SET entry_hash = :h WHERE id = 1"), {"h": forged})
    result = log.verify()
    assert not result.ok and any(f"entry {N_ENTRIES} does not match its hash" in p for p in result.problems)


def test_entries_record_decision_rule_grant_and_basis_and_are_searchable(
    instance: Instance, people: People, family: Family
) -> None:
    _fill(instance, people, family)
    log = AuditLog(instance)
    about_child = log.search(AuditFilters(person=family.child.pseudonym))
    assert [(e.actor, e.decision, e.rule) for e in about_child] == [
        ("kg", "allowed", "own-department"),
        ("gm", "allowed", "same-region"),
        ("aarhus", "refused", "deny-by-default"),
        ("rita", "refused", "deny-by-default"),
    ]
    who_saw = log.search(AuditFilters(person=family.child.pseudonym, decision="allowed"))
    assert {e.actor for e in who_saw} == {"kg", "gm"}
    assert all(e.legal_basis for e in who_saw)
    assert [e.actor for e in log.search(AuditFilters(actor="aarhus"))] == ["aarhus"]
    refused = log.search(AuditFilters(actor="aarhus"))[0]
    assert "no rule gives aarhus access" in refused.detail["why"]


def test_audit_key_stays_outside_the_catalog(settings: Settings, instance: Instance) -> None:
    key = (settings.resolved_secrets_dir() / "audit.key").read_text().strip()
    log = AuditLog(instance)
    log.append([AuditDraft("x", None, None, "test", "audit", "x", None, "allowed", "test", None, None)])
    assert log.verify().ok
    if settings.resolved_database_url().startswith("sqlite"):
        assert key.encode() not in (settings.resolved_home() / "catalog.sqlite").read_bytes()
    anchor = json.loads(log.anchor_path.read_text())
    assert anchor["seq"] == 1


def test_concurrent_appends_keep_one_unbroken_chain(settings: Settings, instance: Instance) -> None:
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with Instance.open(settings) as own:
                log = AuditLog(own)
                for i in range(10):
                    log.append(
                        [
                            AuditDraft(
                                f"w{number}", None, None, "test", "audit", str(i), None, "allowed", "t", None, None
                            )
                        ]
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = AuditLog(instance).verify()
    assert result.ok and result.n_entries == 40 and result.anchor_seq == 40


def test_reading_the_audit_log_is_for_stewards_and_is_itself_audited(
    instance: Instance, people: People, family: Family
) -> None:
    _fill(instance, people, family)
    policy = Policy(instance)
    with pytest.raises(Forbidden, match="role-required"):
        policy.require(people.own, Action.READ_AUDIT, Resource("audit", family.child.pseudonym))
    policy.require(people.steward, Action.READ_AUDIT, Resource("audit", family.child.pseudonym))
    last = AuditLog(instance).search(AuditFilters(action="read-audit"))
    assert [(e.actor, e.decision) for e in last] == [("kg", "refused"), ("steve", "allowed")]
