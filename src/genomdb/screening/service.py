"""Early detection as every surface (CLI, REST, browser) uses it: one function per act, the access policy first.

Stewards (``manage-screening``) load policies, run programmes, record a person's wish not to know, set clinic
capacity and release worklists; these acts are decided and audited like every administrative act. Findings,
cascade worklists and diffs are person-level: each person is read through the access policy (their department,
clinical roles; or a grant) with every decision in the audit log, and only what the policy allows is returned.
Persons who opted out of research or do not want to know are never listed, on any surface.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from genomdb.access.policy import Policy
from genomdb.access.records import CLINICAL_ROLES, Action, Actor, Resource
from genomdb.classification.database import Moment, known_at
from genomdb.db.base import utcnow
from genomdb.errors import Forbidden, InvalidInput, NotFound, Problem
from genomdb.instance import Instance
from genomdb.screening import capacity as capacity_rules
from genomdb.screening import cascade as cascade_rules
from genomdb.screening import repository
from genomdb.screening.carriers import cohort_samples, genome_status, scan
from genomdb.screening.diff import RunDiff, diff_runs
from genomdb.screening.policy import SHIPPED, ProgrammePolicy, parse_policy, policy_from_document, shipped_policy
from genomdb.screening.records import Finding, RelativeEntry, ScreeningRun, StatusChange
from genomdb.variants.store import VariantStore

Via = Literal["cli", "api", "web"]


def _detail(via: Via, request: str, **facts: object) -> dict[str, object]:
    return {"via": via, "request": request, **{k: v for k, v in facts.items() if v is not None}}


def _require_steward(instance: Instance, actor: Actor, resource: Resource, detail: dict[str, object]) -> None:
    Policy(instance).require(actor, Action.MANAGE_SCREENING, resource, detail=detail)


def _programme(programme: str) -> str:
    if programme not in SHIPPED:
        raise NotFound(f"no programme {programme!r}: the programmes are {', '.join(SHIPPED)}")
    return programme


# --- policies -------------------------------------------------------------------------------------------------


def current_policy(instance: Instance, programme: str) -> ProgrammePolicy:
    """The policy a run uses now: the newest one a steward loaded, else the one genomdb ships."""
    document = repository.current_policy_document(instance.db, _programme(programme))
    return policy_from_document(document) if document is not None else shipped_policy(programme)


def load_policy(instance: Instance, actor: Actor, path: Path, *, via: Via = "cli") -> tuple[ProgrammePolicy, bool]:
    """Validate an edited policy file and make it the programme's current policy (stewards). A bad file is refused
    with every problem named (file, line, key, expectation) and nothing changes. Returns (policy, newly stored)."""
    _require_steward(instance, actor, Resource("policy", path.name), _detail(via, "load screening policy"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"cannot read {path.name}", [Problem(str(path), f"cannot read: {exc}", expected="a UTF-8 YAML file")]
        ) from None
    return _load_policy_text(instance, actor, text, str(path))


def load_policy_text(
    instance: Instance,
    actor: Actor,
    text: str,
    *,
    file_name: str,
    programme: str | None = None,
    via: Via = "api",
) -> tuple[ProgrammePolicy, bool]:
    """Like :func:`load_policy`, for a policy sent as text (``file_name`` names it in errors); with ``programme``,
    a document of another programme is refused too."""
    _require_steward(instance, actor, Resource("policy", file_name[:200]), _detail(via, "load screening policy"))
    return _load_policy_text(instance, actor, text, file_name, programme=programme)


def _load_policy_text(
    instance: Instance, actor: Actor, text: str, path: str, *, programme: str | None = None
) -> tuple[ProgrammePolicy, bool]:
    policy = parse_policy(text, file_name=path)
    if programme is not None and policy.programme != programme:
        raise InvalidInput(
            f"{path} is a policy of another programme; nothing was changed",
            [Problem(path, "another programme", field="programme", expected=programme, found=policy.programme)],
        )
    if policy.programme not in SHIPPED:
        raise InvalidInput(
            f"{path} names an unknown programme; nothing was changed",
            [
                Problem(
                    str(path),
                    "unknown programme",
                    field="programme",
                    expected=" or ".join(SHIPPED),
                    found=policy.programme,
                )
            ],
        )
    stored = repository.save_policy(instance.db, policy.document, policy.sha256, loaded_by=actor.username)
    return policy, stored


def set_does_not_want_to_know(
    instance: Instance, actor: Actor, pseudonym: str, value: bool, *, via: Via = "cli"
) -> bool:
    """Record (or clear) a person's wish not to know (stewards); True when it changed."""
    _require_steward(
        instance,
        actor,
        Resource("person", pseudonym),
        _detail(via, "set does-not-want-to-know" if value else "clear does-not-want-to-know"),
    )
    return instance.catalog.set_does_not_want_to_know(pseudonym, value)


