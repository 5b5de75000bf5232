"""The national variant database through the service: the same :class:`ClassificationDatabase` as
``genomdb classify``, behind the access policy.

Who may do what is the policy's (``genomdb.access.policy.CLASSIFICATION_ROLES`` and its department rule): the
route rules admit the roles, and every write is decided by :meth:`Policy.require` — a department writes only its
own assertions and updates only conflict cases it is involved in — with the decision in the audit log before
anything is written. A recontact worklist is person-level: the department is decided first, then every person on
it is read through the policy (``read-metadata``), each decision audited. National views, histories, conflict
cases and the national export hold no person-level data and are not audited, like frequency look-ups.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Resource
from genomdb.api.context import Caller, ServiceContext
from genomdb.classification.database import ClassificationDatabase, Moment
from genomdb.classification.frequency_evidence import FrequencyObservation, FrequencySuggestion, FrequencyThresholds
from genomdb.classification.model import (
    AddOutcome,
    AssertionVersion,
    ConflictCase,
    ConflictState,
    NationalView,
    NewAssertion,
    Reclassification,
    RecontactWorklist,
)
from genomdb.errors import Unavailable
from genomdb.frequency.disclosure import Tier


@dataclass(frozen=True, slots=True)
class FrequencyEvidence:
    """What the national frequency suggests for a variant, with the thresholds that applied."""

    variant_key: str
    gene: str | None
    observation: FrequencyObservation | None
    thresholds: FrequencyThresholds
    suggestions: tuple[FrequencySuggestion, ...]


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a national variant database request reached the service without an authenticated caller")
    return caller.actor


def _detail(request: str, **facts: Any) -> dict[str, Any]:
    return {"via": "api", "request": request, **{k: v for k, v in facts.items() if v is not None}}


def _open(context: ServiceContext) -> ClassificationDatabase:
    return ClassificationDatabase(context.instance)


# --- writes: decided (and audited) by the policy before anything is written -----------------------------------


def record_assertion(
    context: ServiceContext, caller: Caller, assertion: NewAssertion, *, department: str | None = None
) -> AddOutcome:
    """Record a classification for the caller's own department (a new assertion, or a new version of the
    department's assertion about the same variant and condition). Naming another department is refused."""
    actor = _actor(caller)
    target = department or actor.department
    resource = Resource("classification", assertion.variant, departments=(target,) if target else ())
    detail = _detail(
        "record classification",
        department=target,
        condition=assertion.condition.key,
        acmg_class=assertion.acmg_class.value,
    )
    Policy(context.instance).require(actor, Action.WRITE_CLASSIFICATION, resource, detail=detail)
    assert target is not None
    with _open(context) as database:
        return database.add(target, assertion, source="api")


def reclassify(context: ServiceContext, caller: Caller, assertion_id: str, change: Reclassification) -> AddOutcome:
    """A new version of an assertion, by the department that owns it."""
    actor = _actor(caller)
    with _open(context) as database:
        current = database.assertion(assertion_id)
        resource = Resource("assertion", assertion_id, departments=(current.department,))
        detail = _detail("reclassify", acmg_class=change.acmg_class.value, reason=change.reason)
        Policy(context.instance).require(actor, Action.WRITE_CLASSIFICATION, resource, detail=detail)
        return database.add(current.department, change.applied_to(current), source="api")


def withdraw(
    context: ServiceContext, caller: Caller, assertion_id: str, *, reason: str, classifier: str = ""
) -> AddOutcome:
    """Withdraw an assertion, by the department that owns it (a new version; the history is kept)."""
    actor = _actor(caller)
    with _open(context) as database:
        current = database.assertion(assertion_id)
        resource = Resource("assertion", assertion_id, departments=(current.department,))
        Policy(context.instance).require(
            actor, Action.WRITE_CLASSIFICATION, resource, detail=_detail("withdraw", reason=reason)
        )
        return database.withdraw(
            assertion_id, department=current.department, reason=reason, classifier=classifier, source="api"
        )


