"""Reads of the metadata catalogue through the access policy, for every surface (REST service and CLI alike).

Every person and sample shown was allowed, and audited, first. A search returns exactly the current samples that
match the filters *and* that the policy lets the actor read (up to the limit): a clinician or submitter sees their
department's and region's samples and those their treatment grants cover, a steward every catalogue record.
Submissions are read by their department's submitters and by stewards; an unknown submission id and another
department's get the same refusal, as unknown and foreign samples and persons do.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from genomdb.access.policy import SUBMISSION_READERS, Policy
from genomdb.access.records import Action, Actor, Resource, Role
from genomdb.errors import Forbidden, NotFound
from genomdb.instance import Instance
from genomdb.model.catalog import Person, SampleDetail, SampleSummary, SearchFilters, Submission, SubmissionListing

Via = Literal["cli", "api"]

CATALOG_READERS = frozenset({Role.SUBMITTER, Role.CLINICIAN, Role.STEWARD})
"""Who searches and reads the catalogue at all (the policy then decides each record): the clinical roles, whose
automatic rules (own department, same region) and treatment grants give them records, and data stewards.
Researchers read person-level data only under a named research grant, through data-out."""

_FIRST_PAGE = 1000


def _detail(via: Via, what: str) -> dict[str, str]:
    return {"via": via, "request": what}


def require_catalog_reader(actor: Actor) -> None:
    """Forbidden unless the actor's role reads the catalogue at all (the REST routes use the same roles)."""
    if actor.role not in CATALOG_READERS:
        roles = " or ".join(sorted(CATALOG_READERS))
        raise Forbidden(
            f"the catalogue is read by a {roles}; {actor.username} is a {actor.role}. To get access: a researcher "
            "asks for a research grant and a working copy (`genomdb out request --grant GRT-…`)"
        )


def search_samples(instance: Instance, actor: Actor, filters: SearchFilters, *, via: Via) -> list[SampleSummary]:
    """Current samples matching the filters that the policy lets the actor read, at most ``filters.limit``, in
    catalogue order. Every sample looked at is decided (and audited) once."""
    require_catalog_reader(actor)
    policy = Policy(instance)
    shown: list[SampleSummary] = []
    n_decided = 0
    page = max(filters.limit, _FIRST_PAGE)
    while True:
        found = instance.catalog.search(dataclasses.replace(filters, limit=page))
        fresh = found[n_decided:]
        n_decided = len(found)
        if fresh:
            resources = policy.samples(policy.catalog.samples_by_keys(s.sample_key for s in fresh))
            decisions = policy.decide_many(
                actor, Action.READ_METADATA, resources, detail=_detail(via, "catalog search")
            )
            allowed = {d.resource.identifier for d in decisions if d.allowed}
            shown.extend(s for s in fresh if s.sample_key in allowed)
        if len(shown) >= filters.limit or len(found) < page:
            return shown[: filters.limit]
        page *= 4


def show_sample(instance: Instance, actor: Actor, key: str, *, via: Via) -> SampleDetail:
    """One current sample (by ``SMP-…`` key or the department's id), when the policy allows it."""
    require_catalog_reader(actor)
    policy = Policy(instance)
    resource = policy.sample(key)
    decision = policy.decide(actor, Action.READ_METADATA, resource, detail=_detail(via, "catalog show sample"))
    if not decision.allowed:
        if resource.sample is None and actor.role == Role.STEWARD:
            raise NotFound(f"no current sample {key}")
        raise Forbidden(decision.message())
    assert resource.sample is not None
    return instance.catalog.sample(resource.sample.sample_key)


def show_person(instance: Instance, actor: Actor, pseudonym: str, *, via: Via) -> tuple[Person, list[SampleSummary]]:
    """A person and those of their current samples the policy lets the actor read (at least one, else refused)."""
    require_catalog_reader(actor)
    policy = Policy(instance)
    resources = policy.person_samples(pseudonym)
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail=_detail(via, "catalog show person"))
    allowed = {d.resource.sample.sample_key for d in decisions if d.allowed and d.resource.sample is not None}
    if not allowed:
        if all(r.sample is None for r in resources) and actor.role == Role.STEWARD:
            raise NotFound(f"no person with current samples and pseudonym {pseudonym}")
        raise Forbidden(decisions[0].message())
    person, samples = instance.catalog.person(pseudonym)
    return person, [s for s in samples if s.sample_key in allowed]


def show_submission(instance: Instance, actor: Actor, submission_id: str, *, via: Via) -> Submission:
    """A submission with every version (and its report) and every event, for its department's submitters and for
    stewards. An unknown id is refused exactly like another department's (a steward gets NotFound)."""
    require_submission(instance, actor, submission_id, via=via, request="show submission")
    return instance.catalog.submission(submission_id)


def require_submission(instance: Instance, actor: Actor, submission_id: str, *, via: Via, request: str) -> None:
    """Forbidden (decided and audited by the policy) unless the actor may read the submission — the same refusal
    for an unknown id as for another department's; NotFound for a steward asking for an unknown id."""
    try:
        department, _ = instance.catalog.submission_department(submission_id)
        departments: tuple[str, ...] = (department,)
    except NotFound:
        departments = ()
    resource = Resource("submission", submission_id, departments=departments)
    Policy(instance).require(actor, Action.READ_SUBMISSION, resource, detail=_detail(via, request))
    if not departments:
        raise NotFound(f"no submission {submission_id}")


def list_submissions(
    instance: Instance, actor: Actor, *, department: str | None = None, limit: int = 1000
) -> list[SubmissionListing]:
    """A steward's view of every department's submissions (or one department's), a submitter's of its own
    department's; asking a submitter's view for another department is refused."""
    if actor.role not in SUBMISSION_READERS:
        raise Forbidden(
            f"submissions are listed for a department's submitters and for data stewards; {actor.username} is a "
            f"{actor.role}"
        )
    if actor.role == Role.SUBMITTER:
        if department is not None and department != actor.department:
            raise Forbidden(
                f"a submitter lists its own department's submissions ({actor.department}), not {department}'s"
            )
        department = actor.department
    return instance.catalog.submissions(department=department, limit=limit)
