"""The access policy: one decision function that every person-level read and every administrative act goes
through, and that writes its decision to the audit log in the same call.

Deny by default. A department reads its own submissions and a region its departments' (clinical roles);
stewards read catalogue records under data stewardship; anything else needs a grant naming the user or their
department, with a purpose, a legal basis and an expiry. Research grants are used only when named: they deliver
under project pseudonyms and never include a person who opted out of research.

The national variant database: the roles of :data:`CLASSIFICATION_ROLES` read it (the REST service's route rules
are built from that table); a department's clinicians record, reclassify and withdraw only their own department's
assertions, update only conflict cases their department is involved in, and read only their own department's
recontact worklist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from genomdb.access.audit import AuditLog
from genomdb.access.records import (
    CLINICAL_ROLES,
    LEGAL_BASES,
    Action,
    Actor,
    AuditDraft,
    Decision,
    Grant,
    Purpose,
    Resource,
    Role,
    Rule,
    Verdict,
    covered_by,
)
from genomdb.access.repository import AccessRepository
from genomdb.catalog.repository import Catalog
from genomdb.db.base import utcnow
from genomdb.instance import Instance
from genomdb.model.catalog import SampleFacts, SearchFilters

_WIDEN = "ask for regions inside the grant's, or ask a data steward to widen it"
PERSON_LEVEL = frozenset({Action.READ_METADATA, Action.READ_DATA})
_QUERY_LIMIT = 10_000_000
RESOURCE_ID_LENGTH = 200
"""The longest resource id an audit entry keeps (an id given by a user may be longer: it is cut, not refused)."""
Clock = Callable[[], dt.datetime]


def _grant_request_hint(actor: Actor, resource: Resource) -> str:
    what = "--persons" if resource.kind == "person" else "--samples"
    return (
        "ask a data steward for a grant with a purpose and legal basis, e.g. "
        f"`genomdb grants add --to-user {actor.username} {what} {resource.identifier} --purpose treatment "
        "--referral REFERRAL-ID --legal-basis TEXT --expires YYYY-MM-DD`"
    )


class Policy:
    """The policy of one instance: reads catalog facts and grants, decides, and audits every decision."""

    def __init__(self, instance: Instance, *, clock: Clock | None = None) -> None:
        self.instance = instance
        self.repository = AccessRepository(instance.db)
        self.catalog = instance.catalog
        self.audit = AuditLog(instance)
        self._clock = clock or utcnow

    # --- resources ----------------------------------------------------------------------------------

    def sample(self, key: str) -> Resource:
        """A sample by its key or the department's id; unknown samples get no facts (and are refused)."""
        return Resource("sample", key, sample=self.catalog.sample_facts(key))

    def samples(self, facts: Iterable[SampleFacts]) -> list[Resource]:
        return [Resource("sample", f.sample_key, sample=f) for f in facts]

    def person_samples(self, pseudonym: str) -> list[Resource]:
        """One resource per current sample of a person; a single fact-less resource when none is known."""
        found = self.catalog.samples_of_person(pseudonym)
        if not found:
            return [Resource("person", pseudonym)]
        return [Resource("person", pseudonym, sample=f) for f in found]

    def blob(self, sha256: str) -> list[Resource]:
        """The samples a stored file belongs to, as file resources."""
        found = self.catalog.samples_of_blob(sha256)
        if not found:
            return [Resource("file", sha256)]
        return [Resource("file", sha256, sample=f) for f in found]

    # --- decisions ----------------------------------------------------------------------------------

    def decide(
        self,
        actor: Actor,
        action: Action,
        resource: Resource,
        *,
        grant_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Decision:
        """Decide one action on one resource and append the decision to the audit log."""
        return self.decide_many(actor, action, [resource], grant_id=grant_id, detail=detail)[0]

    def decide_many(
        self,
        actor: Actor,
        action: Action,
        resources: Sequence[Resource],
        *,
        grant_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> list[Decision]:
        """Decide the same action on several resources; all decisions are appended in one transaction."""
        now = self._clock()
        grants: list[Grant] = []
        named: Grant | None = None
        if action in PERSON_LEVEL:
            grants = self.repository.grants(naming=actor)
            if grant_id is not None:
                named = next((g for g in grants if g.grant_id == grant_id), None)
        matcher = _QueryMatcher(self.catalog)
        decisions = [
            evaluate(
                actor,
                action,
                resource,
                grants=grants,
                named_grant_id=grant_id,
                named_grant=named,
                now=now,
                in_query=matcher,
            )
            for resource in resources
        ]
        drafts = [_draft(actor, decision, detail or {}) for decision in decisions]
        entries = self.audit.append(drafts)
        return [dataclasses.replace(d, audit_seq=e.seq) for d, e in zip(decisions, entries, strict=True)]

    def require(
        self,
        actor: Actor,
        action: Action,
        resource: Resource,
        *,
        grant_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Decision:
        """Decide, audit, and raise Forbidden (naming the rule and how to get access) unless allowed."""
        return self.decide(actor, action, resource, grant_id=grant_id, detail=detail).require()


def decide(
    instance: Instance,
    actor: Actor,
    action: Action,
    resource: Resource,
    *,
    grant_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Decision:
    """Decide one action of an actor on a resource; the decision is in the audit log when this returns."""
    return Policy(instance).decide(actor, action, resource, grant_id=grant_id, detail=detail)


class _QueryMatcher:
    """Which samples a grant's catalog query covers, computed once per grant and call."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._keys: dict[str, frozenset[str]] = {}

    def __call__(self, grant: Grant, facts: SampleFacts) -> bool:
        query = grant.scope.query
        if query is None:
            return False
        if grant.grant_id not in self._keys:
            filters = SearchFilters(**dataclasses.asdict(query), limit=_QUERY_LIMIT)
            self._keys[grant.grant_id] = frozenset(s.sample_key for s in self._catalog.search(filters))
        return facts.sample_key in self._keys[grant.grant_id]


def covers(grant: Grant, facts: SampleFacts, in_query: Callable[[Grant, SampleFacts], bool]) -> bool:
    """True when the sample is named by the grant (by sample or person) or found by its catalog query."""
    scope = grant.scope
    return (
        facts.sample_key in scope.samples
        or facts.pseudonym in scope.persons
        or (scope.query is not None and in_query(grant, facts))
    )


CLASSIFICATION_ROLES: dict[Action, frozenset[Role]] = {
    Action.READ_CLASSIFICATIONS: frozenset({Role.SUBMITTER, Role.CLINICIAN, Role.STEWARD}),
    Action.WRITE_CLASSIFICATION: frozenset({Role.CLINICIAN}),
    Action.UPDATE_CONFLICT: frozenset({Role.CLINICIAN}),
    Action.READ_WORKLIST: frozenset({Role.CLINICIAN}),
}
"""Who may act on the national variant database at all. Reading is open to the clinical roles (submitters and
clinicians) and to data stewards, as the variant browser's classification panel always was; researchers and
administrators do not read it. Writing, conflict cases and recontact worklists are a department's clinical work:
clinicians only, and only for their own department (stewards and administrators have no department)."""

_CLASSIFICATION_BASES: dict[Action, str] = {
    Action.WRITE_CLASSIFICATION: "clinical genetics: a department records its own variant classifications",
    Action.UPDATE_CONFLICT: "clinical genetics: the departments involved in a conflict case resolve it together",
    Action.READ_WORKLIST: "treatment: recontact of the department's own patients after a reclassification",
}
_CLASSIFICATION_REFUSALS: dict[Action, tuple[str, str]] = {
    Action.WRITE_CLASSIFICATION: (
        "{resource} is {owners}'s and {username} acts for {acting_for}: a department records, reclassifies and "
        "withdraws only its own assertions",
        "leave out `department` (it is always your own), or ask {owners} to record it",
    ),
    Action.UPDATE_CONFLICT: (
        "{resource} involves {owners}, not {acting_for}: only the departments involved in a conflict case update it",
        "ask {owners} to record the discussion or the resolution",
    ),
    Action.READ_WORKLIST: (
        "{resource} is {owners}'s and {username} acts for {acting_for}: a department's recontact worklist lists its "
        "own patients and is read by that department's clinicians only",
        "ask for your own department's worklist",
    ),
}
"""Why a department is refused, and what it can do instead: ``{resource}``, ``{owners}``, ``{username}`` and
``{acting_for}`` are filled in."""


def classification_roles(action: Action) -> frozenset[Role]:
    """The roles that may take a national-variant-database action at all (a department check may follow)."""
    return CLASSIFICATION_ROLES[action]


def evaluate(
    actor: Actor,
    action: Action,
    resource: Resource,
    *,
    grants: Sequence[Grant],
    named_grant_id: str | None,
    named_grant: Grant | None,
    now: dt.datetime,
    in_query: Callable[[Grant, SampleFacts], bool],
) -> Decision:
    """The rules, in order, as a pure function of the actor, the resource's facts, the actor's grants and the time."""
    if action in CLASSIFICATION_ROLES:
        return _classification(actor, action, resource)
    if action not in PERSON_LEVEL:
        return _administrative(actor, action, resource)

    def allow(rule: Rule, **extra: Any) -> Decision:
        basis = extra.pop("legal_basis", LEGAL_BASES.get(rule))
        return Decision(True, rule, resource, action, legal_basis=basis, **extra)

    def refuse(rule: Rule, explanation: str, how: str, grant_id: str | None = None) -> Decision:
        return Decision(
            False, rule, resource, action, grant_id=grant_id, explanation=explanation, how_to_get_access=how
        )

    facts = resource.sample
    if named_grant_id is not None:
        grant = named_grant
        if grant is None:
            return refuse(
                Rule.DENY_BY_DEFAULT,
                f"{actor.username} holds no grant {named_grant_id}",
                "check `genomdb grants list` for your grants, or ask a data steward for one",
            )
        state = grant.state(now)
        if state == "revoked":
            return refuse(
                Rule.GRANT_REVOKED,
                f"grant {grant.grant_id} was revoked on {grant.revoked_at:%Y-%m-%d} ({grant.revoke_reason})",
                "ask a data steward for a new grant",
                grant.grant_id,
            )
        if state == "expired":
            return refuse(
                Rule.GRANT_EXPIRED,
                f"grant {grant.grant_id} expired on {grant.expires_at:%Y-%m-%d}",
                "ask a data steward to renew it with a new grant",
                grant.grant_id,
            )
        if facts is None or not covers(grant, facts, in_query):
            return refuse(
                Rule.OUTSIDE_GRANT,
                f"{resource} is not in the scope of grant {grant.grant_id} ({grant.scope.describe()})",
                "ask a data steward for a grant that covers it",
                grant.grant_id,
            )
        if grant.purpose == Purpose.RESEARCH and facts.research_opt_out:
            return refuse(
                Rule.RESEARCH_OPT_OUT,
                f"{resource} is excluded from research: the person has opted out of research use",
                "none: an opt-out is only lifted by the person, through the submitting department",
                grant.grant_id,
            )
        if not _regions_fit(grant, resource):
            return refuse(Rule.OUTSIDE_GRANT, _regions_explanation(grant, resource), _WIDEN, grant.grant_id)
        return allow(
            Rule.GRANT,
            legal_basis=grant.legal_basis,
            grant_id=grant.grant_id,
            purpose=grant.purpose,
            project=grant.project,
            regions=grant.scope.regions,
        )

    if facts is not None and actor.role in CLINICAL_ROLES:
        if facts.department == actor.department:
            return allow(Rule.OWN_DEPARTMENT, purpose=Purpose.TREATMENT)
        if actor.region is not None and facts.region == actor.region:
            return allow(Rule.SAME_REGION, purpose=Purpose.TREATMENT)
    if facts is not None and actor.role == Role.STEWARD and action == Action.READ_METADATA:
        return allow(Rule.DATA_STEWARDSHIP)
    treatment = [g for g in grants if g.purpose == Purpose.TREATMENT and g.names(actor)]
    covering = [g for g in treatment if facts is not None and covers(g, facts, in_query)]
    active = sorted(
        (g for g in covering if g.state(now) == "active"), key=lambda g: (bool(g.scope.regions), g.granted_at)
    )
    fitting = [g for g in active if _regions_fit(g, resource)]
    if active and not fitting:
        return refuse(Rule.OUTSIDE_GRANT, _regions_explanation(active[0], resource), _WIDEN, active[0].grant_id)
    if fitting:
        grant = fitting[0]
        return allow(
            Rule.GRANT,
            legal_basis=grant.legal_basis,
            grant_id=grant.grant_id,
            purpose=grant.purpose,
            regions=grant.scope.regions,
        )
    if covering:
        latest = max(covering, key=lambda g: g.granted_at)
        if latest.state(now) == "revoked":
            return refuse(
                Rule.GRANT_REVOKED,
                f"grant {latest.grant_id}, which covered {resource}, was revoked on {latest.revoked_at:%Y-%m-%d}",
                _grant_request_hint(actor, resource),
                latest.grant_id,
            )
        return refuse(
            Rule.GRANT_EXPIRED,
            f"grant {latest.grant_id}, which covered {resource}, expired on {latest.expires_at:%Y-%m-%d}",
            _grant_request_hint(actor, resource),
            latest.grant_id,
        )
    if actor.role in CLINICAL_ROLES:
        why = (
            f"it is not known as a submission of your department ({actor.department}) or of a department in your "
            f"region ({actor.region}), and no active grant of yours covers it"
        )
    else:
        why = f"a {actor.role} reads person-level data only under a grant, and no active grant of yours covers it"
    return refuse(
        Rule.DENY_BY_DEFAULT,
        f"no rule gives {actor.username} access to {resource}: {why}",
        _grant_request_hint(actor, resource),
    )


def _regions_fit(grant: Grant, resource: Resource) -> bool:
    """A region-restricted grant allows only reads inside its regions (a whole-file read is cut to them)."""
    return not grant.scope.regions or not resource.regions or covered_by(resource.regions, grant.scope.regions)


def _regions_explanation(grant: Grant, resource: Resource) -> str:
    wanted = ",".join(str(r) for r in resource.regions)
    granted = ",".join(str(r) for r in grant.scope.regions)
    return f"{wanted} lies outside the regions of grant {grant.grant_id} ({granted})"


_ADMIN_ROLES: dict[Action, frozenset[Role]] = {
    Action.MANAGE_GRANTS: frozenset({Role.STEWARD}),
    Action.MANAGE_USERS: frozenset({Role.STEWARD, Role.ADMIN}),
    Action.MANAGE_STORE: frozenset({Role.STEWARD}),
    Action.OPERATE: frozenset({Role.STEWARD}),
    Action.READ_AUDIT: frozenset({Role.STEWARD}),
    Action.CONFIGURE_CLASSIFICATION: frozenset({Role.STEWARD}),
    Action.MANAGE_SCREENING: frozenset({Role.STEWARD}),
}


SUBMISSION_READERS = frozenset({Role.SUBMITTER, Role.STEWARD})
"""Who reads submissions (versions, validation reports, events): a department's submitters their own department's,
data stewards every department's."""


def _submission(actor: Actor, resource: Resource) -> Decision:
    """A submission is read by its department's submitters and by stewards. The refusal reads the same whether the
    submission is another department's or does not exist, so that nobody learns which ids exist."""
    action = Action.READ_SUBMISSION
    if actor.role == Role.STEWARD:
        return Decision(True, Rule.DATA_STEWARDSHIP, resource, action, legal_basis=LEGAL_BASES[Rule.DATA_STEWARDSHIP])
    if actor.role not in SUBMISSION_READERS:
        return _role_required(actor, action, resource, SUBMISSION_READERS, "ask the department's submitters")
    if actor.department is not None and actor.department in resource.departments:
        return Decision(
            True,
            Rule.OWN_DEPARTMENT,
            resource,
            action,
            legal_basis="data-in: a department reads and corrects its own submissions",
        )
    return Decision(
        False,
        Rule.OWN_DEPARTMENT_ONLY,
        resource,
        action,
        explanation=(
            f"{resource} is not known as a submission of your department ({actor.department or 'none'}): a "
            "department's submissions are read by its own submitters and by data stewards"
        ),
        how_to_get_access="check the submission id (`genomdb catalog search` lists your department's samples with "
        "their submissions), or ask a data steward",
    )


def _submit(actor: Actor, resource: Resource) -> Decision:
    """Data-in is the departments' duty under the law: a department's submitters submit (and correct) for that
    department only, on every surface; nobody else submits, stewards included."""
    action = Action.SUBMIT
    if actor.role != Role.SUBMITTER:
        return _role_required(
            actor, action, resource, (Role.SUBMITTER,), "a submitter of the department submits its data"
        )
    if actor.department is not None and actor.department in resource.departments:
        return Decision(
            True,
            Rule.OWN_DEPARTMENT,
            resource,
            action,
            legal_basis="data-in: a department reports its own genomes",
        )
    named = ", ".join(resource.departments) or "no readable department"
    return Decision(
        False,
        Rule.OWN_DEPARTMENT_ONLY,
        resource,
        action,
        explanation=f"the manifest names {named}; {actor.username} submits for "
        f"{actor.department or 'no department'} only",
        how_to_get_access="submit with your own department's code in `submitter.department`, or ask that "
        "department's submitters",
    )


def _administrative(actor: Actor, action: Action, resource: Resource) -> Decision:
    if action == Action.READ_SUBMISSION:
        return _submission(actor, resource)
    if action == Action.SUBMIT:
        return _submit(actor, resource)
    if action == Action.READ_REQUEST and actor.role == Role.STEWARD:
        return Decision(True, Rule.DATA_STEWARDSHIP, resource, action, legal_basis=LEGAL_BASES[Rule.DATA_STEWARDSHIP])
    if action in (Action.FETCH_PACKAGE, Action.READ_REQUEST):
        if resource.owner == actor.username:
            return Decision(True, Rule.RECIPIENT, resource, action, legal_basis=LEGAL_BASES[Rule.RECIPIENT])
        return Decision(
            False,
            Rule.NOT_RECIPIENT,
            resource,
            action,
            explanation=f"only the user who requested {resource} can fetch it",
            how_to_get_access="ask for your own working copy with `genomdb out request`",
        )
    if action == Action.MANAGE_USERS and resource.kind == "key" and resource.identifier == actor.username:
        return Decision(True, Rule.OWN_KEY, resource, action, legal_basis=LEGAL_BASES[Rule.OWN_KEY])
    roles = _ADMIN_ROLES[action]
    if actor.role in roles:
        rule = Rule.DATA_STEWARDSHIP if action == Action.READ_AUDIT else Rule.STEWARD_ADMINISTERS
        basis = "supervision of access by the data controller" if action == Action.READ_AUDIT else LEGAL_BASES[rule]
        return Decision(True, rule, resource, action, legal_basis=basis)
    return _role_required(actor, action, resource, roles, "ask an administrator or data steward to do it")


def _role_required(
    actor: Actor, action: Action, resource: Resource, roles: Iterable[str], how_to_get_access: str
) -> Decision:
    return Decision(
        False,
        Rule.ROLE_REQUIRED,
        resource,
        action,
        explanation=f"{action} needs the role {' or '.join(sorted(roles))}; {actor.username} is a {actor.role}",
        how_to_get_access=how_to_get_access,
    )


def _classification(actor: Actor, action: Action, resource: Resource) -> Decision:
    roles = CLASSIFICATION_ROLES[action]
    if actor.role not in roles:
        return _role_required(actor, action, resource, roles, "ask a department's clinician")
    if action == Action.READ_CLASSIFICATIONS:
        return Decision(
            True,
            Rule.NATIONAL_VARIANT_DATABASE,
            resource,
            action,
            legal_basis=LEGAL_BASES[Rule.NATIONAL_VARIANT_DATABASE],
        )
    if actor.department is not None and actor.department in resource.departments:
        return Decision(True, Rule.OWN_DEPARTMENT, resource, action, legal_basis=_CLASSIFICATION_BASES[action])
    why, how = _CLASSIFICATION_REFUSALS[action]
    names = {
        "resource": str(resource),
        "owners": ", ".join(resource.departments) or "another department",
        "username": actor.username,
        "acting_for": actor.department or "no department",
    }
    return Decision(
        False,
        Rule.OWN_DEPARTMENT_ONLY,
        resource,
        action,
        explanation=why.format(**names),
        how_to_get_access=how.format(**names),
    )


def _draft(actor: Actor, decision: Decision, detail: dict[str, Any]) -> AuditDraft:
    facts = decision.resource.sample
    recorded: dict[str, Any] = dict(detail)
    if facts is not None:
        recorded.update(sample=facts.sample_key, department=facts.department, region=facts.region)
    if decision.purpose is not None:
        recorded["purpose"] = decision.purpose.value
    if decision.project is not None:
        recorded["project"] = decision.project
    if decision.regions:
        recorded["regions"] = [str(r) for r in decision.regions]
    if decision.resource.departments:
        recorded["departments"] = list(decision.resource.departments)
    if not decision.allowed:
        recorded["why"] = decision.explanation
    return AuditDraft(
        actor=actor.username,
        actor_role=actor.role.value,
        actor_department=actor.department,
        action=decision.action.value,
        resource_kind=decision.resource.kind,
        resource_id=decision.resource.identifier[:RESOURCE_ID_LENGTH],
        person=facts.pseudonym if facts is not None else None,
        decision=(Verdict.ALLOWED if decision.allowed else Verdict.REFUSED).value,
        rule=decision.rule.value,
        grant_id=decision.grant_id,
        legal_basis=decision.legal_basis,
        detail=recorded,
    )
