"""htsget 1.3 tickets, as service-layer functions: the REST service will only map HTTP onto them.

A ticket lists the blocks whose concatenation is a valid BAM, CRAM or VCF.gz: the header as an inline ``data:``
URI, then byte ranges of the stored file (``file://`` for a local plaintext blob, else the service-relative
``{base_url}/blocks/{token}`` with a ``Range`` header, served by :func:`read_block`), partial BGZF blocks
re-compressed inline, and the EOF marker inline. Ranges come from the file's index, so they may hold extra
records around the region, as htsget allows.

Under a region-restricted grant or for research, the original file is never served: the ticket points at an
exact slice (records inside the granted regions only; research copies relabelled with project ids), written on
demand to ``HOME/dataout/derived`` (sealed with the archive key when the store encrypts).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

from genomdb.access.grants import samples_in_scope
from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Decision, GenomicInterval, Grant, Purpose, Resource
from genomdb.access.research import project_pseudonyms
from genomdb.access.users import recipient_key, resolve_actor
from genomdb.dataout.assembly import dataout_root
from genomdb.dataout.bgzf import (
    EOF_BLOCK,
    FileRange,
    Inline,
    Piece,
    bam_header_length,
    bam_reference_names,
    bcf_header_length,
    compress,
    eof_offset,
    leading_data,
    pieces_between,
    vcf_header_length,
)
from genomdb.dataout.block_grants import BlockGrant, block_key, check_range, expiry, new_ticket_id, verify
from genomdb.dataout.cram import cram_layout, cram_reference_names
from genomdb.dataout.indexes import read_binning_index, read_crai
from genomdb.dataout.sealing import PlainRangeReader, RangeReader, SealedRangeReader, seal_for_recipient
from genomdb.dataout.slices import Relabel, slice_alignments, slice_variants, variants_as
from genomdb.dataout.sources import archive_keys, plaintext_file, range_reader, stored_blob
from genomdb.dataout.ticket_stream import EncryptedBody, PlainStream, c4gh_header, session_key
from genomdb.db.base import utcnow
from genomdb.errors import Forbidden, InvalidInput, NotFound, Problem, Unavailable
from genomdb.instance import Instance
from genomdb.model.catalog import SampleFacts, StorageTier, StoredFile

READ_FORMATS = ("BAM", "CRAM")
VARIANT_FORMATS = ("VCF", "BCF")
STORED_VARIANT_FORMATS = ("VCF", "GVCF", "BCF")
ENCRYPTION_SCHEMES = ("C4GH",)
BLOCKS_PATH = "/blocks"
DERIVED_DIR = "derived"
DERIVED_PREFIX = "derived-"
MAX_RANGE = 256 << 20
C4GH_MAX_RANGE = 64 << 20
"""crypt4gh blocks are encrypted in memory on each request: smaller, so that a retry or a request costs less."""
WHOLE_CONTIG_END = (1 << 31) - 1
_MEDIA = {
    "BAM": "application/vnd.ga4gh.bam",
    "CRAM": "application/vnd.ga4gh.cram",
    "VCF": "application/vnd.ga4gh.vcf",
    "BCF": "application/vnd.ga4gh.bcf",
}
_SUFFIX = {"BAM": ".bam", "CRAM": ".cram", "VCF": ".vcf.gz", "BCF": ".bcf"}
_C4GH_MEDIA = "application/vnd.ga4gh.crypt4gh"


def _invalid(message: str, field: str, expected: str, found: str | None) -> InvalidInput:
    return InvalidInput(message, [Problem("htsget", message, field=field, expected=expected, found=found)])


@dataclass(frozen=True, slots=True)
class _Served:
    """A file a ticket points into: a stored blob, or a derived slice."""

    token: str
    format: str
    reader: RangeReader
    index: bytes | None
    local_path: Path | None
    """Set when the file is plaintext on this host (a ``file://`` URL can be given)."""


def _research_target(policy: Policy, actor: Actor, alias: str) -> tuple[SampleFacts, Grant] | None:
    """The sample behind a project sample id, searched in the actor's research grants."""
    now = utcnow()
    for grant in policy.repository.grants(naming=actor):
        if grant.purpose != Purpose.RESEARCH or grant.state(now) != "active" or not grant.project:
            continue
        pseudonyms = project_pseudonyms(policy.instance, grant.project)
        for facts in samples_in_scope(policy, grant):
            if pseudonyms.sample(facts.sample_key) == alias:
                return facts, grant
    return None


def _decide(
    policy: Policy, actor: Actor, object_id: str, interval: GenomicInterval | None, detail: dict[str, Any]
) -> tuple[Decision, str | None]:
    """Decide a read of a sample (by key, department id or project id) or of a stored blob (by sha256)."""
    regions = (interval,) if interval is not None else ()
    grant_id = None
    if object_id.startswith("RS-"):
        found = _research_target(policy, actor, object_id)
        resource = Resource("sample", object_id, sample=found[0] if found else None, regions=regions)
        grant_id = found[1].grant_id if found else None
        decision = policy.decide(actor, Action.READ_DATA, resource, grant_id=grant_id, detail=detail)
        return decision.require(), grant_id
    if len(object_id) == 64 and all(c in "0123456789abcdef" for c in object_id):
        resources = [dataclasses.replace(r, regions=regions) for r in policy.blob(object_id)]
        decisions = policy.decide_many(actor, Action.READ_DATA, resources, detail=detail)
        allowed = [d for d in decisions if d.allowed]
        return (allowed[0] if allowed else decisions[0].require()), None
    resource = dataclasses.replace(policy.sample(object_id), regions=regions)
    return policy.decide(actor, Action.READ_DATA, resource, detail=detail).require(), None


def _pick_file(instance: Instance, decision: Decision, object_id: str, kind: str, wanted_format: str) -> StoredFile:
    facts = decision.resource.sample
    assert facts is not None
    detail = instance.catalog.sample(facts.sample_key)
    if decision.resource.kind == "file":
        candidates = [f for f in detail.files if f.sha256 == object_id]
    elif kind == "reads":
        candidates = [f for f in detail.files if f.format in READ_FORMATS]
    else:
        candidates = sorted(
            (f for f in detail.files if f.format in STORED_VARIANT_FORMATS),
            key=lambda f: STORED_VARIANT_FORMATS.index(f.format),
        )
    if not candidates:
        raise NotFound(f"{object_id} has no {kind} file")
    if any((f.format in READ_FORMATS) != (kind == "reads") for f in candidates):
        raise _invalid(f"{object_id} is not {kind} data", "id", kind, candidates[0].format)
    matching = [f for f in candidates if _served_as(f.format) == wanted_format]
    if not matching:
        stored_formats = ",".join(sorted({f.format for f in candidates}))
        raise _invalid(
            f"UnsupportedFormat: {object_id} is stored as {stored_formats}", "format", stored_formats, wanted_format
        )
    chosen = matching[0]
    if chosen.tier == StorageTier.COLD or (chosen.index_sha256 is None):
        if chosen.tier == StorageTier.COLD:
            raise Unavailable(
                f"{object_id}: the file is in the cold tier; ask a data steward to thaw it "
                "(`genomdb store tier … --hot`) or request a working copy, which waits for it"
            )
        raise Unavailable(f"{object_id}: the stored file has no index, so it cannot be served by region")
    return chosen


def _served_as(stored_format: str) -> str:
    """The htsget format a stored file is served as (a gVCF is a VCF)."""
    return "VCF" if stored_format == "GVCF" else stored_format


def _blob_served(instance: Instance, stored: StoredFile, wanted_format: str) -> _Served:
    blob = stored_blob(instance, stored.sha256)
    index = None
    if stored.index_sha256:
        index_reader = range_reader(instance, stored.index_sha256)
        try:
            index = index_reader.read_at(0, index_reader.size)
        finally:
            index_reader.close()
    return _Served(
        stored.sha256, wanted_format, range_reader(instance, stored.sha256), index, None if blob.sealed else blob.path
    )


def _derived_served(
    instance: Instance,
    decision: Decision,
    stored: StoredFile,
    wanted_format: str,
    intervals: Sequence[GenomicInterval],
    grant_id: str | None,
) -> _Served:
    """An exact slice of the file to the allowed intervals (relabelled for research), made once and cached."""
    facts = decision.resource.sample
    assert facts is not None
    project = decision.project if decision.purpose == Purpose.RESEARCH else None
    description = {
        "source_sha256": stored.sha256,
        "sample_key": facts.sample_key,
        "regions": [str(i) for i in intervals],
        "project": project,
        "grant_id": grant_id,
        "format": wanted_format,
    }
    key = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:32]
    folder = dataout_root(instance) / DERIVED_DIR
    sealed = instance.settings.encrypt_blobs
    suffix = _SUFFIX[wanted_format]
    data_path = folder / f"{key}{suffix}{'.c4gh' if sealed else ''}"
    index_path = folder / f"{key}.index"
    if not data_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        work = folder / f".{key}.work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            source = plaintext_file(instance, stored.sha256, work / f"source{suffix}")
            source_index = None
            if stored.index_sha256 and stored.index_name:
                source_index = plaintext_file(instance, stored.index_sha256, Path(f"{source}.{stored.index_name}"))
            relabel = None
            if project is not None:
                alias = project_pseudonyms(instance, project).sample(facts.sample_key)
                relabel = Relabel(
                    {facts.submitter_sample_id: alias}, hidden=(facts.submitter_sample_id, facts.pseudonym)
                )
            target = work / f"slice{suffix}"
            if wanted_format in VARIANT_FORMATS:
                if wanted_format == "BCF":  # cut as text (exact records, relabelled), then binary again
                    source = variants_as(source, work / "source.vcf.gz", binary=False).path
                    source_index, target = Path(f"{source}.tbi"), work / "slice.vcf.gz"
                cut = slice_variants(source, target, index=source_index, intervals=intervals, relabel=relabel)
                if wanted_format == "BCF":
                    cut = variants_as(cut.path, work / "slice.bcf", binary=True)
            else:
                build = _build_of(instance, facts.sample_key, stored) if wanted_format == "CRAM" else None
                reference = instance.require_reference(build) if build else None
                cut = slice_alignments(
                    source, target, index=source_index, intervals=intervals, reference=reference, relabel=relabel
                )
            shutil.copyfile(cut.index_path, work / "index")
            (work / "index").replace(index_path)
            if sealed:
                keys = archive_keys(instance)
                with cut.path.open("rb") as plain:
                    seal_for_recipient(plain, data_path, sender=keys, recipient=keys.public_key)
            else:
                cut.path.replace(data_path)
            (folder / f"{key}.json").write_text(json.dumps(description))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    reader: RangeReader = (
        SealedRangeReader(data_path, archive_keys(instance)) if sealed else PlainRangeReader(data_path)
    )
    return _Served(DERIVED_PREFIX + key, wanted_format, reader, index_path.read_bytes(), None if sealed else data_path)


