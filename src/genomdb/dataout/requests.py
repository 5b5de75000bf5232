"""Working copies: a request is decided (every sample, audited), planned, held while files are cold, then built
into a package of parts sealed with crypt4gh for the requester's public key.

Whole-file clinical copies are the stored bytes (re-sealed by rewriting only the crypt4gh header when the store
encrypts); slices and research copies are written anew, with the checksums of their plaintext in the package's
encrypted manifest. Research copies use the project's pseudonyms and never include persons who opted out.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from genomdb.access.grants import panel_regions, samples_in_scope
from genomdb.access.policy import Policy
from genomdb.access.records import (
    LEGAL_BASES,
    SYSTEM_ACTOR,
    Action,
    Actor,
    AuditDraft,
    Decision,
    GenomicInterval,
    Grant,
    Purpose,
    Resource,
    Role,
    Rule,
    SampleFacts,
    Verdict,
    merge_intervals,
)
from genomdb.access.research import ProjectPseudonyms, project_pseudonyms
from genomdb.access.users import recipient_key, resolve_actor
from genomdb.catalog.access_repository import DataOutRepository
from genomdb.catalog.tables import utcnow
from genomdb.dataout.metadata import DeliveredFile, build_metadata
from genomdb.dataout.records import ALL_FORMATS, CopyRequest, PackagePart, RequestState, RequestStatus
from genomdb.dataout.sealing import reseal_for_recipient, seal_for_recipient
from genomdb.dataout.slices import Relabel, Slice, slice_alignments, slice_variants
from genomdb.dataout.sources import archive_keys, plaintext_file, stored_blob
from genomdb.errors import Forbidden, GenomdbError, IntegrityError, InvalidInput, NotFound, Problem
from genomdb.instance import Instance
from genomdb.model.catalog import Person, SampleDetail, SearchFilters, StorageTier, StoredFile
from genomdb.storage.checksums import stream_checksums
from genomdb.storage.envelope import ArchiveKeys

DATAOUT_DIR = "dataout"
PACKAGE_FILE = "package.json"
PACKAGE_SCHEMA_VERSION = 1
PARTS_DIR = "parts"
_QUERY_LIMIT = 10_000_000
_ALIGNMENTS = ("CRAM", "BAM")
_SUFFIX = {"CRAM": ".cram", "BAM": ".bam", "VCF": ".vcf.gz", "GVCF": ".g.vcf.gz"}


def dataout_root(instance: Instance) -> Path:
    return instance.settings.resolved_home() / DATAOUT_DIR


def package_dir(instance: Instance, request_id: str) -> Path:
    return dataout_root(instance) / request_id


def _request_id() -> str:
    return "OUT-" + base64.b32encode(secrets.token_bytes(5)).decode("ascii")


@dataclass(frozen=True, slots=True)
class _Allowed:
    facts: SampleFacts
    decision: Decision


@dataclass(frozen=True, slots=True)
class _PlannedFile:
    sample_key: str
    label: str
    """How the package names the sample: the department's id, or the project's sample id."""
    file: StoredFile
    reference_build: str | None
    regions: tuple[GenomicInterval, ...] | None
    """None: the whole file."""
    relabel: Relabel | None


@dataclass(frozen=True, slots=True)
class _Plan:
    allowed: tuple[_Allowed, ...]
    files: tuple[_PlannedFile, ...]
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
            for f in policy.repository.samples_matching(filters)
        )
    if not request.samples and not request.persons and request.query is None and grant is not None:
        found.extend(
            Resource("sample", f.sample_key, sample=f, regions=regions) for f in samples_in_scope(policy, grant)
        )
    return named, found


def _decide(
    policy: Policy, actor: Actor, request: CopyRequest, request_id: str
) -> tuple[list[_Allowed], Grant | None, ProjectPseudonyms | None]:
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
    allowed: dict[str, _Allowed] = {}
    for decision in decisions:
        facts = decision.resource.sample
        if decision.allowed and facts is not None and facts.sample_key not in allowed:
            allowed[facts.sample_key] = _Allowed(facts, decision)
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


def _plan(
    policy: Policy,
    request: CopyRequest,
    allowed: Sequence[_Allowed],
    grant: Grant | None,
    research: ProjectPseudonyms | None,
) -> _Plan:
    catalog = policy.instance.catalog
    formats = {f.upper() for f in request.formats}
    allowed_keys = {a.facts.sample_key for a in allowed}
    files: list[_PlannedFile] = []
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
            holders = policy.repository.samples_of_blob(stored.sha256)
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
                _PlannedFile(entry.facts.sample_key, label, stored, _reference_build(detail, stored), regions, relabel)
            )
    purpose = next((a.decision.purpose for a in allowed if a.decision.purpose), None)
    grant_ids = tuple(sorted({a.decision.grant_id for a in allowed if a.decision.grant_id}))
    return _Plan(tuple(allowed), tuple(files), tuple(details), purpose, grant, grant_ids, research, tuple(notes))


def _cold(policy: Policy, plan: _Plan) -> list[str]:
    needed = {f.file.sha256 for f in plan.files} | {f.file.index_sha256 for f in plan.files if f.file.index_sha256}
    tiers = policy.repository.blob_tiers(needed)
    return sorted(sha for sha, tier in tiers.items() if tier == StorageTier.COLD)


# --- the public service -------------------------------------------------------------------------------


def request_copy(instance: Instance, actor: Actor, request: CopyRequest) -> RequestState:
    """Decide, record and (unless files are cold) build a working copy; raises Forbidden when refused."""
    unknown = [f for f in request.formats if f.upper() not in ALL_FORMATS]
    if unknown:
        raise InvalidInput(
            "unknown file formats",
            [
                Problem(
                    "request",
                    "unknown format",
                    field="formats",
                    expected=",".join(ALL_FORMATS),
                    found=",".join(unknown),
                )
            ],
        )
    request = dataclasses.replace(request, regions=merge_intervals([*request.regions, *panel_regions(request.panel)]))
    recipient_key(instance, actor.username)
    policy = Policy(instance)
    repository = DataOutRepository(instance.catalog)
    request_id = _request_id()
    try:
        allowed, grant, research = _decide(policy, actor, request, request_id)
    except Forbidden as exc:
        repository.add_request(
            request_id,
            requester=actor.username,
            spec=request,
            status=RequestStatus.REFUSED,
            purpose=None,
            grant_id=request.grant_id,
            message=exc.message,
        )
        raise
    plan = _plan(policy, request, allowed, grant, research)
    repository.add_request(
        request_id,
        requester=actor.username,
        spec=request,
        status=RequestStatus.WAITING,
        purpose=plan.purpose.value if plan.purpose else None,
        grant_id=plan.grant.grant_id if plan.grant else (plan.grant_ids[0] if len(plan.grant_ids) == 1 else None),
        message="planning",
    )
    return _deliver_or_wait(policy, actor, request_id, plan)


def _deliver_or_wait(policy: Policy, actor: Actor, request_id: str, plan: _Plan) -> RequestState:
    repository = DataOutRepository(policy.instance.catalog)
    cold = _cold(policy, plan)
    if cold:
        repository.update_request(
            request_id,
            status=RequestStatus.WAITING,
            waiting_for=cold,
            message=f"waiting for {len(cold)} file(s) in the cold tier to be thawed",
        )
    else:
        try:
            parts = _build_package(policy.instance, actor, request_id, plan)
        except GenomdbError as exc:
            repository.update_request(request_id, status=RequestStatus.FAILED, message=exc.message)
            raise
        message = "; ".join(plan.notes) or None
        repository.update_request(
            request_id,
            status=RequestStatus.READY,
            message=message,
            n_parts=len(parts),
            total_bytes=sum(p.size for p in parts),
        )
    state = repository.request(request_id)
    assert state is not None
    return state


def _owned(instance: Instance, actor: Actor, request_id: str, action: Action) -> RequestState:
    state = DataOutRepository(instance.catalog).request(request_id)
    owner = state.requester if state else None
    Policy(instance).require(actor, action, Resource("request", request_id, owner=owner))
    if state is None:
        raise NotFound(f"no request {request_id}")
    return state


def request_status(instance: Instance, actor: Actor, request_id: str) -> RequestState:
    """A request's state (its requester or a steward); completes it first if its files have been thawed."""
    state = _owned(instance, actor, request_id, Action.READ_REQUEST)
    if state.status == RequestStatus.WAITING:
        process_waiting_requests(instance, only=request_id)
        refreshed = DataOutRepository(instance.catalog).request(request_id)
        assert refreshed is not None
        return refreshed
    return state


