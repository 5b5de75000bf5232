"""The policy matrix: who reads a sample, under which rule, and that every decision lands in the audit log."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from genomdb.access.grants import create_grant, revoke_grant
from genomdb.access.policy import Policy, decide
from genomdb.access.records import (
    Action,
    AuditFilters,
    CatalogQuery,
    GenomicInterval,
    GrantScope,
    NewGrant,
    Purpose,
    Resource,
    Role,
    Rule,
)
from genomdb.errors import Forbidden
from genomdb.instance import Instance
from tests.access.conftest import Family, People

_ALL = AuditFilters(limit=100_000)
LEGAL_BASIS = "Sundhedsloven § 42 a (referral for treatment)"


def _expires(days: int = 30) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def _treatment(people: People, family: Family, **scope: object) -> NewGrant:
    return NewGrant(
        scope=GrantScope(samples=(family.child.sample_key,), **scope),  # type: ignore[arg-type]
        purpose=Purpose.TREATMENT,
        reference="REF-2026-0042",
        legal_basis=LEGAL_BASIS,
        expires_at=_expires(),
        grantee_user=people.other.username,
    )


def _audit_tail(instance: Instance, n: int = 1, *, actor: str | None = None) -> list[tuple[str, str, str, str | None]]:
    entries = Policy(instance).audit.search(AuditFilters(actor=actor, limit=100_000))
    return [(e.actor, e.decision, e.rule, e.grant_id) for e in entries[-n:]]


def test_own_department_and_same_region_read_without_a_grant(
    instance: Instance, people: People, family: Family
) -> None:
    policy = Policy(instance)
    own = policy.decide(people.own, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert own.allowed and own.rule == Rule.OWN_DEPARTMENT and own.purpose == Purpose.TREATMENT
    assert own.legal_basis and "own patients" in own.legal_basis
    region = policy.decide(people.region, Action.READ_DATA, policy.sample(family.child.submitter_sample_id))
    assert region.allowed and region.rule == Rule.SAME_REGION
    assert _audit_tail(instance, 2) == [
        ("kg", "allowed", "own-department", None),
        ("gm", "allowed", "same-region", None),
    ]
    entry = policy.audit.search(_ALL)[-1]
    assert entry.person == family.child.pseudonym and entry.detail["department"] == "RH-KG"


def test_other_region_is_refused_without_leaking_whether_the_sample_exists(
    instance: Instance, people: People, family: Family
) -> None:
    policy = Policy(instance)
    refused = policy.decide(people.other, Action.READ_DATA, policy.sample(family.child.sample_key))
    missing = policy.decide(people.other, Action.READ_DATA, policy.sample("SMP-NOSUCHSAMPLE"))
    assert not refused.allowed and refused.rule == Rule.DENY_BY_DEFAULT
    assert not missing.allowed and missing.rule == Rule.DENY_BY_DEFAULT
    assert refused.message().replace(family.child.sample_key, "X") == missing.message().replace("SMP-NOSUCHSAMPLE", "X")
    with pytest.raises(Forbidden) as caught:
        refused.require()
    message = caught.value.message
    assert "deny-by-default" in message and "genomdb grants add" in message and family.child.pseudonym not in message
    assert _audit_tail(instance, 2) == [("aarhus", "refused", "deny-by-default", None)] * 2


def test_other_region_is_allowed_under_a_grant_until_it_expires_or_is_revoked(
    instance: Instance, people: People, family: Family
) -> None:
    grant = create_grant(instance, people.steward, _treatment(people, family))
    policy = Policy(instance)
    allowed = policy.decide(people.other, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert allowed.allowed and allowed.rule == Rule.GRANT and allowed.grant_id == grant.grant_id
    assert allowed.legal_basis == LEGAL_BASIS
    # the grant covers the child only
    assert not policy.decide(people.other, Action.READ_DATA, policy.sample(family.mother.sample_key)).allowed

    after_expiry = Policy(instance, clock=lambda: grant.expires_at + dt.timedelta(seconds=1))
    expired = after_expiry.decide(people.other, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert not expired.allowed and expired.rule == Rule.GRANT_EXPIRED and expired.grant_id == grant.grant_id
    assert "expired" in expired.message()

    revoke_grant(instance, people.steward, grant.grant_id, reason="referral closed")
    revoked = policy.decide(people.other, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert not revoked.allowed and revoked.rule == Rule.GRANT_REVOKED and "referral closed" not in revoked.message()
    named = policy.decide(
        people.other, Action.READ_DATA, policy.sample(family.child.sample_key), grant_id=grant.grant_id
    )
    assert not named.allowed and named.rule == Rule.GRANT_REVOKED
    rules = [rule for _, _, rule, _ in _audit_tail(instance, 5, actor="aarhus")]
    assert rules == ["grant", "deny-by-default", "grant-expired", "grant-revoked", "grant-revoked"]


def test_department_grant_and_region_restricted_grant(instance: Instance, people: People, family: Family) -> None:
    ldlr = GenomicInterval("chr19", 11_089_462, 11_133_830)
    create_grant(
        instance,
        people.steward,
        dataclasses.replace(_treatment(people, family, regions=(ldlr,)), grantee_user=None, grantee_department="RM-KG"),
    )
    policy = Policy(instance)
    whole = policy.decide(people.other, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert whole.allowed and whole.restricted and whole.regions == (ldlr,)
    inside = dataclasses.replace(
        policy.sample(family.child.sample_key), regions=(GenomicInterval("chr19", 11_100_000, 11_100_500),)
    )
    assert policy.decide(people.other, Action.READ_DATA, inside).allowed
    outside = dataclasses.replace(inside, regions=(GenomicInterval("chr13", 32_315_508, 32_400_268),))
    refused = policy.decide(people.other, Action.READ_DATA, outside)
    assert not refused.allowed and refused.rule == Rule.OUTSIDE_GRANT and "chr19:11089462-11133830" in refused.message()


def test_research_grant_uses_project_and_excludes_opt_outs(instance: Instance, people: People, family: Family) -> None:
    grant = create_grant(
        instance,
        people.steward,
        NewGrant(
            scope=GrantScope(query=CatalogQuery(region="RH")),
            purpose=Purpose.RESEARCH,
            reference="VEK-H-2026-117",
            legal_basis="Komitéloven § 14: approved research project",
            expires_at=_expires(365),
            grantee_user=people.researcher.username,
            project="PRJ-LIPIDS",
        ),
    )
    policy = Policy(instance)
    child = policy.decide(
        people.researcher, Action.READ_DATA, policy.sample(family.child.sample_key), grant_id=grant.grant_id
    )
    assert child.allowed and child.purpose == Purpose.RESEARCH and child.project == "PRJ-LIPIDS"
    mother = policy.decide(
        people.researcher, Action.READ_DATA, policy.sample(family.mother.sample_key), grant_id=grant.grant_id
    )
    assert not mother.allowed and mother.rule == Rule.RESEARCH_OPT_OUT
    # research grants are used only when named: they change what is delivered
    unnamed = policy.decide(people.researcher, Action.READ_DATA, policy.sample(family.child.sample_key))
    assert not unnamed.allowed and unnamed.rule == Rule.DENY_BY_DEFAULT
    # someone else cannot use the researcher's grant
    borrowed = policy.decide(
        people.other, Action.READ_DATA, policy.sample(family.child.sample_key), grant_id=grant.grant_id
    )
    assert not borrowed.allowed and borrowed.rule == Rule.DENY_BY_DEFAULT


def test_steward_reads_catalogue_records_but_not_data(instance: Instance, people: People, family: Family) -> None:
    metadata = decide(instance, people.steward, Action.READ_METADATA, Policy(instance).sample(family.child.sample_key))
    assert metadata.allowed and metadata.rule == Rule.DATA_STEWARDSHIP
    assert metadata.legal_basis and "stewardship" in metadata.legal_basis
    data = decide(instance, people.steward, Action.READ_DATA, Policy(instance).sample(family.child.sample_key))
    assert not data.allowed and data.rule == Rule.DENY_BY_DEFAULT


def test_administrative_actions_need_their_roles(instance: Instance, people: People) -> None:
    policy = Policy(instance)
    assert policy.decide(people.steward, Action.MANAGE_GRANTS, Resource("grant", "*")).allowed
    for actor in (people.admin, people.own, people.researcher):
        refused = policy.decide(actor, Action.MANAGE_GRANTS, Resource("grant", "*"))
        assert not refused.allowed and refused.rule == Rule.ROLE_REQUIRED and "steward" in refused.message()
    assert policy.decide(people.admin, Action.MANAGE_USERS, Resource("user", "x")).allowed
    assert not policy.decide(people.own, Action.READ_AUDIT, Resource("audit", "*")).allowed
    assert policy.decide(people.own, Action.FETCH_PACKAGE, Resource("request", "OUT-1", owner="kg")).allowed
    other = policy.decide(people.region, Action.FETCH_PACKAGE, Resource("request", "OUT-1", owner="kg"))
    assert not other.allowed and other.rule == Rule.NOT_RECIPIENT


def test_the_national_variant_database_is_read_by_clinical_roles_and_written_by_a_department_for_itself(
    instance: Instance, people: People
) -> None:
    policy = Policy(instance)
    submitter = dataclasses.replace(people.own, username="sub", role=Role.SUBMITTER)
    view = Resource("variant", "chr19-11100236-C-T")
    for reader in (people.own, people.steward, submitter):
        read = policy.decide(reader, Action.READ_CLASSIFICATIONS, view)
        assert read.allowed and read.rule == Rule.NATIONAL_VARIANT_DATABASE and read.legal_basis
    for outsider in (people.researcher, people.admin):
        refused = policy.decide(outsider, Action.READ_CLASSIFICATIONS, view)
        assert not refused.allowed and refused.rule == Rule.ROLE_REQUIRED
    own = Resource("assertion", "CLS-1", departments=("RH-KG",))
    written = policy.decide(people.own, Action.WRITE_CLASSIFICATION, own)
    assert (
        written.allowed
        and written.rule == Rule.OWN_DEPARTMENT
        and "own variant classifications" in (written.legal_basis or "")
    )
    other = policy.decide(people.other, Action.WRITE_CLASSIFICATION, own)
    assert not other.allowed and other.rule == Rule.OWN_DEPARTMENT_ONLY
    assert "RH-KG" in other.message() and "RM-KG" in other.message() and "own-department-only" in other.message()
    for role_refused in (people.steward, people.admin, people.researcher, submitter):
        decision = policy.decide(role_refused, Action.WRITE_CLASSIFICATION, own)
        assert not decision.allowed and decision.rule == Rule.ROLE_REQUIRED, role_refused
    case = Resource("conflict", "CNF-1", departments=("RH-KG", "RM-KG"))
    assert policy.decide(people.other, Action.UPDATE_CONFLICT, case).allowed
    region = policy.decide(people.region, Action.UPDATE_CONFLICT, case)
    assert (
        not region.allowed and region.rule == Rule.OWN_DEPARTMENT_ONLY and "involves RH-KG, RM-KG" in region.message()
    )
    worklist = Resource("worklist", "RM-KG", departments=("RM-KG",))
    assert policy.decide(people.other, Action.READ_WORKLIST, worklist).allowed
    assert not policy.decide(people.own, Action.READ_WORKLIST, worklist).allowed
    assert not policy.decide(people.steward, Action.READ_WORKLIST, worklist).allowed
    entries = policy.audit.search(_ALL)
    refused_write = next(e for e in entries if e.actor == "aarhus" and e.action == "write-classification")
    assert refused_write.decision == "refused" and refused_write.detail["departments"] == ["RH-KG"]
    assert policy.audit.verify().ok
