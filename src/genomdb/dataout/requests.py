"""Working copies: a request is decided and planned (:mod:`genomdb.dataout.planning`), held while files are cold,
then built into a package (:mod:`genomdb.dataout.assembly`); its state lives in the data-out repository."""

from __future__ import annotations

import base64
import dataclasses
import secrets

from genomdb.access.grants import panel_regions
from genomdb.access.policy import Policy
from genomdb.access.records import (
    LEGAL_BASES,
    SYSTEM_ACTOR,
    Action,
    Actor,
    AuditDraft,
    Resource,
    Role,
    Rule,
    Verdict,
    merge_intervals,
)
from genomdb.access.users import recipient_key, resolve_actor
from genomdb.dataout.assembly import (
    build_package,
)
from genomdb.dataout.planning import CopyPlan, cold_blobs, decide_request, plan_copy
from genomdb.dataout.records import ALL_FORMATS, CopyRequest, RequestState, RequestStatus
from genomdb.dataout.repository import DataOutRepository
from genomdb.dataout.tiering import place_blobs, tier_policy
from genomdb.errors import Forbidden, GenomdbError, InvalidInput, NotFound, Problem
from genomdb.instance import Instance
from genomdb.model.catalog import StorageTier


def _request_id() -> str:
    return "OUT-" + base64.b32encode(secrets.token_bytes(5)).decode("ascii")


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
    repository = DataOutRepository(instance.db)
    request_id = _request_id()
    try:
        allowed, grant, research = decide_request(policy, actor, request, request_id)
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
    plan = plan_copy(policy, request, allowed, grant, research)
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


def _cold_is_online(instance: Instance) -> bool:
    return tier_policy(instance).tiers[StorageTier.COLD].online


def _deliver_or_wait(policy: Policy, actor: Actor, request_id: str, plan: CopyPlan) -> RequestState:
    """Build the package, reading cold files where they are when the cold tier is online (each such delivery is
    audited, rule ``cold-read``); with an offline cold tier the request waits until they are thawed."""
    repository = DataOutRepository(policy.instance.db)
    cold = cold_blobs(policy, plan)
    online = _cold_is_online(policy.instance)
    if cold and not online:
        repository.update_request(
            request_id,
            status=RequestStatus.WAITING,
            waiting_for=cold,
            message=f"waiting for {len(cold)} file(s) in the cold tier to be thawed",
        )
    else:
        if cold:
            policy.audit.append(
                [
                    AuditDraft(
                        actor=actor.username,
                        actor_role=actor.role.value,
                        actor_department=actor.department,
                        action=Action.READ_DATA.value,
                        resource_kind="request",
                        resource_id=request_id,
                        person=None,
                        decision=Verdict.ALLOWED.value,
                        rule=Rule.COLD_READ.value,
                        grant_id=plan.grant.grant_id if plan.grant else None,
                        legal_basis=LEGAL_BASES[Rule.COLD_READ],
                        detail={"cold_blobs": cold},
                    )
                ]
            )
        try:
            parts = build_package(policy.instance, actor, request_id, plan)
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
    state = DataOutRepository(instance.db).request(request_id)
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
        refreshed = DataOutRepository(instance.db).request(request_id)
        assert refreshed is not None
        return refreshed
    return state


def list_requests(instance: Instance, actor: Actor) -> list[RequestState]:
    """The actor's own requests; a steward sees every request."""
    repository = DataOutRepository(instance.db)
    if actor.role == Role.STEWARD:
        Policy(instance).require(actor, Action.READ_REQUEST, Resource("request", "*"))
        return repository.requests()
    return repository.requests(requester=actor.username)


def process_waiting_requests(instance: Instance, *, thaw: bool = False, only: str | None = None) -> list[RequestState]:
    """Complete waiting requests whose files are all hot again; with ``thaw``, move their cold files to hot first
    (the automatic thaw rule). Access is decided again, as the requester, at delivery time."""
    policy = Policy(instance)
    repository = DataOutRepository(instance.db)
    finished = []
    for state in repository.requests(status=RequestStatus.WAITING):
        if only is not None and state.request_id != only:
            continue
        if thaw and state.waiting_for:
            n_moved = policy.catalog.set_tier(state.waiting_for, StorageTier.HOT)
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
        tiers = policy.catalog.blob_tiers(state.waiting_for)
        if any(t == StorageTier.COLD for t in tiers.values()) and not _cold_is_online(instance):
            continue
        try:
            actor = resolve_actor(instance, state.requester)
            allowed, grant, research = decide_request(policy, actor, state.spec, state.request_id)
        except Forbidden as exc:
            repository.update_request(state.request_id, status=RequestStatus.REFUSED, message=exc.message)
            continue
        plan = plan_copy(policy, state.spec, allowed, grant, research)
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
        if not policy.catalog.blob_known(target):
            raise NotFound(f"no stored blob {target}")
        blobs = [target]
    else:
        detail = instance.catalog.sample(target)
        blobs = [f.sha256 for f in detail.files] + [f.index_sha256 for f in detail.files if f.index_sha256]
    place_blobs(instance, blobs, tier)
    return policy.catalog.set_tier(blobs, tier)


# --- building the package -----------------------------------------------------------------------------
