"""Person-level catalog reads through the access policy: every record shown was allowed, and audited, first."""

from __future__ import annotations

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Role
from genomdb.api.context import Caller, ServiceContext
from genomdb.errors import Forbidden, NotFound, Unavailable
from genomdb.model.catalog import Person, SampleDetail, SampleSummary, SearchFilters


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a person-level read reached the service without an authenticated caller")
    return caller.actor


def _detail(what: str) -> dict[str, str]:
    return {"via": "api", "request": what}


def search_samples(context: ServiceContext, caller: Caller, filters: SearchFilters) -> list[SampleSummary]:
    """Current samples matching the filters that the policy lets the caller see (each decision is audited)."""
    actor = _actor(caller)
    found = context.instance.catalog.search(filters)
    if not found:
        return []
    policy = Policy(context.instance)
    resources = policy.samples(policy.catalog.samples_by_keys(s.sample_key for s in found))
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail=_detail("catalog search"))
    allowed = {d.resource.identifier for d in decisions if d.allowed}
    return [s for s in found if s.sample_key in allowed]


def show_sample(context: ServiceContext, caller: Caller, key: str) -> SampleDetail:
    """One current sample (by ``SMP-…`` key or the department's id), when the policy allows it."""
    actor = _actor(caller)
    policy = Policy(context.instance)
    resource = policy.sample(key)
    decision = policy.decide(actor, Action.READ_METADATA, resource, detail=_detail("catalog show sample"))
    if not decision.allowed:
        if resource.sample is None and actor.role == Role.STEWARD:
            raise NotFound(f"no current sample {key}")
        raise Forbidden(decision.message())
    assert resource.sample is not None
    return context.instance.catalog.sample(resource.sample.sample_key)


def show_person(context: ServiceContext, caller: Caller, pseudonym: str) -> tuple[Person, list[SampleSummary]]:
    """A person and those of their current samples the policy lets the caller see (at least one, else refused)."""
    actor = _actor(caller)
    policy = Policy(context.instance)
    resources = policy.person_samples(pseudonym)
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail=_detail("catalog show person"))
    allowed = {d.resource.sample.sample_key for d in decisions if d.allowed and d.resource.sample is not None}
    if not allowed:
        if all(r.sample is None for r in resources) and actor.role == Role.STEWARD:
            raise NotFound(f"no person with current samples and pseudonym {pseudonym}")
        raise Forbidden(decisions[0].message())
    person, samples = context.instance.catalog.person(pseudonym)
    return person, [s for s in samples if s.sample_key in allowed]