# --- runs -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run: ScreeningRun
    previous: ScreeningRun | None
    n_newly_actionable: int
    n_no_longer_actionable: int
    n_cascade_entries_added: int


def _new_run_id(now: dt.datetime) -> str:
    suffix = base64.b32encode(secrets.token_bytes(5)).decode("ascii").rstrip("=")
    return f"SCR-{now:%Y%m%dT%H%M%SZ}-{suffix}"


def run_programme(
    instance: Instance,
    actor: Actor,
    programme: str,
    *,
    as_of: Moment | None = None,
    cohort: Sequence[str] = (),
    via: Via = "cli",
) -> RunOutcome:
    """Run a programme over the cohort (stewards), store the run with what it used, compare it with the previous
    run of the programme and add the new index cases' relatives to the cascade worklist."""
    policy = current_policy(instance, programme)
    _require_steward(
        instance,
        actor,
        Resource("programme", programme),
        _detail(via, "run screening programme", programme=programme, policy_version=policy.policy_version),
    )
    repository.save_policy(instance.db, policy.document, policy.sha256, loaded_by="genomdb (shipped)")
    bound = known_at(as_of)
    found = scan(instance, policy, as_of=bound, cohort=cohort)
    now = utcnow()
    previous_runs = repository.runs(instance.db, programme)
    run = ScreeningRun(
        run_id=_new_run_id(now),
        programme=programme,
        policy_version=policy.policy_version,
        policy_sha256=policy.sha256,
        as_of=bound,
        cohort=tuple(cohort),
        release_id=found.release_id,
        classification_versions=found.classification_versions,
        flagged_variants=found.flagged_variants,
        n_samples=found.n_samples,
        n_reported=sum(f.reported for f in found.findings),
        n_flagged=sum(not f.reported for f in found.findings),
        created_by=actor.username,
        created_at=now,
    )
    repository.save_run(instance.db, run, found.findings)
    newly = no_longer = 0
    previous = previous_runs[-1] if previous_runs else None
    if previous is not None:
        changes = diff_runs(
            previous,
            repository.findings(instance.db, previous.run_id, listable_only=False),
            run,
            list(found.findings),
        )
        newly, no_longer = len(changes.newly_actionable), len(changes.no_longer_actionable)
    added = _add_cascade_entries(instance, programme, found.findings, by=actor.username, at=now)
    return RunOutcome(run, previous, newly, no_longer, added)


def _add_cascade_entries(
    instance: Instance, programme: str, findings: Sequence[Finding], *, by: str, at: dt.datetime
) -> int:
    reported = [f for f in findings if f.reported]
    if not reported:
        return 0
    pedigree = cascade_rules.Pedigree(repository.declared_relationships(instance.db))
    family = {f.pseudonym: pedigree.relatives(f.pseudonym) for f in reported}
    facts = repository.person_facts(
        instance.db, {r.pseudonym for relatives in family.values() for r in relatives} | set(family)
    )
    entries = []
    for finding in reported:
        relatives = [r for r in family[finding.pseudonym] if r.pseudonym in facts and facts[r.pseudonym].listable]
        entries.extend(
            cascade_rules.new_entries(
                programme, finding.pseudonym, finding.gene, finding.variant_keys, relatives, at=at, by=by
            )
        )
    return repository.add_relatives(instance.db, entries)


def runs(instance: Instance, programme: str | None = None) -> list[ScreeningRun]:
    """Stored runs (what they used and how many findings; no person-level data), oldest first."""
    return repository.runs(instance.db, _programme(programme) if programme else None)


def latest_run(instance: Instance, programme: str) -> ScreeningRun:
    found = repository.runs(instance.db, _programme(programme))
    if not found:
        raise NotFound(f"programme {programme} has not been run yet: `genomdb screen run {programme}`")
    return found[-1]


# --- person-level reads ---------------------------------------------------------------------------------------


def _readable(
    instance: Instance,
    actor: Actor,
    sample_keys: Sequence[str],
    *,
    detail: dict[str, object],
) -> set[str]:
    """The sample keys the policy lets the actor read (each decision audited)."""
    if not sample_keys:
        return set()
    policy = Policy(instance)
    resources = [policy.sample(key) for key in sorted(set(sample_keys))]
    decisions = policy.decide_many(actor, Action.READ_DATA, resources, detail=detail)
    return {d.resource.identifier for d in decisions if d.allowed}


def _clinical_only(actor: Actor, what: str) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden(
            f"{what} is for the clinical roles (submitter, clinician) of the person's department; "
            f"{actor.username} is a {actor.role}"
        )


