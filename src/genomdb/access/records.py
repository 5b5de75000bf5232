"""Domain records of access control: who asks (actors), what they may do (grants), what was decided (audit).

Pure values: no database, no I/O. The catalog's access repository maps its rows to these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from genomdb.errors import Forbidden, InvalidInput, Problem
from genomdb.model.catalog import SampleFacts


class Role(StrEnum):
    SUBMITTER = "submitter"
    CLINICIAN = "clinician"
    RESEARCHER = "researcher"
    STEWARD = "steward"
    ADMIN = "admin"


CLINICAL_ROLES = frozenset({Role.SUBMITTER, Role.CLINICIAN})
"""Roles that read their own department's and region's submissions without a grant."""


class Action(StrEnum):
    READ_METADATA = "read-metadata"
    """Person-level catalog records: person, samples, runs, files, analyses."""
    READ_DATA = "read-data"
    """The content of stored files: working copies, slices, htsget, DRS."""
    FETCH_PACKAGE = "fetch-package"
    READ_REQUEST = "read-request"
    MANAGE_USERS = "manage-users"
    MANAGE_GRANTS = "manage-grants"
    MANAGE_STORE = "manage-store"
    READ_AUDIT = "read-audit"
    READ_CLASSIFICATIONS = "read-classifications"
    """The national variant database: national views, histories, conflict cases, the national export."""
    WRITE_CLASSIFICATION = "write-classification"
    """Record, reclassify or withdraw a department's assertion."""
    UPDATE_CONFLICT = "update-conflict"
    """Move a conflict case to under discussion or resolved."""
    READ_WORKLIST = "read-worklist"
    """A department's recontact worklist (person-level: its own carriers of a reclassified variant)."""
    CONFIGURE_CLASSIFICATION = "configure-classification"
    """Set the instance's FAF95 thresholds that frequency suggestions (BA1/BS1/PM2) use."""
    READ_SUBMISSION = "read-submission"
    """A submission's versions, validation reports and events."""
    OPERATE = "operate"
    """Operator jobs over the whole instance: harmonise, build a release, collect garbage, verify and scrub the
    store, run the PGx batch."""
    SUBMIT = "submit"
    """Data-in: submit a manifest and its files, or a correction of a submission, for a department."""
    MANAGE_SCREENING = "manage-screening"
    """Early detection: load a programme policy, run a programme, set clinic capacity, release worklists, and
    record a person's wish not to know."""


class Rule(StrEnum):
    """The rule that decided; each allowing rule has a legal basis."""

    OWN_DEPARTMENT = "own-department"
    SAME_REGION = "same-region"
    GRANT = "grant"
    DATA_STEWARDSHIP = "data-stewardship"
    STEWARD_ADMINISTERS = "steward-administers"
    BOOTSTRAP = "bootstrap-first-user"
    OWN_KEY = "own-key"
    RECIPIENT = "recipient"
    DENY_BY_DEFAULT = "deny-by-default"
    GRANT_EXPIRED = "grant-expired"
    GRANT_REVOKED = "grant-revoked"
    OUTSIDE_GRANT = "outside-grant-scope"
    RESEARCH_OPT_OUT = "research-opt-out"
    INACTIVE_USER = "inactive-user"
    ROLE_REQUIRED = "role-required"
    NOT_RECIPIENT = "recipient-only"
    AUTOMATIC_THAW = "automatic-thaw"
    COLD_READ = "cold-read"
    NATIONAL_VARIANT_DATABASE = "national-variant-database"
    OWN_DEPARTMENT_ONLY = "own-department-only"


LEGAL_BASES: dict[Rule, str] = {
    Rule.OWN_DEPARTMENT: "treatment: the submitting department's own patients",
    Rule.SAME_REGION: "treatment: patients of a department in the same region",
    Rule.DATA_STEWARDSHIP: "data stewardship: the national genome center keeps and checks the catalogue",
    Rule.STEWARD_ADMINISTERS: "administration of access by the data controller's stewards",
    Rule.BOOTSTRAP: "installation: the first administrator of a new instance",
    Rule.OWN_KEY: "a user registers their own delivery key",
    Rule.RECIPIENT: "delivery to the recipient named in the request",
    Rule.AUTOMATIC_THAW: "delivery of an allowed request: the cold-tier files it needs are thawed",
    Rule.COLD_READ: "delivery of an allowed request: the cold-tier files it needs are read where they are",
    Rule.NATIONAL_VARIANT_DATABASE: "clinical genetics: the departments share their variant classifications",
}


class Purpose(StrEnum):
    TREATMENT = "treatment"
    RESEARCH = "research"


