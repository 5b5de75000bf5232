"""The national variant database as its users act on it: every write, and every person-level read, decided by the
access policy (and audited) before anything is written or shown.

The REST service (``genomdb.api.services.classifications``) and the CLI (``genomdb classify``) call these same
functions with the acting user: an API token's user, or the CLI's ``--as USER`` / ``GENOMDB_USER``; ``via`` says
which, and is recorded in the audit entry. Who may do what is the policy's (``genomdb.access.policy``,
``CLASSIFICATION_ROLES`` and its department rule): a department's clinicians record, reclassify, import and
withdraw only their own department's assertions, update only conflict cases their department is involved in and
read only their own department's recontact worklist; the FAF95 thresholds of the instance are set by data
stewards. A refused write writes nothing but the refusal in the audit log.

Reads of the national view, histories, conflict cases and the national export hold no person-level data; they are
here so that both shells read through one module. The demo loader seeds its replayed history directly through
:class:`ClassificationDatabase` (the instance itself, source ``demo``), not as a user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Resource
from genomdb.access.tiers import highest_tier
from genomdb.classification.database import ClassificationDatabase, Moment, VariantReport
from genomdb.classification.frequency_evidence import FrequencyObservation, FrequencySuggestion, FrequencyThresholds
from genomdb.classification.model import (
    AddOutcome,
    AssertionVersion,
    ConflictCase,
    ConflictState,
    ImportOutcome,
    NationalView,
    NewAssertion,
    Reclassification,
    RecontactWorklist,
)
from genomdb.frequency.disclosure import Tier
from genomdb.instance import Instance

Via = Literal["cli", "api"]
"""The surface a request came through, recorded in its audit entry and as the source of what it writes."""


def _detail(via: Via, request: str, **facts: Any) -> dict[str, Any]:
    return {"via": via, "request": request, **{k: v for k, v in facts.items() if v is not None}}


# --- writes: decided (and audited) by the policy before anything is written -----------------------------------


def record_assertion(
    instance: Instance, actor: Actor, assertion: NewAssertion, *, department: str | None = None, via: Via = "api"
) -> AddOutcome:
    """Record a classification for the actor's own department (a new assertion, or a new version of the
    department's assertion about the same variant and condition). Naming another department is refused."""
    target = department or actor.department
    resource = Resource("classification", assertion.variant, departments=(target,) if target else ())
    detail = _detail(
        via,
        "record classification",
        department=target,
        condition=assertion.condition.key,
        acmg_class=assertion.acmg_class.value,
    )
    Policy(instance).require(actor, Action.WRITE_CLASSIFICATION, resource, detail=detail)
    assert target is not None
    with ClassificationDatabase(instance) as database:
        return database.add(target, assertion, source=via)


def import_classifications(
    instance: Instance,
    actor: Actor,
    path: Path,
    *,
    department: str | None = None,
    file_format: str | None = None,
    via: Via = "cli",
) -> ImportOutcome:
    """Import a department's TSV or VCF export for the actor's own department (naming another is refused before
    the file is read). Any bad row rejects the whole file; rows identical to what is recorded are skipped."""
    target = department or actor.department
    resource = Resource("import", path.name, departments=(target,) if target else ())
    detail = _detail(via, "import classifications", department=target, file=path.name, format=file_format)
    Policy(instance).require(actor, Action.WRITE_CLASSIFICATION, resource, detail=detail)
    assert target is not None
    with ClassificationDatabase(instance) as database:
        return database.import_file(target, path, file_format=file_format, source="import")


def reclassify(
    instance: Instance, actor: Actor, assertion_id: str, change: Reclassification, *, via: Via = "api"
) -> AddOutcome:
    """A new version of an assertion, by the department that owns it."""
    with ClassificationDatabase(instance) as database:
        current = database.assertion(assertion_id)
        resource = Resource("assertion", assertion_id, departments=(current.department,))
        detail = _detail(via, "reclassify", acmg_class=change.acmg_class.value, reason=change.reason)
        Policy(instance).require(actor, Action.WRITE_CLASSIFICATION, resource, detail=detail)
        return database.add(current.department, change.applied_to(current), source=via)


def withdraw(
    instance: Instance,
    actor: Actor,
    assertion_id: str,
    *,
    reason: str,
    classifier: str = "",
    via: Via = "api",
) -> AddOutcome:
    """Withdraw an assertion, by the department that owns it (a new version; the history is kept)."""
    with ClassificationDatabase(instance) as database:
        current = database.assertion(assertion_id)
        resource = Resource("assertion", assertion_id, departments=(current.department,))
        Policy(instance).require(
            actor, Action.WRITE_CLASSIFICATION, resource, detail=_detail(via, "withdraw", reason=reason)
        )
        return database.withdraw(
            assertion_id, department=current.department, reason=reason, classifier=classifier, source=via
        )


def update_conflict(
    instance: Instance, actor: Actor, conflict_id: str, *, state: ConflictState, text: str, via: Via = "api"
) -> ConflictCase:
    """Move a conflict case to under discussion (``text`` the note) or resolved (``text`` the resolution), by a
    department involved in it; the event records the user."""
    with ClassificationDatabase(instance) as database:
        case = database.conflict(conflict_id)
        resource = Resource("conflict", conflict_id, departments=case.departments)
        Policy(instance).require(
            actor,
            Action.UPDATE_CONFLICT,
            resource,
            detail=_detail(via, "update conflict", state=state.value, note=text),
        )
        if state is ConflictState.RESOLVED:
            return database.resolve_conflict(conflict_id, actor=actor.username, resolution=text)
        return database.discuss_conflict(conflict_id, actor=actor.username, note=text)