def _build_of(instance: Instance, sample_key: str, stored: StoredFile) -> str:
    detail = instance.catalog.sample(sample_key)
    for analysis in detail.analyses:
        if stored.file_ref in analysis.output_refs:
            return analysis.reference_build
    return "GRCh38"


def _pieces(served: _Served, interval: GenomicInterval | None, header_only: bool) -> tuple[bytes, list[Piece], bytes]:
    """(header bytes, body pieces, EOF bytes) of a served file for a region (None: every record)."""
    reader = served.reader
    if served.format == "CRAM":
        entries = read_crai(served.index or b"")
        layout = cram_layout(reader, entries)
        header = reader.read_at(0, layout.header_end)
        if header_only:
            return header, [], layout.eof
        if interval is None:
            return header, [FileRange(layout.header_end, layout.eof_start)], layout.eof
        names = cram_reference_names(reader)
        if interval.chrom not in names:
            raise NotFound(f"the file has no reference {interval.chrom}")
        ranges = layout.containers_overlapping(
            entries, names.index(interval.chrom), interval.start_0based, interval.end_0based_exclusive
        )
        return header, [FileRange(start, end) for start, end in ranges], layout.eof
    length_of = {"BAM": bam_header_length, "BCF": bcf_header_length}.get(served.format, vcf_header_length)
    header, header_end = leading_data(reader, length_of)
    if header_only:
        return header, [], EOF_BLOCK
    if interval is None:
        return header, pieces_between(reader, header_end, eof_offset(reader) << 16), EOF_BLOCK
    index = read_binning_index(served.index or b"")
    if served.format == "BAM":
        names = bam_reference_names(header)
    else:
        declared = [
            line.split("=", 2)[2].split(",")[0].rstrip(">")
            for line in (header[9:] if served.format == "BCF" else header).decode().rstrip("\0").splitlines()
            if line.startswith("##contig=<ID=")
        ]
        names = index.names or declared
        if interval.chrom not in names and interval.chrom in declared:
            return header, [], EOF_BLOCK  # a known contig without records
    if interval.chrom not in names:
        raise NotFound(f"the file has no reference {interval.chrom}")
    pieces: list[Piece] = []
    for chunk in index.query(names.index(interval.chrom), interval.start_0based, interval.end_0based_exclusive):
        pieces.extend(pieces_between(reader, max(chunk.begin, header_end), chunk.end))
    return header, pieces, EOF_BLOCK