def worklist(
    instance: Instance, actor: Actor, programme: str, *, run_id: str | None = None, via: Via = "cli"
) -> tuple[ScreeningRun, list[Finding]]:
    """The reported findings of a run (default: the programme's newest) the actor may read, every read audited."""
    run = repository.run(instance.db, run_id) if run_id else latest_run(instance, programme)
    if run.programme != programme:
        raise NotFound(f"{run.run_id} is a run of {run.programme}, not {programme}")
    found = [f for f in repository.findings(instance.db, run.run_id) if f.reported]
    allowed = _readable(
        instance,
        actor,
        [f.sample_key for f in found],
        detail=_detail(via, "screening worklist", programme=run.programme, run=run.run_id),
    )
    _clinical_only(actor, "a programme's worklist")
    return run, [f for f in found if f.sample_key in allowed]


def diff(instance: Instance, actor: Actor, run_a: str, run_b: str, *, via: Via = "cli") -> RunDiff:
    """What changed from run A to run B, listing only persons the actor may read (audited)."""
    before, after = repository.run(instance.db, run_a), repository.run(instance.db, run_b)
    if before.programme != after.programme:
        raise InvalidInput(
            "runs of different programmes",
            [Problem("diff", "different programmes", expected=before.programme, found=after.programme)],
        )
    changes = diff_runs(before, repository.findings(instance.db, run_a), after, repository.findings(instance.db, run_b))
    allowed = _readable(
        instance,
        actor,
        [c.finding.sample_key for c in changes.changes],
        detail=_detail(via, "screening diff", programme=before.programme, runs=f"{run_a}..{run_b}"),
    )
    return RunDiff(before, after, tuple(c for c in changes.changes if c.finding.sample_key in allowed))


def _index_samples(instance: Instance, entries: Sequence[RelativeEntry]) -> dict[str, str]:
    """Index pseudonym → the sample key of its newest finding."""
    found: dict[str, str] = {}
    for run in repository.runs(instance.db):
        for finding in repository.findings(instance.db, run.run_id):
            found[finding.pseudonym] = finding.sample_key
    return {e.index_pseudonym: found[e.index_pseudonym] for e in entries if e.index_pseudonym in found}


def cascade(
    instance: Instance,
    actor: Actor,
    *,
    index: str | None = None,
    programme: str | None = None,
    via: Via = "cli",
) -> list[RelativeEntry]:
    """Cascade worklist entries of the index cases the actor may read (audited), with each relative's carrier status
    from their genome where the actor may read the relative too."""
    entries = repository.relatives(instance.db, programme=programme, index=index)
    index_samples = _index_samples(instance, entries)
    allowed_index = _readable(
        instance,
        actor,
        list(index_samples.values()),
        detail=_detail(via, "cascade worklist", programme=programme, index=index),
    )
    _clinical_only(actor, "a cascade worklist")
    entries = [e for e in entries if index_samples.get(e.index_pseudonym) in allowed_index]
    return _with_genomes(instance, actor, entries, via=via)


def _with_genomes(instance: Instance, actor: Actor, entries: list[RelativeEntry], *, via: Via) -> list[RelativeEntry]:
    if not entries:
        return []
    samples = {s.pseudonym: s for s in cohort_samples(instance)}
    in_db = [samples[e.relative_pseudonym] for e in entries if e.relative_pseudonym in samples]
    readable = _readable(
        instance, actor, [s.sample_key for s in in_db], detail=_detail(via, "cascade relative carrier status")
    )
    store = VariantStore.of(instance)
    result = []
    for entry in entries:
        sample = samples.get(entry.relative_pseudonym)
        if sample is None:
            status = "no genome"
        elif sample.sample_key not in readable:
            status = "in the database (not yours to read)"
        else:
            status = genome_status(store, [sample], entry.variant_keys)[sample.sample_id]
        result.append(cascade_rules.with_genome_status(entry, status))
    return result


def set_relative_status(
    instance: Instance,
    actor: Actor,
    ident: str,
    status: str,
    *,
    result: str | None = None,
    index: str | None = None,
    via: Via = "cli",
) -> RelativeEntry:
    """Move a relative's cascade entry (``REL-…`` or the relative's pseudonym) to its next status; skipping a step
    is refused and nothing changes. The index case's department does this (decided and audited)."""
    entries = repository.relatives(instance.db, relative=ident)
    if index is not None:
        entries = [e for e in entries if e.index_pseudonym == index]
    index_samples = _index_samples(instance, entries)
    allowed = _readable(
        instance,
        actor,
        list(index_samples.values()),
        detail=_detail(via, "cascade status", entry=ident, status=status),
    )
    entries = [e for e in entries if index_samples.get(e.index_pseudonym) in allowed]
    if not entries:
        raise NotFound(f"no cascade entry {ident} that you may change")
    if len(entries) > 1:
        raise InvalidInput(
            f"{ident} is on {len(entries)} cascade worklists",
            [
                Problem(
                    "relative",
                    "more than one entry",
                    expected="the entry id (REL-…) or --index INDEX",
                    found=", ".join(e.entry_id for e in entries),
                )
            ],
        )
    entry = entries[0]
    cascade_rules.check_transition(entry, status, result)
    return repository.change_status(
        instance.db,
        entry.entry_id,
        expected=entry.status,
        status=status,
        result=result,
        change=StatusChange(status, utcnow(), actor.username, result),
    )


