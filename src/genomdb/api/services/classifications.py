"""The national variant database through the service: the service's side of
:mod:`genomdb.classification.service`, which ``genomdb classify`` calls too.

Who may do what is the policy's (``genomdb.access.policy.CLASSIFICATION_ROLES`` and its department rule): the
route rules admit the roles, and every write is decided by the policy in the domain service — a department writes
only its own assertions and updates only conflict cases it is involved in — with the decision in the audit log
before anything is written. A recontact worklist is person-level: every person on it is read through the policy.
National views, histories, conflict cases and the national export hold no person-level data and are not audited,
like frequency look-ups.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from genomdb.access.records import Actor
from genomdb.api.context import Caller, ServiceContext
from genomdb.classification import service
from genomdb.classification.database import Moment
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
from genomdb.classification.service import FrequencyEvidence
from genomdb.errors import Unavailable
from genomdb.frequency.disclosure import Tier


def _actor(caller: Caller) -> Actor:
    if caller.actor is None:
        raise Unavailable("a national variant database request reached the service without an authenticated caller")
    return caller.actor


# --- writes: decided (and audited) by the policy before anything is written -----------------------------------


def record_assertion(
    context: ServiceContext, caller: Caller, assertion: NewAssertion, *, department: str | None = None
) -> AddOutcome:
    """Record a classification for the caller's own department; naming another department is refused."""
    return service.record_assertion(context.instance, _actor(caller), assertion, department=department, via="api")


def reclassify(context: ServiceContext, caller: Caller, assertion_id: str, change: Reclassification) -> AddOutcome:
    """A new version of an assertion, by the department that owns it."""
    return service.reclassify(context.instance, _actor(caller), assertion_id, change, via="api")


def withdraw(
    context: ServiceContext, caller: Caller, assertion_id: str, *, reason: str, classifier: str = ""
) -> AddOutcome:
    """Withdraw an assertion, by the department that owns it (a new version; the history is kept)."""
    return service.withdraw(
        context.instance, _actor(caller), assertion_id, reason=reason, classifier=classifier, via="api"
    )


def update_conflict(
    context: ServiceContext, caller: Caller, conflict_id: str, *, state: ConflictState, text: str
) -> ConflictCase:
    """Move a conflict case to under discussion or resolved, by a department involved in it."""
    return service.update_conflict(context.instance, _actor(caller), conflict_id, state=state, text=text, via="api")


# --- person-level reads: audited ------------------------------------------------------------------------------


def worklists(
    context: ServiceContext, caller: Caller, *, department: str | None = None, variant: str | None = None
) -> tuple[str, list[RecontactWorklist]]:
    """The caller's department's recontact worklists, every person on them read through the policy."""
    return service.worklists(context.instance, _actor(caller), department=department, variant=variant, via="api")


# --- reads of the national variant database (no person-level data) -------------------------------------------


def national_view(context: ServiceContext, caller: Caller, variant: str, *, as_of: Moment | None) -> NationalView:
    """What the database says about a variant now, or said at ``as_of``."""
    return service.national_view(context.instance, variant, as_of=as_of)


def variant_history(
    context: ServiceContext, caller: Caller, variant: str, *, as_of: Moment | None, department: str | None
) -> list[AssertionVersion]:
    """Every version of every assertion about a variant (recorded by ``as_of``), oldest first."""
    return service.history(context.instance, variant, department=department, as_of=as_of)


def assertion_history(
    context: ServiceContext, caller: Caller, assertion_id: str, *, as_of: Moment | None
) -> list[AssertionVersion]:
    """Every version of one assertion (recorded by ``as_of``), oldest first."""
    return service.history(context.instance, assertion_id=assertion_id, as_of=as_of)


def conflicts(
    context: ServiceContext,
    caller: Caller,
    *,
    states: Sequence[ConflictState] | None,
    department: str | None,
    variant: str | None,
) -> list[ConflictCase]:
    """Conflict cases, oldest first; by state, by a department involved, by variant."""
    return service.conflicts(context.instance, states=states, department=department, variant=variant)


def frequency_evidence(context: ServiceContext, caller: Caller, variant: str, *, gene: str | None) -> FrequencyEvidence:
    """BA1/BS1/PM2 as the national FAF95 suggests them (the gene's thresholds: the one given, else the gene the
    departments named). The counts behind it are the controlled tier's, so the caller must be allowed that tier."""
    caller.tier(Tier.CONTROLLED)
    return service.frequency_evidence(context.instance, variant, gene=gene)


def export_national(
    context: ServiceContext, caller: Caller, *, file_format: str, as_of: Moment | None
) -> tuple[str, int]:
    """The national consensus as TSV or VCF (``genomdb classify export --national``), and its number of variants."""
    out = io.StringIO()
    n_variants = service.export_national(context.instance, out, file_format=file_format, as_of=as_of)
    return out.getvalue(), n_variants