def _data_uri(media: str, data: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"


def _layout(served: _Served, header: bytes, pieces: list[Piece], eof: bytes) -> list[Piece]:
    """What a ticket concatenates to: the header, the body's pieces (adjacent ranges merged), the EOF marker."""
    merged: list[Piece] = [Inline(header if served.format == "CRAM" else compress(header))]
    for piece in pieces:
        last = merged[-1]
        if isinstance(piece, FileRange) and isinstance(last, FileRange) and last.end == piece.start:
            merged[-1] = FileRange(last.start, piece.end)
        else:
            merged.append(piece)
    merged.append(Inline(eof))
    return merged


@dataclass(frozen=True, slots=True)
class _Issue:
    """Who a ticket is for and under which decision: what every block grant of the ticket carries."""

    user: str
    decision: int
    grant: str
    expires: int
    base_url: str | None
    key: bytes = dataclasses.field(repr=False)


def _block_url(issue: _Issue, grant: BlockGrant) -> str:
    return grant.url(issue.base_url or "", issue.key)


def _plain_urls(served: _Served, layout: list[Piece], issue: _Issue) -> list[dict[str, Any]]:
    urls: list[dict[str, Any]] = []
    for position, piece in enumerate(layout):
        kind = "header" if position == 0 else "body"
        if isinstance(piece, Inline):
            urls.append({"url": _data_uri(_MEDIA[served.format], piece.data), "class": kind})
            continue
        for start in range(piece.start, piece.end, MAX_RANGE):
            end = min(piece.end, start + MAX_RANGE)
            if issue.base_url is None and served.local_path is not None:
                url = served.local_path.as_uri()
            else:
                grant = BlockGrant(served.token, issue.user, start, end - 1, issue.expires, issue.decision, issue.grant)
                url = _block_url(issue, grant)
            urls.append({"url": url, "headers": {"Range": f"bytes={start}-{end - 1}"}, "class": kind})
    return urls


def _c4gh_urls(
    instance: Instance,
    served: _Served,
    layout: list[Piece],
    issue: _Issue,
    *,
    region: str,
    header_only: bool,
) -> list[dict[str, Any]]:
    """The ticket of a crypt4gh stream for the requester's key: its header inline, its body as signed blocks."""
    recipient = recipient_key(instance, issue.user)
    ticket_id = new_ticket_id()
    key = session_key(issue.key, ticket_id, issue.user)
    plain = PlainStream(layout, served.reader)
    body = EncryptedBody(plain, key)
    header = c4gh_header(key, sender_secret_key=archive_keys(instance).secret_key, recipient_public_key=recipient)
    urls: list[dict[str, Any]] = [{"url": _data_uri(_C4GH_MEDIA, header)}]
    for start in range(0, body.size, C4GH_MAX_RANGE):
        end = min(body.size, start + C4GH_MAX_RANGE)
        grant = BlockGrant(
            served.token,
            issue.user,
            start,
            end - 1,
            issue.expires,
            issue.decision,
            issue.grant,
            scheme="c4gh",
            ticket=ticket_id,
            format=served.format,
            region=region,
            header_only=header_only,
            length=plain.size,
            layout=plain.digest(),
        )
        urls.append({"url": _block_url(issue, grant), "headers": {"Range": f"bytes={start}-{end - 1}"}})
    return urls


def htsget_ticket(
    instance: Instance,
    actor: Actor,
    object_id: str,
    *,
    kind: str = "reads",
    reference_name: str | None = None,
    start: int | None = None,
    end: int | None = None,
    format: str | None = None,
    class_: str | None = None,
    encryption_scheme: str | None = None,
    base_url: str | None = None,
    lifetime_seconds: int | None = None,
) -> dict[str, Any]:
    """An htsget ticket for the reads or variants of a sample (key, department id or project id) or a blob.

    ``start`` is 0-based inclusive and ``end`` 0-based exclusive, as in htsget. Every ticket is an audited read;
    its block URLs carry a signed grant bound to that decision (see :mod:`genomdb.dataout.block_grants`).
    ``encryption_scheme="c4gh"`` (htsget 1.3) serves the data as one crypt4gh stream for the requester's
    registered public key.
    """
    if kind not in ("reads", "variants"):
        raise _invalid(f"unknown htsget endpoint {kind}", "kind", "reads or variants", kind)
    allowed_formats = READ_FORMATS if kind == "reads" else VARIANT_FORMATS
    wanted = (format or allowed_formats[0]).upper()
    if wanted not in allowed_formats:
        raise _invalid(f"UnsupportedFormat: {wanted}", "format", ",".join(allowed_formats), wanted)
    if class_ not in (None, "header"):
        raise _invalid("InvalidInput: class may only be 'header'", "class", "header", class_)
    scheme = encryption_scheme.upper() if encryption_scheme else None
    if scheme is not None and scheme not in ENCRYPTION_SCHEMES:
        raise _invalid(
            f"UnsupportedFormat: encryptionScheme {encryption_scheme}", "encryptionScheme", "C4GH", encryption_scheme
        )
    if reference_name is None and (start is not None or end is not None):
        raise _invalid("InvalidInput: start and end need a referenceName", "referenceName", "a reference", None)
    if reference_name == "*":
        raise _invalid(
            "InvalidInput: unplaced reads (referenceName=*) are not served", "referenceName", "a contig", "*"
        )
    if start is not None and end is not None and start > end:
        raise _invalid("InvalidRange: start is greater than end", "start", "start ≤ end", f"{start} > {end}")
    interval = None
    if reference_name is not None:
        interval = GenomicInterval(reference_name, (start or 0) + 1, end if end is not None else WHOLE_CONTIG_END)
        if interval.end_1based < interval.start_1based:
            interval = GenomicInterval(reference_name, interval.start_1based, interval.start_1based)
    if scheme is not None:
        recipient_key(instance, actor.username)  # no registered key: a clear refusal before anything is read
    policy = Policy(instance)
    detail = {
        "service": "htsget",
        "kind": kind,
        "format": wanted,
        "region": str(interval) if interval else None,
        "encryption": scheme.lower() if scheme else None,
    }
    decision, grant_id = _decide(policy, actor, object_id, interval, detail)
    stored = _pick_file(instance, decision, object_id, kind, wanted)
    served_interval = interval
    if decision.restricted or decision.purpose == Purpose.RESEARCH:
        intervals = [interval] if interval is not None else list(decision.regions)
        served = _derived_served(instance, decision, stored, wanted, intervals, grant_id)
        served_interval = None
    else:
        served = _blob_served(instance, stored, wanted)
    assert decision.audit_seq is not None
    issue = _Issue(
        actor.username,
        decision.audit_seq,
        decision.grant_id or "",
        expiry(lifetime_seconds),
        base_url,
        block_key(instance),
    )
    try:
        header, pieces, eof = _pieces(served, served_interval, class_ == "header")
        layout = _layout(served, header, pieces, eof)
        if scheme is None:
            urls = _plain_urls(served, layout, issue)
        else:
            region = str(served_interval) if served_interval else ""
            urls = _c4gh_urls(instance, served, layout, issue, region=region, header_only=class_ == "header")
    finally:
        served.reader.close()
    ticket: dict[str, Any] = {"format": wanted, "urls": urls}
    if scheme is not None:
        ticket["encryptionScheme"] = "C4GH"
    return {"htsget": ticket}


def _derived_source(instance: Instance, token: str) -> tuple[dict[str, Any], Path, Path]:
    """A derived slice's description, data file and index."""
    key = token[len(DERIVED_PREFIX) :]
    folder = dataout_root(instance) / DERIVED_DIR
    try:
        description: dict[str, Any] = json.loads((folder / f"{key}.json").read_text())
    except FileNotFoundError:
        raise NotFound(f"no block source {token}: ask for a new ticket") from None
    sealed = instance.settings.encrypt_blobs
    suffix = _SUFFIX[description["format"]]
    return description, folder / f"{key}{suffix}{'.c4gh' if sealed else ''}", folder / f"{key}.index"


def _block_decision(instance: Instance, actor: Actor, grant: BlockGrant, detail: dict[str, Any]) -> Decision:
    """Decide the block read again for the ticket's user, and refuse it unless the access is the ticket's."""
    policy = Policy(instance)
    if grant.token.startswith(DERIVED_PREFIX):
        description, _, _ = _derived_source(instance, grant.token)
        resource = dataclasses.replace(
            policy.sample(description["sample_key"]),
            regions=tuple(GenomicInterval(*_split(r)) for r in description["regions"]),
        )
        decision = policy.require(actor, Action.READ_DATA, resource, grant_id=description["grant_id"], detail=detail)
        if (decision.project if decision.purpose == Purpose.RESEARCH else None) != description["project"]:
            raise Forbidden(
                f"refused by rule {decision.rule}: this block was cut for another purpose; ask for a ticket"
            )
    else:
        decisions = policy.decide_many(actor, Action.READ_DATA, policy.blob(grant.token), detail=detail)
        whole = [d for d in decisions if d.allowed and not d.restricted and d.purpose != Purpose.RESEARCH]
        if not whole:
            refused = next((d for d in decisions if not d.allowed), None)
            if refused is not None:
                refused.require()
            raise Forbidden(
                "refused by rule grant: your access to this file is limited (regions or research); "
                "ask for an htsget ticket, which serves exactly what the grant allows"
            )
        decision = next((d for d in whole if (d.grant_id or "") == grant.grant), whole[0])
    if (decision.grant_id or "") != grant.grant:
        raise Forbidden(
            f"refused by rule {decision.rule}: the access that issued this ticket (audit entry {grant.decision}) "
            "has changed since; ask for a new ticket"
        )
    return decision


def _source_reader(instance: Instance, token: str) -> RangeReader:
    if token.startswith(DERIVED_PREFIX):
        _, path, _ = _derived_source(instance, token)
        sealed = instance.settings.encrypt_blobs
        return SealedRangeReader(path, archive_keys(instance)) if sealed else PlainRangeReader(path)
    return range_reader(instance, token)


def _encrypted_body(instance: Instance, decision: Decision, grant: BlockGrant, key: bytes) -> EncryptedBody:
    """The crypt4gh body a c4gh ticket's blocks are ranges of, laid out again exactly as at the ticket."""
    if grant.token.startswith(DERIVED_PREFIX):
        _, path, index_path = _derived_source(instance, grant.token)
        sealed = instance.settings.encrypt_blobs
        reader: RangeReader = SealedRangeReader(path, archive_keys(instance)) if sealed else PlainRangeReader(path)
        served = _Served(grant.token, grant.format, reader, index_path.read_bytes(), None)
    else:
        facts = decision.resource.sample
        assert facts is not None
        detail = instance.catalog.sample(facts.sample_key)
        stored = next((f for f in detail.files if f.sha256 == grant.token), None)
        if stored is None:
            raise NotFound(f"no block source {grant.token[:12]}…: ask for a new ticket")
        served = _blob_served(instance, stored, grant.format)
    interval = GenomicInterval(*_split(grant.region)) if grant.region else None
    header, pieces, eof = _pieces(served, interval, grant.header_only)
    plain = PlainStream(_layout(served, header, pieces, eof), served.reader)
    if plain.size != grant.length or plain.digest() != grant.layout:
        served.reader.close()
        raise NotFound(f"the data behind block {grant.token[:12]}… was cut again since the ticket; ask for a new one")
    return EncryptedBody(plain, session_key(key, grant.ticket, grant.user))


def read_block(
    instance: Instance,
    token: str,
    query: dict[str, str],
    start: int,
    end_exclusive: int,
    *,
    presenter: Actor | None = None,
) -> bytes:
    """The bytes a ticket's block URL (``{base_url}/blocks/{token}?<signed grant>``) names, for a byte range.

    The signed grant says who the ticket was for; the read is decided again for that user and audited with the
    ticket's decision. ``presenter``: whoever else authenticated the request (refused unless the same user).
    """
    key = block_key(instance)
    grant = verify(key, token, query)
    if presenter is not None and presenter.username != grant.user:
        raise Forbidden(
            f"refused: this block URL was issued to another user, not to {presenter.username}; ask for your own ticket"
        )
    check_range(grant, start, end_exclusive)
    actor = resolve_actor(instance, grant.user)
    detail = {
        "service": "htsget-block",
        "ticket_decision": grant.decision,
        "bytes": f"{start}-{end_exclusive - 1}",
        "encryption": grant.scheme if grant.scheme != "plain" else None,
    }
    decision = _block_decision(instance, actor, grant, detail)
    if grant.scheme == "c4gh":
        body = _encrypted_body(instance, decision, grant, key)
        try:
            return body.read_at(start, end_exclusive - start)
        finally:
            body.close()
    reader = _source_reader(instance, token)
    try:
        if end_exclusive > reader.size:
            raise _invalid(
                "InvalidRange: the byte range lies outside the file",
                "Range",
                f"0-{reader.size - 1}",
                f"{start}-{end_exclusive - 1}",
            )
        return reader.read_at(start, end_exclusive - start)
    finally:
        reader.close()


def prune_derived_slices(instance: Instance, *, older_than_seconds: float = 86_400) -> int:
    """Remove cached htsget slices not made within the given time (they are cut again on demand)."""
    folder = dataout_root(instance) / DERIVED_DIR
    if not folder.exists():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for description in folder.glob("*.json"):
        if description.stat().st_mtime > cutoff:
            continue
        key = description.stem
        for path in folder.glob(f"{key}*"):
            path.unlink(missing_ok=True)
        removed += 1
    return removed


def _split(region: str) -> tuple[str, int, int]:
    chrom, span = region.rsplit(":", 1)
    first, last = span.split("-")
    return chrom, int(first), int(last)


def fetch_ticket(instance: Instance, actor: Actor, ticket: dict[str, Any]) -> bytes:
    """Resolve every URL of a ticket (``data:``, ``file://``, service-relative blocks) and concatenate them."""
    blocks = []
    for entry in ticket["htsget"]["urls"]:
        url: str = entry["url"]
        byte_range = entry.get("headers", {}).get("Range")
        if url.startswith("data:"):
            blocks.append(base64.b64decode(url.split(",", 1)[1]))
            continue
        first, last = (int(x) for x in byte_range.removeprefix("bytes=").split("-"))
        parsed = urlparse(url)
        if parsed.scheme == "file":
            with Path(unquote(parsed.path)).open("rb") as handle:
                handle.seek(first)
                blocks.append(handle.read(last - first + 1))
        elif BLOCKS_PATH + "/" in parsed.path:
            token = parsed.path.rsplit("/", 1)[1]
            query = dict(parse_qsl(parsed.query))
            blocks.append(read_block(instance, token, query, first, last + 1, presenter=actor))
        else:
            raise _invalid("a ticket URL genomdb cannot resolve locally", "url", "data:, file:// or /blocks/", url)
    return b"".join(blocks)
