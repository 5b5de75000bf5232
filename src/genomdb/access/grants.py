"""Grants: recorded permissions for reads the automatic rules do not allow. Stewards create, list and revoke them."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import secrets
from collections.abc import Sequence

from genomdb.access.policy import Policy
from genomdb.access.records import (
    Action,
    Actor,
    GenomicInterval,
    Grant,
    NewGrant,
    Purpose,
    Resource,
    Role,
    merge_intervals,
)
from genomdb.db.base import utcnow
from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.instance import Instance
from genomdb.model.catalog import SampleFacts, SearchFilters
from genomdb.pseudonyms import is_pseudonym
from genomdb.refdata.genes import find_gene

_QUERY_LIMIT = 10_000_000


def panel_regions(symbols: Sequence[str]) -> tuple[GenomicInterval, ...]:
    """The GRCh38 spans of a gene panel (from genomdb's gene table), merged."""
    problems = []
    spans = []
    for symbol in symbols:
        try:
            gene = find_gene(symbol)
        except NotFound as exc:
            problems.append(Problem("panel", exc.message, field="gene", found=symbol))
            continue
        spans.append(GenomicInterval(gene.chrom, gene.start_1based, gene.end_1based))
    if problems:
        raise InvalidInput("unknown genes in the panel", problems)
    return merge_intervals(spans)


def _grant_id() -> str:
    return "GRT-" + base64.b32encode(secrets.token_bytes(5)).decode("ascii")


def create_grant(instance: Instance, actor: Actor, new: NewGrant) -> Grant:
    """Record a grant after checking it is complete: grantee, scope, purpose with its reference, basis, expiry."""
    policy = Policy(instance)
    repository = policy.repository
    problems: list[Problem] = []

    def problem(field: str, message: str, expected: str | None = None, found: str | None = None) -> None:
        problems.append(Problem("grant", message, field=field, expected=expected, found=found))

    if (new.grantee_user is None) == (new.grantee_department is None):
        problem("to", "name exactly one grantee: a user or a department", "--to-user or --to-department")
    elif new.grantee_user is not None and repository.user(new.grantee_user) is None:
        problem("to", "no such user", "an existing user", new.grantee_user)
    elif new.grantee_department is not None and instance.catalog.department(new.grantee_department) is None:
        problem("to", "no such department", "a department code, e.g. RH-KG", new.grantee_department)
    scope = new.scope
    if not (scope.persons or scope.samples or (scope.query is not None and not scope.query.is_empty())):
        problem("scope", "a grant must name persons, samples or a catalog query", "--persons, --samples or --query-*")
    for pseudonym in scope.persons:
        if not is_pseudonym(pseudonym) or not instance.catalog.known_pseudonyms([pseudonym]):
            problem("persons", "not a known person pseudonym", "GDB-…", pseudonym)
    sample_keys = []
    for key in scope.samples:
        facts = policy.catalog.sample_facts(key)
        if facts is None:
            problem("samples", "not a current sample", "SMP-… or a department's unique sample id", key)
        else:
            sample_keys.append(facts.sample_key)
    if not new.reference.strip():
        what = "the referral id" if new.purpose == Purpose.TREATMENT else "the approval id"
        problem("reference", f"{new.purpose} grants need {what}")
    if new.purpose == Purpose.RESEARCH and not (new.project or "").strip():
        problem("project", "research grants need the project id (it keys the project's pseudonyms)")
    if new.purpose == Purpose.TREATMENT and new.project:
        problem("project", "only research grants have a project")
    if not new.legal_basis.strip():
        problem("legal_basis", "every grant needs its legal basis", "e.g. 'Sundhedsloven § 42 a: referral'")
    if new.expires_at <= utcnow():
        problem("expires", "the expiry must lie in the future", found=new.expires_at.isoformat())
    if new.expires_at > utcnow() + dt.timedelta(days=366 * 10):
        problem("expires", "grants last at most ten years", found=new.expires_at.isoformat())
    if problems:
        raise InvalidInput("cannot create the grant", problems)
    normalised = NewGrant(
        scope=type(scope)(
            persons=tuple(sorted(set(scope.persons))),
            samples=tuple(sorted(set(sample_keys))),
            query=scope.query if scope.query is not None and not scope.query.is_empty() else None,
            regions=merge_intervals([*scope.regions, *panel_regions(scope.panel)]),
            panel=tuple(sorted({g.upper() for g in scope.panel})),
        ),
        purpose=new.purpose,
        reference=new.reference.strip(),
        legal_basis=new.legal_basis.strip(),
        expires_at=new.expires_at,
        grantee_user=new.grantee_user,
        grantee_department=new.grantee_department,
        project=(new.project or "").strip() or None,
    )
    grant_id = _grant_id()
    policy.require(
        actor,
        Action.MANAGE_GRANTS,
        Resource("grant", grant_id),
        detail={
            "operation": "create",
            "grantee": normalised.grantee_user or normalised.grantee_department,
            "purpose": normalised.purpose.value,
            "reference": normalised.reference,
            "scope": normalised.scope.to_dict(),
            "expires": normalised.expires_at.isoformat(),
        },
    )
    return repository.add_grant(grant_id, normalised, granted_by=actor.username)


def samples_in_scope(policy: Policy, grant: Grant) -> list[SampleFacts]:
    """Every current sample a grant's scope names (by sample or person) or finds (by its catalog query)."""
    catalog = policy.catalog
    found = {f.sample_key: f for f in catalog.samples_by_keys(grant.scope.samples)}
    for pseudonym in grant.scope.persons:
        found.update((f.sample_key, f) for f in catalog.samples_of_person(pseudonym))
    if grant.scope.query is not None:
        filters = SearchFilters(**dataclasses.asdict(grant.scope.query), limit=_QUERY_LIMIT)
        found.update((f.sample_key, f) for f in catalog.samples_matching(filters))
    return sorted(found.values(), key=lambda f: f.sample_key)


def list_grants(instance: Instance, actor: Actor, *, include_inactive: bool = False) -> list[Grant]:
    """All grants for a steward; for anyone else, the grants naming them or their department."""
    policy = Policy(instance)
    now = utcnow()
    if actor.role == Role.STEWARD:
        policy.require(actor, Action.MANAGE_GRANTS, Resource("grant", "*"), detail={"operation": "list"})
        found = policy.repository.grants()
    else:
        found = policy.repository.grants(naming=actor)
    return [g for g in found if include_inactive or g.state(now) == "active"]


def revoke_grant(instance: Instance, actor: Actor, grant_id: str, *, reason: str) -> Grant:
    """Revoke a grant from now on; decisions made under it stay in the audit log."""
    if not reason.strip():
        raise InvalidInput("a revocation needs a reason", [Problem("grant", "missing reason", field="reason")])
    policy = Policy(instance)
    policy.require(
        actor, Action.MANAGE_GRANTS, Resource("grant", grant_id), detail={"operation": "revoke", "reason": reason}
    )
    return policy.repository.revoke_grant(grant_id, by=actor.username, reason=reason.strip())