def set_thresholds(
    instance: Instance, actor: Actor, thresholds: FrequencyThresholds, *, via: Via = "cli"
) -> FrequencyThresholds:
    """Set the instance's FAF95 thresholds for a gene (or the default): a data steward's act, audited."""
    resource = Resource("thresholds", thresholds.gene or "*")
    detail = _detail(
        via,
        "set frequency thresholds",
        ba1=thresholds.ba1_above,
        bs1=thresholds.bs1_above,
        pm2=thresholds.pm2_below,
        pm2_label=thresholds.pm2_label,
        source=thresholds.source,
    )
    Policy(instance).require(actor, Action.CONFIGURE_CLASSIFICATION, resource, detail=detail)
    with ClassificationDatabase(instance) as database:
        database.set_frequency_thresholds(thresholds)
        return database.frequency_thresholds(thresholds.gene)


# --- person-level reads: audited ------------------------------------------------------------------------------


def worklists(
    instance: Instance,
    actor: Actor,
    *,
    department: str | None = None,
    variant: str | None = None,
    via: Via = "api",
) -> tuple[str, list[RecontactWorklist]]:
    """The actor's department's recontact worklists (asking for another department's is refused). Every person
    on them is read through the access policy, and each decision is in the audit log."""
    wanted = department or actor.department
    policy = Policy(instance)
    resource = Resource("worklist", wanted or "(none)", departments=(wanted,) if wanted else ())
    policy.require(actor, Action.READ_WORKLIST, resource, detail=_detail(via, "recontact worklist", variant=variant))
    assert wanted is not None
    with ClassificationDatabase(instance) as database:
        found = database.worklists(wanted, variant=variant)
    keys = {entry.sample_key for worklist in found for entry in worklist.entries}
    if not keys:
        return wanted, found
    resources = policy.samples(policy.catalog.samples_by_keys(keys))
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail=_detail(via, "recontact worklist"))
    allowed = {d.resource.identifier for d in decisions if d.allowed}
    return wanted, [
        dataclasses.replace(w, entries=tuple(e for e in w.entries if e.sample_key in allowed)) for w in found
    ]


# --- reads of the national variant database (no person-level data) -------------------------------------------


def national_view(instance: Instance, variant: str, *, as_of: Moment | None = None) -> NationalView:
    """What the database says about a variant now, or said at ``as_of``."""
    with ClassificationDatabase(instance) as database:
        return database.national_view(variant, as_of=as_of)


def report(
    instance: Instance, variant: str, *, actor: Actor | None = None, as_of: Moment | None = None
) -> VariantReport:
    """The national view with the conflict case (``genomdb classify show``) and, for an actor whose role may see
    the controlled frequency tier (its counts are exact), the national frequency and the criteria it suggests."""
    with ClassificationDatabase(instance) as database:
        return database.show(variant, as_of=as_of, frequency=sees_frequency(actor))


def sees_frequency(actor: Actor | None) -> bool:
    """Whether the actor's role may see the controlled frequency tier that frequency evidence is computed from."""
    return actor is not None and highest_tier(actor.role) is Tier.CONTROLLED


def history(
    instance: Instance,
    variant: str | None = None,
    *,
    assertion_id: str | None = None,
    department: str | None = None,
    as_of: Moment | None = None,
) -> list[AssertionVersion]:
    """Every version (recorded by ``as_of``), oldest first: of a variant's assertions, of one assertion, or of a
    department's."""
    with ClassificationDatabase(instance) as database:
        if assertion_id is not None:
            return database.history(assertion_id=assertion_id, as_of=as_of)
        return database.history(variant, department=department, as_of=as_of)


def conflicts(
    instance: Instance,
    *,
    states: Sequence[ConflictState] | None = None,
    department: str | None = None,
    variant: str | None = None,
) -> list[ConflictCase]:
    """Conflict cases, oldest first; by state, by a department involved, by variant."""
    with ClassificationDatabase(instance) as database:
        return database.conflicts(states=states, department=department, variant=variant)


@dataclass(frozen=True, slots=True)
class FrequencyEvidence:
    """What the national frequency suggests for a variant, with the thresholds that applied."""

    variant_key: str
    gene: str | None
    observation: FrequencyObservation | None
    thresholds: FrequencyThresholds
    suggestions: tuple[FrequencySuggestion, ...]


def frequency_evidence(instance: Instance, variant: str, *, gene: str | None = None) -> FrequencyEvidence:
    """BA1/BS1/PM2 as the national FAF95 suggests them (the gene's thresholds: the one given, else the gene the
    departments named). Computed from controlled-tier counts: the caller checks the tier first."""
    with ClassificationDatabase(instance) as database:
        key = database.variant_key(variant)
        if gene is None:
            genes = database.national_view(key).genes
            gene = genes[0] if genes else None
        observation, suggestions = database.frequency_evidence(key, gene=gene)
        thresholds = database.frequency_thresholds(gene)
    return FrequencyEvidence(key, gene, observation, thresholds, suggestions)


def frequency_thresholds(instance: Instance, gene: str | None) -> FrequencyThresholds:
    """The FAF95 thresholds that apply to a gene (the instance default for None)."""
    with ClassificationDatabase(instance) as database:
        return database.frequency_thresholds(gene)


def export_national(instance: Instance, out: TextIO, *, file_format: str, as_of: Moment | None = None) -> int:
    """Write the national consensus as TSV or VCF; return the number of variants written."""
    with ClassificationDatabase(instance) as database:
        return database.export_national(out, file_format=file_format, as_of=as_of)


def export_department(instance: Instance, department: str, out: TextIO, *, as_of: Moment | None = None) -> int:
    """Write a department's current assertions in the ClinVar submission spreadsheet's germline columns."""
    with ClassificationDatabase(instance) as database:
        return database.export_department(department, out, as_of=as_of)