# --- capacity ---------------------------------------------------------------------------------------------------


def set_capacity(
    instance: Instance, actor: Actor, region: str, programme: str, monthly: str | int, *, via: Via = "cli"
) -> int:
    """Set a region's monthly capacity for a programme (stewards); a value that is not a whole number, an unknown
    region or programme is refused and nothing changes."""
    value = capacity_rules.parse_capacity(monthly)
    _programme(programme)
    regions = {d.region.code for d in instance.catalog.departments()}
    if region not in regions:
        raise InvalidInput(
            "unknown region; nothing was changed",
            [Problem("region", "unknown region", expected=", ".join(sorted(regions)), found=region)],
        )
    _require_steward(
        instance,
        actor,
        Resource("capacity", f"{region}/{programme}"),
        _detail(via, "set clinic capacity", region=region, programme=programme, monthly_capacity=value),
    )
    repository.set_capacity(instance.db, region, programme, value, set_by=actor.username)
    return value


def _queue(
    instance: Instance, programme: str
) -> tuple[ProgrammePolicy, ScreeningRun | None, dict[str, list[capacity_rules.QueuedReferral]]]:
    policy = current_policy(instance, programme)
    found = repository.runs(instance.db, programme)
    if not found:
        return policy, None, {}
    run = found[-1]
    referred = {r.pseudonym for r in repository.referrals(instance.db, programme)}
    findings = repository.findings(instance.db, run.run_id)
    waiting = [
        entry
        for entry in repository.relatives(instance.db, programme=programme)
        if entry.status == capacity_rules.AWAITING_TEST
    ]
    facts = repository.person_facts(instance.db, [entry.relative_pseudonym for entry in waiting])
    years = {pseudonym: fact.birth_year for pseudonym, fact in facts.items()}
    return policy, run, capacity_rules.queues(policy, findings, referred, relatives=waiting, birth_years=years)


def backlogs(instance: Instance) -> list[capacity_rules.Backlog]:
    """Every programme's backlog per region with its capacity and the months it needs (counts only)."""
    now = utcnow()
    found = []
    capacities = repository.capacities(instance.db)
    for programme in SHIPPED:
        policy, _, queue = _queue(instance, programme)
        found.extend(
            capacity_rules.backlogs(policy, queue, capacities, repository.referrals(instance.db, programme), now=now)
        )
    return found


def release(
    instance: Instance, actor: Actor, programme: str, *, via: Via = "cli"
) -> tuple[int, list[capacity_rules.Backlog]]:
    """Release this month's referrals within each region's capacity, in priority order (stewards); the rest stays
    queued. Returns how many were released and the backlogs after."""
    _require_steward(instance, actor, Resource("programme", programme), _detail(via, "release referrals"))
    policy, run, queue = _queue(instance, _programme(programme))
    if run is None:
        raise NotFound(f"programme {programme} has not been run yet: `genomdb screen run {programme}`")
    released, after = capacity_rules.plan_release(
        policy,
        queue,
        repository.capacities(instance.db),
        repository.referrals(instance.db, programme),
        run_id=run.run_id,
        now=utcnow(),
    )
    repository.add_referrals(instance.db, released)
    return len(released), after


def family(
    instance: Instance, actor: Actor, pseudonym: str, *, via: Via = "web"
) -> tuple[list[Finding], list[RelativeEntry]]:
    """One carrier's findings (newest run per programme) and cascade worklist, as the actor may read them."""
    findings: list[Finding] = []
    for programme in SHIPPED:
        found = repository.runs(instance.db, programme)
        if found:
            findings.extend(
                f for f in repository.findings(instance.db, found[-1].run_id) if f.pseudonym == pseudonym and f.reported
            )
    allowed = _readable(
        instance, actor, [f.sample_key for f in findings], detail=_detail(via, "carrier family", person=pseudonym)
    )
    _clinical_only(actor, "a carrier's family")
    findings = [f for f in findings if f.sample_key in allowed]
    if not findings:
        raise NotFound(f"no finding of {pseudonym} that you may read")
    return findings, cascade(instance, actor, index=pseudonym, via=via)