def list_requests(instance: Instance, actor: Actor) -> list[RequestState]:
    """The actor's own requests; a steward sees every request."""
    repository = DataOutRepository(instance.catalog)
    if actor.role == Role.STEWARD:
        Policy(instance).require(actor, Action.READ_REQUEST, Resource("request", "*"))
        return repository.requests()
    return repository.requests(requester=actor.username)


def process_waiting_requests(instance: Instance, *, thaw: bool = False, only: str | None = None) -> list[RequestState]:
    """Complete waiting requests whose files are all hot again; with ``thaw``, move their cold files to hot first
    (the automatic thaw rule). Access is decided again, as the requester, at delivery time."""
    policy = Policy(instance)
    repository = DataOutRepository(instance.catalog)
    finished = []
    for state in repository.requests(status=RequestStatus.WAITING):
        if only is not None and state.request_id != only:
            continue
        if thaw and state.waiting_for:
            n_moved = policy.repository.set_tier(state.waiting_for, StorageTier.HOT)
            policy.audit.append(
                [
                    AuditDraft(
                        actor=SYSTEM_ACTOR.username,
                        actor_role=SYSTEM_ACTOR.role.value,
                        actor_department=None,
                        action=Action.MANAGE_STORE.value,
                        resource_kind="request",
                        resource_id=state.request_id,
                        person=None,
                        decision=Verdict.ALLOWED.value,
                        rule=Rule.AUTOMATIC_THAW.value,
                        grant_id=None,
                        legal_basis=LEGAL_BASES[Rule.AUTOMATIC_THAW],
                        detail={"blobs": list(state.waiting_for), "moved": n_moved},
                    )
                ]
            )
        tiers = policy.repository.blob_tiers(state.waiting_for)
        if any(t == StorageTier.COLD for t in tiers.values()):
            continue
        try:
            actor = resolve_actor(instance, state.requester)
            allowed, grant, research = _decide(policy, actor, state.spec, state.request_id)
        except Forbidden as exc:
            repository.update_request(state.request_id, status=RequestStatus.REFUSED, message=exc.message)
            continue
        plan = _plan(policy, state.spec, allowed, grant, research)
        try:
            finished.append(_deliver_or_wait(policy, actor, state.request_id, plan))
        except GenomdbError:
            failed = repository.request(state.request_id)
            assert failed is not None
            finished.append(failed)
    return finished


