"""Users (bootstrap, roles, delivery keys) and grants (complete, steward-only, listable, revocable)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from genomdb.access.audit import AuditLog
from genomdb.access.grants import create_grant, list_grants, revoke_grant
from genomdb.access.records import AuditFilters, CatalogQuery, GenomicInterval, GrantScope, NewGrant, Purpose, Role
from genomdb.access.users import add_user, recipient_key, register_key, resolve_actor, set_user_active
from genomdb.errors import Conflict, Forbidden, InvalidInput
from genomdb.instance import Instance
from tests.access.conftest import Family, People


def _keypair(folder: Path, name: str) -> tuple[Path, Path]:
    from crypt4gh.keys import c4gh

    folder.mkdir(parents=True, exist_ok=True)
    secret, public = folder / f"{name}.sec", folder / f"{name}.pub"
    c4gh.generate(str(secret), str(public), passphrase=b"", comment=name.encode())
    return secret, public


def test_first_user_bootstraps_then_only_admins_and_stewards_add_users(instance: Instance) -> None:
    with pytest.raises(InvalidInput, match="first user"):
        add_user(instance, None, "carl", role=Role.CLINICIAN, department="RH-KG")
    admin_user = add_user(instance, None, "root", role=Role.ADMIN, department=None)
    assert admin_user.role == Role.ADMIN and admin_user.department is None
    with pytest.raises(Forbidden, match="--as"):
        add_user(instance, None, "second", role=Role.ADMIN, department=None)
    admin = resolve_actor(instance, "root")
    clinician = add_user(instance, admin, "carl", role=Role.CLINICIAN, department="RH-KG")
    assert clinician.region == "RH"
    with pytest.raises(Conflict):
        add_user(instance, admin, "carl", role=Role.CLINICIAN, department="RH-KG")
    with pytest.raises(InvalidInput) as caught:
        add_user(instance, admin, "Bad Name", role=Role.CLINICIAN, department=None)
    assert {p.field for p in caught.value.problems} == {"username", "department"}
    with pytest.raises(Forbidden, match="role-required"):
        add_user(instance, resolve_actor(instance, "carl"), "dora", role=Role.CLINICIAN, department="RH-KG")
    entries = AuditLog(instance).search(AuditFilters(action="manage-users"))
    assert [(e.actor, e.decision, e.rule) for e in entries] == [
        ("root", "allowed", "bootstrap-first-user"),
        ("root", "allowed", "steward-administers"),
        ("carl", "refused", "role-required"),
    ]


def test_unknown_and_deactivated_users_cannot_act(instance: Instance, people: People) -> None:
    with pytest.raises(Forbidden, match="not a user of this instance"):
        resolve_actor(instance, "mallory")
    with pytest.raises(Forbidden, match="--as USER"):
        resolve_actor(instance, None)
    set_user_active(instance, people.admin, "kg", active=False)
    with pytest.raises(Forbidden, match="deactivated"):
        resolve_actor(instance, "kg")
    refusals = AuditLog(instance).search(AuditFilters(action="act-as"))
    assert [(e.actor, e.rule) for e in refusals] == [("mallory", "deny-by-default"), ("kg", "inactive-user")]


def test_delivery_keys_are_registered_by_their_owner_or_an_admin(
    instance: Instance, people: People, tmp_path: Path
) -> None:
    _, public = _keypair(tmp_path, "kg")
    with pytest.raises(InvalidInput, match="no delivery key"):
        recipient_key(instance, "kg")
    register_key(instance, people.own, "kg", public)
    assert len(recipient_key(instance, "kg")) == 32
    with pytest.raises(Forbidden):
        register_key(instance, people.region, "kg", public)
    register_key(instance, people.admin, "gm", public)
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key\n")
    with pytest.raises(InvalidInput, match="public key"):
        register_key(instance, people.own, "kg", bad)


def _grant(**changes: object) -> NewGrant:
    values: dict[str, object] = {
        "scope": GrantScope(query=CatalogQuery(region="RH")),
        "purpose": Purpose.TREATMENT,
        "reference": "REF-1",
        "legal_basis": "Sundhedsloven § 42 a",
        "expires_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=10),
        "grantee_user": "aarhus",
    }
    values.update(changes)
    return NewGrant(**values)  # type: ignore[arg-type]


def test_grants_must_be_complete(instance: Instance, people: People, family: Family) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cases = {
        "to": _grant(grantee_user=None),
        "scope": _grant(scope=GrantScope()),
        "persons": _grant(scope=GrantScope(persons=("GDB-AAAAAAAAAAAAAAAA",))),
        "samples": _grant(scope=GrantScope(samples=("SMP-NOPE",))),
        "reference": _grant(reference=" "),
        "project": _grant(purpose=Purpose.RESEARCH, reference="VEK-1"),
        "legal_basis": _grant(legal_basis=""),
        "expires": _grant(expires_at=past),
    }
    for field, new in cases.items():
        with pytest.raises(InvalidInput) as caught:
            create_grant(instance, people.steward, new)
        assert field in {p.field for p in caught.value.problems}, field
    with pytest.raises(Forbidden, match="role-required"):
        create_grant(instance, people.own, _grant())


def test_grants_are_listed_for_their_holders_and_revoked_with_a_reason(
    instance: Instance, people: People, family: Family
) -> None:
    panel = create_grant(
        instance,
        people.steward,
        _grant(
            scope=GrantScope(persons=(family.child.pseudonym,), panel=("ldlr",)),
            grantee_user=None,
            grantee_department="RM-KG",
        ),
    )
    assert panel.scope.panel == ("LDLR",)
    assert panel.scope.regions and panel.scope.regions[0].chrom == "chr19"
    assert panel.scope.regions[0].contains(GenomicInterval("chr19", 11_100_000, 11_100_100))
    personal = create_grant(instance, people.steward, _grant(scope=GrantScope(samples=("RH-KG-T0001",))))
    assert personal.scope.samples == (family.child.sample_key,)  # department ids are stored as sample keys
    assert {g.grant_id for g in list_grants(instance, people.other)} == {panel.grant_id, personal.grant_id}
    assert list_grants(instance, people.own) == []
    assert len(list_grants(instance, people.steward)) == 2
    with pytest.raises(InvalidInput, match="reason"):
        revoke_grant(instance, people.steward, personal.grant_id, reason=" ")
    revoked = revoke_grant(instance, people.steward, personal.grant_id, reason="referral closed")
    assert revoked.revoked_by == "steve" and revoked.revoke_reason == "referral closed"
    with pytest.raises(Conflict):
        revoke_grant(instance, people.steward, personal.grant_id, reason="again")
    assert [g.grant_id for g in list_grants(instance, people.other)] == [panel.grant_id]
    assert len(list_grants(instance, people.other, include_inactive=True)) == 2
