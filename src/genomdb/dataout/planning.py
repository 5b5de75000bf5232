"""Planning a working copy: every named sample decided by the policy (and audited), the files and regions that
may leave, and which blobs are cold."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from genomdb.access.grants import samples_in_scope
from genomdb.access.policy import Policy
from genomdb.access.records import (
    Action,
    Actor,
    Decision,
    GenomicInterval,
    Grant,
    Purpose,
    Resource,
    Rule,
)
from genomdb.access.research import ProjectPseudonyms, project_pseudonyms
from genomdb.dataout.records import CopyRequest
from genomdb.dataout.slices import Relabel
from genomdb.errors import Forbidden, InvalidInput, Problem
from genomdb.model.catalog import Person, SampleDetail, SampleFacts, SearchFilters, StorageTier, StoredFile

_QUERY_LIMIT = 10_000_000


@dataclass(frozen=True, slots=True)
class AllowedResource:
    facts: SampleFacts
    decision: Decision


@dataclass(frozen=True, slots=True)
class PlannedFile:
    sample_key: str
    label: str
    """How the package names the sample: the department's id, or the project's sample id."""
    file: StoredFile
    reference_build: str | None
    regions: tuple[GenomicInterval, ...] | None
    """None: the whole file."""
    relabel: Relabel | None


@dataclass(frozen=True, slots=True)
class CopyPlan:
    allowed: tuple[AllowedResource, ...]
    files: tuple[PlannedFile, ...]
    details: tuple[tuple[SampleDetail, Person], ...]
    purpose: Purpose | None
    grant: Grant | None
    grant_ids: tuple[str, ...]
    """Every grant that allowed a sample of the request (named or found by the policy)."""
    research: ProjectPseudonyms | None
    notes: tuple[str, ...]


# --- deciding ------------------------------------------------------------------------------------------


def _resources(
    policy: Policy, request: CopyRequest, grant: Grant | None, research: ProjectPseudonyms | None
) -> tuple[list[Resource], list[Resource]]:
    """(named, found): named resources must all be allowed; found ones (query, grant scope) are filtered."""
    named: list[Resource] = []
    found: list[Resource] = []
    aliases: dict[str, SampleFacts] = {}
    person_aliases: dict[str, list[SampleFacts]] = {}
    if research is not None and grant is not None:
        for facts in samples_in_scope(policy, grant):
            aliases[research.sample(facts.sample_key)] = facts
            person_aliases.setdefault(research.person(facts.pseudonym), []).append(facts)
    regions = request.regions
    for key in request.samples:
        if key in aliases:
            named.append(Resource("sample", key, sample=aliases[key], regions=regions))
        else:
            named.append(dataclasses.replace(policy.sample(key), regions=regions))
    for pseudonym in request.persons:
        if pseudonym in person_aliases:
            named.extend(Resource("person", pseudonym, sample=f, regions=regions) for f in person_aliases[pseudonym])
        else:
            named.extend(dataclasses.replace(r, regions=regions) for r in policy.person_samples(pseudonym))
    if request.query is not None:
        filters = SearchFilters(**dataclasses.asdict(request.query), limit=_QUERY_LIMIT)
        found.extend(
            Resource("sample", f.sample_key, sample=f, regions=regions)
            for f in policy.catalog.samples_matching(filters)
        )
    if not request.samples and not request.persons and request.query is None and grant is not None:
        found.extend(
            Resource("sample", f.sample_key, sample=f, regions=regions) for f in samples_in_scope(policy, grant)
        )
    return named, found


def decide_request(
    policy: Policy, actor: Actor, request: CopyRequest, request_id: str
) -> tuple[list[AllowedResource], Grant | None, ProjectPseudonyms | None]:
    grant = policy.repository.grant(request.grant_id) if request.grant_id else None
    research = None
    if grant is not None and grant.purpose == Purpose.RESEARCH and grant.names(actor) and grant.project:
        research = project_pseudonyms(policy.instance, grant.project)
    named, found = _resources(policy, request, grant, research)
    if not named and not found:
        raise InvalidInput(
            "the request names nothing to copy",
            [Problem("request", "no samples", expected="--sample, --person, a --query-* filter or --grant")],
        )
    decisions = policy.decide_many(
        actor, Action.READ_DATA, [*named, *found], grant_id=request.grant_id, detail={"request": request_id}
    )
    refused = [d for d in decisions[: len(named)] if not d.allowed]
    if refused:
        raise Forbidden(refused[0].message())
    allowed: dict[str, AllowedResource] = {}
    for decision in decisions:
        facts = decision.resource.sample
        if decision.allowed and facts is not None and facts.sample_key not in allowed:
            allowed[facts.sample_key] = AllowedResource(facts, decision)
    if not allowed:
        raise Forbidden(
            f"refused by rule {Rule.DENY_BY_DEFAULT}: nothing this request finds is readable by {actor.username}. "
            "To get access: ask a data steward for a grant (`genomdb grants add`)"
        )
    return list(allowed.values()), grant, research


# --- planning -----------------------------------------------------------------------------------------


def _reference_build(detail: SampleDetail, file: StoredFile) -> str | None:
    for analysis in detail.analyses:
        if file.file_ref in analysis.output_refs:
            return analysis.reference_build
    builds = {a.reference_build for a in detail.analyses}
    return builds.pop() if len(builds) == 1 else None


def plan_copy(
    policy: Policy,
    request: CopyRequest,
    allowed: Sequence[AllowedResource],
    grant: Grant | None,
    research: ProjectPseudonyms | None,
) -> CopyPlan:
    catalog = policy.instance.catalog
    formats = {f.upper() for f in request.formats}
    allowed_keys = {a.facts.sample_key for a in allowed}
    files: list[PlannedFile] = []
    details = []
    notes: list[str] = []
    seen: set[str] = set()
    for entry in allowed:
        detail = catalog.sample(entry.facts.sample_key)
        person, _ = catalog.person(entry.facts.pseudonym)
        details.append((detail, person))
        label = research.sample(entry.facts.sample_key) if research else entry.facts.submitter_sample_id
        decision = entry.decision
        # a region-restricted grant cuts a whole-file request to its regions
        regions: tuple[GenomicInterval, ...] | None = request.regions or decision.regions or None
        for stored in detail.files:
            if stored.format not in formats or stored.sha256 in seen:
                continue
            holders = policy.catalog.samples_of_blob(stored.sha256)
            if any(h.sample_key not in allowed_keys for h in holders):
                notes.append(f"{label}: a {stored.format} file also holding other samples was left out")
                continue
            if stored.format == "FASTQ" and regions is not None:
                notes.append(f"{label}: FASTQ files cannot be sliced to regions and were left out")
                continue
            relabel = None
            if research is not None and stored.format != "FASTQ":
                names = {h.submitter_sample_id: research.sample(h.sample_key) for h in holders} or {
                    entry.facts.submitter_sample_id: label
                }
                relabel = Relabel(names, hidden=tuple({entry.facts.submitter_sample_id, entry.facts.pseudonym}))
            seen.add(stored.sha256)
            files.append(
                PlannedFile(entry.facts.sample_key, label, stored, _reference_build(detail, stored), regions, relabel)
            )
    purpose = next((a.decision.purpose for a in allowed if a.decision.purpose), None)
    grant_ids = tuple(sorted({a.decision.grant_id for a in allowed if a.decision.grant_id}))
    return CopyPlan(tuple(allowed), tuple(files), tuple(details), purpose, grant, grant_ids, research, tuple(notes))


def cold_blobs(policy: Policy, plan: CopyPlan) -> list[str]:
    needed = {f.file.sha256 for f in plan.files} | {f.file.index_sha256 for f in plan.files if f.file.index_sha256}
    tiers = policy.catalog.blob_tiers(needed)
    return sorted(sha for sha, tier in tiers.items() if tier == StorageTier.COLD)


# --- the public service -------------------------------------------------------------------------------
