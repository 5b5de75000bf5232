"""GA4GH DRS 1.x objects for stored files, as a service-layer function the REST service maps to
``GET /ga4gh/drs/v1/objects/{object_id}``.

An object id is the sha256 of the file's content (immutable, as DRS requires). Cold-tier files are listed with
``available: false`` on their access methods until a steward thaws them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Purpose
from genomdb.dataout.block_grants import BlockGrant, block_key, expiry
from genomdb.dataout.sources import stored_blob
from genomdb.errors import Forbidden, NotFound
from genomdb.instance import Instance
from genomdb.model.catalog import StorageTier

_MIME = {
    "CRAM": "application/vnd.ga4gh.cram",
    "BAM": "application/vnd.ga4gh.bam",
    "VCF": "application/vnd.ga4gh.vcf",
    "GVCF": "application/vnd.ga4gh.vcf",
    "FASTQ": "text/x-fastq",
}


def drs_object(
    instance: Instance,
    actor: Actor,
    object_id: str,
    *,
    base_url: str | None = None,
    host: str = "localhost",
    lifetime_seconds: int | None = None,
) -> dict[str, Any]:
    """The DRS object of a stored file: id, self_uri, size, created_time, checksums, access_methods.

    The https access URL is the service's block route with a signed grant for the whole file, bound to this
    decision (see :mod:`genomdb.dataout.block_grants`): it needs no other credential and expires. Whole-file access
    needs an unrestricted, non-research decision; others get Forbidden naming the rule and
    pointing at htsget or a working copy. Unknown ids are refused like inaccessible ones.
    """
    policy = Policy(instance)
    decisions = policy.decide_many(actor, Action.READ_DATA, policy.blob(object_id), detail={"service": "drs"})
    whole = [d for d in decisions if d.allowed and not d.restricted and d.purpose != Purpose.RESEARCH]
    if not whole:
        refused = next((d for d in decisions if not d.allowed), None)
        if refused is not None:
            refused.require()
        raise Forbidden(
            f"refused by rule {decisions[0].rule}: your access to {object_id} is limited to regions or to "
            "research copies. To get access: use an htsget ticket or `genomdb out request`"
        )
    facts = whole[0].resource.sample
    assert facts is not None
    detail = instance.catalog.sample(facts.sample_key)
    stored = next((f for f in detail.files if f.sha256 == object_id), None)
    index_of = next((f for f in detail.files if f.index_sha256 == object_id), None)
    record = policy.catalog.blob_record(object_id)
    if record is None or (stored is None and index_of is None):
        raise NotFound(f"no DRS object {object_id}")
    size, md5, tier = record
    if stored is not None:
        name = Path(stored.original_path or stored.file_ref).name
        mime = _MIME.get(stored.format, "application/octet-stream")
        description = f"{stored.format} of sample {facts.submitter_sample_id} ({facts.department})"
    else:
        assert index_of is not None
        name = f"{Path(index_of.original_path or index_of.file_ref).name}.{index_of.index_name}"
        mime = "application/octet-stream"
        description = f"index of the {index_of.format} of sample {facts.submitter_sample_id}"
    blob = stored_blob(instance, object_id)
    if base_url is None and not blob.sealed and blob.path is not None:
        access_url = {"url": blob.path.as_uri()}
        method_type = "file"
    else:
        decision = whole[0]
        assert decision.audit_seq is not None
        grant = BlockGrant(
            object_id,
            actor.username,
            0,
            size - 1,
            expiry(lifetime_seconds),
            decision.audit_seq,
            decision.grant_id or "",
        )
        access_url = {"url": grant.url(base_url or "", block_key(instance))}
        method_type = "https"
    checksums = [{"type": "sha-256", "checksum": object_id}, {"type": "md5", "checksum": md5}]
    created = detail.summary.submitted_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return {
        "id": object_id,
        "name": name,
        "self_uri": f"drs://{host}/{object_id}",
        "size": size,
        "created_time": created,
        "updated_time": created,
        "version": "1",
        "mime_type": mime,
        "checksums": checksums,
        "description": description,
        "aliases": [f"{facts.sample_key}/{stored.file_ref if stored else name}"],
        "access_methods": [
            {
                "type": method_type,
                "access_url": access_url,
                "available": tier == StorageTier.HOT,
            }
        ],
    }