def update_conflict(
    context: ServiceContext, caller: Caller, conflict_id: str, *, state: ConflictState, text: str
) -> ConflictCase:
    """Move a conflict case to under discussion (``text`` the note) or resolved (``text`` the resolution), by a
    department involved in it; the event records the user."""
    actor = _actor(caller)
    with _open(context) as database:
        case = database.conflict(conflict_id)
        resource = Resource("conflict", conflict_id, departments=case.departments)
        Policy(context.instance).require(
            actor, Action.UPDATE_CONFLICT, resource, detail=_detail("update conflict", state=state.value, note=text)
        )
        if state is ConflictState.RESOLVED:
            return database.resolve_conflict(conflict_id, actor=actor.username, resolution=text)
        return database.discuss_conflict(conflict_id, actor=actor.username, note=text)


# --- person-level reads: audited ------------------------------------------------------------------------------


def worklists(
    context: ServiceContext, caller: Caller, *, department: str | None = None, variant: str | None = None
) -> tuple[str, list[RecontactWorklist]]:
    """The caller's department's recontact worklists (asking for another department's is refused). Every person
    on them is read through the access policy, and each decision is in the audit log."""
    actor = _actor(caller)
    wanted = department or actor.department
    policy = Policy(context.instance)
    resource = Resource("worklist", wanted or "(none)", departments=(wanted,) if wanted else ())
    policy.require(actor, Action.READ_WORKLIST, resource, detail=_detail("recontact worklist", variant=variant))
    assert wanted is not None
    with _open(context) as database:
        found = database.worklists(wanted, variant=variant)
    keys = {entry.sample_key for worklist in found for entry in worklist.entries}
    if not keys:
        return wanted, found
    resources = policy.samples(policy.catalog.samples_by_keys(keys))
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail=_detail("recontact worklist"))
    allowed = {d.resource.identifier for d in decisions if d.allowed}
    return wanted, [
        dataclasses.replace(w, entries=tuple(e for e in w.entries if e.sample_key in allowed)) for w in found
    ]


# --- reads of the national variant database (no person-level data) -------------------------------------------


def national_view(context: ServiceContext, caller: Caller, variant: str, *, as_of: Moment | None) -> NationalView:
    """What the database says about a variant now, or said at ``as_of``."""
    with _open(context) as database:
        return database.national_view(variant, as_of=as_of)


def variant_history(
    context: ServiceContext, caller: Caller, variant: str, *, as_of: Moment | None, department: str | None
) -> list[AssertionVersion]:
    """Every version of every assertion about a variant (recorded by ``as_of``), oldest first."""
    with _open(context) as database:
        return database.history(variant, department=department, as_of=as_of)


def assertion_history(
    context: ServiceContext, caller: Caller, assertion_id: str, *, as_of: Moment | None
) -> list[AssertionVersion]:
    """Every version of one assertion (recorded by ``as_of``), oldest first."""
    with _open(context) as database:
        return database.history(assertion_id=assertion_id, as_of=as_of)


def conflicts(
    context: ServiceContext,
    caller: Caller,
    *,
    states: Sequence[ConflictState] | None,
    department: str | None,
    variant: str | None,
) -> list[ConflictCase]:
    """Conflict cases, oldest first; by state, by a department involved, by variant."""
    with _open(context) as database:
        return database.conflicts(states=states, department=department, variant=variant)


def frequency_evidence(context: ServiceContext, caller: Caller, variant: str, *, gene: str | None) -> FrequencyEvidence:
    """BA1/BS1/PM2 as the national FAF95 suggests them (the gene's thresholds: the one given, else the gene the
    departments named). The counts behind it are the controlled tier's, so the caller must be allowed that tier."""
    caller.tier(Tier.CONTROLLED)
    with _open(context) as database:
        key = database.variant_key(variant)
        if gene is None:
            genes = database.national_view(key).genes
            gene = genes[0] if genes else None
        observation, suggestions = database.frequency_evidence(key, gene=gene)
        thresholds = database.frequency_thresholds(gene)
    return FrequencyEvidence(key, gene, observation, thresholds, suggestions)


def export_national(
    context: ServiceContext, caller: Caller, *, file_format: str, as_of: Moment | None
) -> tuple[str, int]:
    """The national consensus as TSV or VCF (``genomdb classify export --national``), and its number of variants."""
    out = io.StringIO()
    with _open(context) as database:
        n_variants = database.export_national(out, file_format=file_format, as_of=as_of)
    return out.getvalue(), n_variants