class Verdict(StrEnum):
    """How an audit entry ended."""

    ALLOWED = "allowed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    department: str | None
    region: str | None
    active: bool
    created_at: dt.datetime
    has_key: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: a named user with a role, and for clinical users their department and its region."""

    username: str
    role: Role
    department: str | None = None
    region: str | None = None

    def __str__(self) -> str:
        where = f"{self.department}/{self.region}" if self.department else "center"
        return f"{self.username} ({self.role}, {where})"


SYSTEM_ACTOR = Actor("genomdb", Role.ADMIN)
"""The instance itself, for automatic steps (thawing, queued deliveries)."""


_INTERVAL = re.compile(r"^([A-Za-z0-9_.]+):([0-9][0-9,]*)-([0-9][0-9,]*)$")


@dataclass(frozen=True, slots=True, order=True)
class GenomicInterval:
    """A stretch of one contig, 1-based and inclusive at both ends (as in VCF and samtools regions)."""

    chrom: str
    start_1based: int
    end_1based: int

    @property
    def start_0based(self) -> int:
        return self.start_1based - 1

    @property
    def end_0based_exclusive(self) -> int:
        return self.end_1based

    def contains(self, other: GenomicInterval) -> bool:
        return (
            self.chrom == other.chrom
            and self.start_1based <= other.start_1based
            and other.end_1based <= self.end_1based
        )

    def overlaps(self, other: GenomicInterval) -> bool:
        return (
            self.chrom == other.chrom
            and self.start_1based <= other.end_1based
            and other.start_1based <= self.end_1based
        )

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start_1based}-{self.end_1based}"


def parse_interval(text: str) -> GenomicInterval:
    """Parse ``chr19:11089462-11133830`` (1-based, inclusive; commas allowed)."""
    match = _INTERVAL.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"not a genomic region: {text!r}",
            [Problem("regions", "cannot read the region", field="region", expected="CHROM:START-END", found=text)],
        )
    chrom, start, end = match.group(1), int(match.group(2).replace(",", "")), int(match.group(3).replace(",", ""))
    if start < 1 or end < start:
        raise InvalidInput(
            f"not a genomic region: {text!r}",
            [Problem("regions", "start must be ≥ 1 and ≤ end", field="region", expected="1 ≤ START ≤ END", found=text)],
        )
    return GenomicInterval(chrom, start, end)


def merge_intervals(intervals: Iterable[GenomicInterval]) -> tuple[GenomicInterval, ...]:
    """Sort by contig name and start, and merge overlapping or touching intervals."""
    merged: list[GenomicInterval] = []
    for interval in sorted(intervals):
        last = merged[-1] if merged else None
        if last is not None and last.chrom == interval.chrom and interval.start_1based <= last.end_1based + 1:
            merged[-1] = GenomicInterval(last.chrom, last.start_1based, max(last.end_1based, interval.end_1based))
        else:
            merged.append(interval)
    return tuple(merged)


def intersect_intervals(
    wanted: Iterable[GenomicInterval], allowed: Iterable[GenomicInterval]
) -> tuple[GenomicInterval, ...]:
    """The parts of ``wanted`` that lie inside ``allowed``, merged."""
    allowed_merged = merge_intervals(allowed)
    parts = []
    for want in merge_intervals(wanted):
        for allow in allowed_merged:
            if want.overlaps(allow):
                parts.append(
                    GenomicInterval(
                        want.chrom,
                        max(want.start_1based, allow.start_1based),
                        min(want.end_1based, allow.end_1based),
                    )
                )
    return merge_intervals(parts)


def covered_by(wanted: Iterable[GenomicInterval], allowed: Iterable[GenomicInterval]) -> bool:
    """True when every base of ``wanted`` lies inside ``allowed``."""
    wanted_merged = merge_intervals(wanted)
    return intersect_intervals(wanted_merged, allowed) == wanted_merged


@dataclass(frozen=True, slots=True)
class CatalogQuery:
    """A saved catalog search (the filters of ``genomdb catalog search``) naming samples by their properties."""

    region: str | None = None
    department: str | None = None
    platform: str | None = None
    read_type: str | None = None
    file_format: str | None = None
    reference_build: str | None = None
    has_vcf: bool | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None

    def is_empty(self) -> bool:
        return not self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in (f.name for f in fields(self)):
            value = getattr(self, name)
            if value is not None:
                found[name] = value.isoformat() if isinstance(value, dt.date) else value
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CatalogQuery:
        values = dict(data)
        for name in ("submitted_from", "submitted_to"):
            if isinstance(values.get(name), str):
                values[name] = dt.date.fromisoformat(values[name])
        return cls(**values)

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.to_dict().items()) or "(everything)"


@dataclass(frozen=True, slots=True)
class GrantScope:
    """What a grant covers: named persons and samples and/or a catalog query, optionally only some regions."""

    persons: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    query: CatalogQuery | None = None
    regions: tuple[GenomicInterval, ...] = ()
    """Empty: whole files. Otherwise reads are limited to these genomic regions."""
    panel: tuple[str, ...] = ()
    """Gene symbols whose spans are part of ``regions`` (kept to show what the regions are)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "persons": list(self.persons),
            "samples": list(self.samples),
            "query": self.query.to_dict() if self.query is not None else None,
            "regions": [str(r) for r in self.regions],
            "panel": list(self.panel),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GrantScope:
        query = data.get("query")
        return cls(
            persons=tuple(data.get("persons") or ()),
            samples=tuple(data.get("samples") or ()),
            query=CatalogQuery.from_dict(query) if query is not None else None,
            regions=tuple(parse_interval(r) for r in data.get("regions") or ()),
            panel=tuple(data.get("panel") or ()),
        )

    def describe(self) -> str:
        parts = []
        if self.persons:
            parts.append(f"{len(self.persons)} person(s)")
        if self.samples:
            parts.append(f"{len(self.samples)} sample(s)")
        if self.query is not None:
            parts.append(f"query [{self.query}]")
        if self.panel:
            parts.append("genes " + ",".join(self.panel))
        if self.regions:
            parts.append("regions " + ",".join(str(r) for r in self.regions))
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    grantee_user: str | None
    grantee_department: str | None
    scope: GrantScope
    purpose: Purpose
    reference: str
    """Referral id (treatment) or approval id (research)."""
    project: str | None
    legal_basis: str
    granted_by: str
    granted_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"

    def names(self, actor: Actor) -> bool:
        """True when the grant is to this user, or to this user's department."""
        if self.grantee_user is not None:
            return self.grantee_user == actor.username
        return self.grantee_department is not None and self.grantee_department == actor.department

    @property
    def grantee(self) -> str:
        return f"user {self.grantee_user}" if self.grantee_user else f"department {self.grantee_department}"