def set_tier(instance: Instance, actor: Actor, target: str, tier: StorageTier) -> int:
    """Move a blob (by sha256) or a sample's current files (by sample key or id) to a storage tier (stewards)."""
    policy = Policy(instance)
    policy.require(actor, Action.MANAGE_STORE, Resource("store", target), detail={"tier": tier.value})
    if len(target) == 64 and all(c in "0123456789abcdef" for c in target):
        if not policy.repository.blob_known(target):
            raise NotFound(f"no stored blob {target}")
        blobs = [target]
    else:
        detail = instance.catalog.sample(target)
        blobs = [f.sha256 for f in detail.files] + [f.index_sha256 for f in detail.files if f.index_sha256]
    return policy.repository.set_tier(blobs, tier)


# --- building the package -----------------------------------------------------------------------------


class _VerifyingReader(io.RawIOBase):
    """Reads a stored plaintext while hashing it, so a copy is proven identical to what was submitted."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.sha256.update(memoryview(buffer)[:n])
        return n or 0


def _part_name(planned: _PlannedFile, taken: set[str], *, research: bool) -> str:
    stored = planned.file
    if research:
        stem = planned.label
        suffix = _SUFFIX.get(stored.format, ".fastq.gz")
    else:
        original = Path(stored.original_path or f"{planned.label}.{stored.file_ref}")
        suffix = next(
            (s for s in (".g.vcf.gz", ".vcf.gz", ".fastq.gz", ".fq.gz") if original.name.endswith(s)), original.suffix
        )
        stem = original.name[: -len(suffix)] if suffix else original.name
        suffix = _SUFFIX.get(stored.format, suffix)
    if planned.regions is not None:
        stem += ".slice"
    name, n = stem + suffix, 1
    while name in taken:
        n += 1
        name = f"{stem}.{n}{suffix}"
    taken.add(name)
    return name


def _seal_blob(instance: Instance, sha256: str, target: Path, keys: ArchiveKeys, recipient: bytes) -> tuple[str, int]:
    blob = stored_blob(instance, sha256)
    with instance.blobs.open_stored(sha256) as source:
        if blob.sealed:
            return reseal_for_recipient(source, target, keys=keys, recipient=recipient)
        reader = _VerifyingReader(source)
        sealed = seal_for_recipient(reader, target, sender=keys, recipient=recipient)  # type: ignore[arg-type]
    if reader.sha256.hexdigest() != sha256:
        target.unlink(missing_ok=True)
        raise IntegrityError(f"stored blob {sha256} does not match its checksum: run `genomdb store verify`")
    return sealed


def _slice(instance: Instance, planned: _PlannedFile, work: Path, name: str) -> Slice:
    stored = planned.file
    source = plaintext_file(instance, stored.sha256, work / f"source{_SUFFIX[stored.format]}")
    index = None
    if stored.index_sha256 and stored.index_name:
        index = plaintext_file(instance, stored.index_sha256, Path(f"{source}.{stored.index_name}"))
    intervals = list(planned.regions) if planned.regions is not None else None
    if stored.format in _ALIGNMENTS:
        reference = instance.require_reference(planned.reference_build or "GRCh38") if stored.format == "CRAM" else None
        return slice_alignments(
            source, work / name, index=index, intervals=intervals, reference=reference, relabel=planned.relabel
        )
    return slice_variants(source, work / name, index=index, intervals=intervals, relabel=planned.relabel)


def _build_package(instance: Instance, actor: Actor, request_id: str, plan: _Plan) -> list[PackagePart]:
    """Write every part sealed for the requester into a fresh folder, then move it into place."""
    root = dataout_root(instance)
    final = root / request_id
    building = root / f".{request_id}.building"
    shutil.rmtree(building, ignore_errors=True)
    (building / PARTS_DIR).mkdir(parents=True)
    work = building / "work"
    keys = archive_keys(instance)
    recipient = recipient_key(instance, actor.username)
    parts: list[PackagePart] = []
    contents: list[dict[str, Any]] = []
    delivered: list[DeliveredFile] = []
    taken: set[str] = set()

    def add_part(name: str, kind: str, sealed: tuple[str, int]) -> None:
        parts.append(PackagePart(f"{name}.c4gh", sealed[1], sealed[0], kind))

    def seal_bytes(name: str, kind: str, data: bytes) -> None:
        target = building / PARTS_DIR / f"{name}.c4gh"
        add_part(name, kind, seal_for_recipient(io.BytesIO(data), target, sender=keys, recipient=recipient))

    for planned in plan.files:
        stored = planned.file
        name = _part_name(planned, taken, research=plan.research is not None)
        regions = tuple(str(r) for r in planned.regions) if planned.regions is not None else ()
        entry: dict[str, Any] = {"name": name, "sample": planned.label, "format": stored.format}
        if planned.regions is None and planned.relabel is None:
            add_part(
                name,
                "data",
                _seal_blob(instance, stored.sha256, building / PARTS_DIR / f"{name}.c4gh", keys, recipient),
            )
            entry.update(
                sha256=stored.sha256, size=stored.size, md5=stored.md5, whole_file=True, declared_sha256=stored.sha256
            )
            contents.append(entry)
            if stored.index_sha256 and stored.index_name:
                index_name = f"{name}.{stored.index_name}"
                add_part(
                    index_name,
                    "index",
                    _seal_blob(
                        instance, stored.index_sha256, building / PARTS_DIR / f"{index_name}.c4gh", keys, recipient
                    ),
                )
                contents.append({"name": index_name, "index_of": name, "sha256": stored.index_sha256})
            plaintext_sha = stored.sha256
        else:
            work.mkdir(exist_ok=True)
            cut = _slice(instance, planned, work, name)
            plaintext_sha, _, size = stream_checksums(cut.path)
            with cut.path.open("rb") as handle:
                add_part(
                    name,
                    "data",
                    seal_for_recipient(handle, building / PARTS_DIR / f"{name}.c4gh", sender=keys, recipient=recipient),
                )
            entry.update(
                sha256=plaintext_sha,
                size=size,
                whole_file=False,
                regions=list(regions) or None,
                n_records=cut.n_records,
                source_sha256=None if plan.research else stored.sha256,
            )
            contents.append(entry)
            index_name = f"{name}{cut.index_path.name[len(cut.path.name) :]}"
            index_sha, _, _ = stream_checksums(cut.index_path)
            with cut.index_path.open("rb") as handle:
                add_part(
                    index_name,
                    "index",
                    seal_for_recipient(
                        handle, building / PARTS_DIR / f"{index_name}.c4gh", sender=keys, recipient=recipient
                    ),
                )
            contents.append({"name": index_name, "index_of": name, "sha256": index_sha})
            shutil.rmtree(work)
        delivered.append(
            DeliveredFile(name, planned.sample_key, stored.format, plaintext_sha, planned.reference_build, regions)
        )
    created = utcnow()
    metadata = json.dumps(
        build_metadata(plan.details, delivered, request_id=request_id, created_at=created, research=plan.research),
        indent=2,
        ensure_ascii=False,
    ).encode()
    seal_bytes("metadata.json", "metadata", metadata)
    contents.append({"name": "metadata.json", "sha256": hashlib.sha256(metadata).hexdigest(), "size": len(metadata)})
    manifest = {
        "schema_version": PACKAGE_SCHEMA_VERSION,
        "request_id": request_id,
        "recipient": actor.username,
        "purpose": plan.purpose.value if plan.purpose else None,
        "project": plan.research.project if plan.research else None,
        "grants": list(plan.grant_ids),
        "created_at": created.isoformat(timespec="seconds"),
        "files": contents,
        "notes": list(plan.notes),
    }
    seal_bytes("manifest.json", "manifest", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    package = {
        "schema_version": PACKAGE_SCHEMA_VERSION,
        "request_id": request_id,
        "recipient": actor.username,
        "encryption": "crypt4gh (X25519 + ChaCha20-Poly1305) for the recipient's registered public key",
        "created_at": created.isoformat(timespec="seconds"),
        "parts": [dataclasses.asdict(p) for p in parts],
    }
    package_path = building / PACKAGE_FILE
    with package_path.open("w") as package_file:
        json.dump(package, package_file, indent=2)
        package_file.flush()
        os.fsync(package_file.fileno())
    shutil.rmtree(final, ignore_errors=True)
    building.replace(final)
    return parts


def read_package(instance: Instance, request_id: str) -> list[PackagePart]:
    """The parts of a built package, from its ``package.json``."""
    path = package_dir(instance, request_id) / PACKAGE_FILE
    if not path.exists():
        raise NotFound(f"request {request_id} has no package (yet)")
    data = json.loads(path.read_text())
    return [PackagePart(**part) for part in data["parts"]]