@dataclass(frozen=True, slots=True)
class NewGrant:
    """What a steward asks for when creating a grant."""

    scope: GrantScope
    purpose: Purpose
    reference: str
    legal_basis: str
    expires_at: dt.datetime
    grantee_user: str | None = None
    grantee_department: str | None = None
    project: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about: ``kind`` is sample, person, file, grant, user, audit, request or store, or for the
    national variant database variant, assertion, conflict or worklist."""

    kind: str
    identifier: str
    sample: SampleFacts | None = None
    """Set for person-level resources that exist; None when the named thing is unknown."""
    owner: str | None = None
    """For requests and packages: the user who asked for them."""
    regions: tuple[GenomicInterval, ...] = ()
    """The genomic regions a read asks for; empty: whole files."""
    departments: tuple[str, ...] = ()
    """For classification resources: the departments they belong to (the owner of an assertion or a worklist,
    the departments involved in a conflict case)."""

    @property
    def person_level(self) -> bool:
        return self.kind in ("sample", "person", "file")

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier}"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one policy decision, already written to the audit log as entry ``audit_seq``."""

    allowed: bool
    rule: Rule
    resource: Resource
    action: Action
    legal_basis: str | None = None
    grant_id: str | None = None
    purpose: Purpose | None = None
    project: str | None = None
    regions: tuple[GenomicInterval, ...] = ()
    """When allowed under a region-restricted grant: only these regions may be read."""
    explanation: str = ""
    how_to_get_access: str = ""
    audit_seq: int | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.regions)

    def message(self) -> str:
        text = f"refused by rule {self.rule}: {self.explanation}"
        if self.how_to_get_access:
            text += f". To get access: {self.how_to_get_access}"
        return text

    def require(self) -> Decision:
        """Return the decision when allowed; raise Forbidden naming the rule and the way to access otherwise."""
        if not self.allowed:
            raise Forbidden(self.message())
        return self


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """An audit entry before it is sealed into the chain."""

    actor: str
    actor_role: str | None
    actor_department: str | None
    action: str
    resource_kind: str
    resource_id: str
    person: str | None
    decision: str
    rule: str
    grant_id: str | None
    legal_basis: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: dt.datetime
    actor: str
    actor_role: str | None
    actor_department: str | None
    action: str
    resource_kind: str
    resource_id: str
    person: str | None
    decision: str
    rule: str
    grant_id: str | None
    legal_basis: str | None
    detail: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def canonical(self) -> dict[str, Any]:
        """The fields the chain hash covers (everything but the hashes themselves)."""
        return {
            "seq": self.seq,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": self.actor,
            "actor_role": self.actor_role,
            "actor_department": self.actor_department,
            "action": self.action,
            "resource_kind": self.resource_kind,
            "resource_id": self.resource_id,
            "person": self.person,
            "decision": self.decision,
            "rule": self.rule,
            "grant_id": self.grant_id,
            "legal_basis": self.legal_basis,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class AuditFilters:
    person: str | None = None
    actor: str | None = None
    since: dt.datetime | None = None
    action: str | None = None
    decision: str | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class AuditVerification:
    ok: bool
    n_entries: int
    head_seq: int
    head_hash: str
    anchor_seq: int | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as lists show it: never its secret."""

    token_id: str
    username: str
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime
    created_by: str | None = None
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """What verifying a token needs: the stored hash, its validity and who holds it."""

    token_id: str
    secret_sha256: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    username: str
    role: Role
    department: str | None
    region: str | None
    active: bool
