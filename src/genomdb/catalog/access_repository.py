"""Reads and writes of the access and data-out tables; ORM rows never leave this module.

The audit log is append-only: :meth:`AccessRepository.append_audit` is the only writer. It locks the head row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite an update of the head row takes the database write lock first)
so that concurrent appends are serialised and every entry chains onto the one before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeAlias

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from genomdb.access.records import (
    Actor,
    AuditDraft,
    AuditEntry,
    AuditFilters,
    Grant,
    GrantScope,
    NewGrant,
    Purpose,
    Role,
    SampleFacts,
    User,
)
from genomdb.catalog.access_tables import AuditEntryRow, AuditHeadRow, DataOutRequestRow, GrantRow, UserRow
from genomdb.catalog.repository import Catalog
from genomdb.catalog.tables import (
    BlobRow,
    DepartmentRow,
    FileRow,
    FileSampleRow,
    PersonRow,
    RegionRow,
    SampleRow,
    SubmissionVersionRow,
    utcnow,
)
from genomdb.dataout.records import CopyRequest, RequestState, RequestStatus
from genomdb.errors import Conflict, NotFound
from genomdb.model.catalog import SearchFilters, StorageTier, SubmissionStatus

GENESIS_HASH = "0" * 64
_HEAD_ID = 1
_IN_CHUNK = 500
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Sealer = Callable[[str, AuditEntry], str]
"""``seal(prev_hash, entry)`` → the entry's hash; the key lives with the caller, never in the catalog."""


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _facts_query() -> AnySelect:
    """Current samples (accepted version, not withdrawn) with the facts the policy needs."""
    return (
        select(
            SampleRow.sample_key,
            SampleRow.submitter_sample_id,
            PersonRow.pseudonym,
            DepartmentRow.code,
            RegionRow.code,
            PersonRow.research_opt_out,
        )
        .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
        .join(PersonRow, PersonRow.id == SampleRow.person_id)
        .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
        .join(RegionRow, RegionRow.id == DepartmentRow.region_id)
        .where(SubmissionVersionRow.status == SubmissionStatus.ACCEPTED, SampleRow.withdrawn.is_(False))
    )


def _facts(row: Any) -> SampleFacts:
    return SampleFacts(
        sample_key=row[0],
        submitter_sample_id=row[1],
        pseudonym=row[2],
        department=row[3],
        region=row[4],
        research_opt_out=bool(row[5]),
    )


class AccessRepository:
    """Users, grants, the audit chain, and the catalog facts access decisions need."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    # --- users ---------------------------------------------------------------------------------------

    def _user(self, row: UserRow, session: Session) -> User:
        department = session.get(DepartmentRow, row.department_id) if row.department_id else None
        return User(
            username=row.username,
            role=Role(row.role),
            department=department.code if department else None,
            region=department.region.code if department else None,
            active=row.active,
            created_at=_aware(row.created_at),
            has_key=row.public_key is not None,
        )

    def _user_row(self, session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFound(f"no user {username}")
        return row

    def add_user(self, username: str, role: Role, department: str | None) -> User:
        with self._catalog.session() as session:
            if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise Conflict(f"user {username} exists already")
            department_id = None
            if department is not None:
                department_id = session.scalar(select(DepartmentRow.id).where(DepartmentRow.code == department))
                if department_id is None:
                    raise NotFound(f"no department {department}")
            row = UserRow(username=username, role=role.value, department_id=department_id, active=True)
            session.add(row)
            session.flush()
            return self._user(row, session)

    def user(self, username: str) -> User | None:
        with self._catalog.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            return self._user(row, session) if row else None

    def users(self) -> list[User]:
        with self._catalog.session() as session:
            return [self._user(row, session) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def n_users(self) -> int:
        with self._catalog.session() as session:
            return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def set_public_key(self, username: str, public_key_b64: str) -> None:
        with self._catalog.session() as session:
            self._user_row(session, username).public_key = public_key_b64

    def public_key(self, username: str) -> str | None:
        with self._catalog.session() as session:
            return self._user_row(session, username).public_key

    def set_active(self, username: str, active: bool) -> None:
        with self._catalog.session() as session:
            self._user_row(session, username).active = active

    # --- grants --------------------------------------------------------------------------------------

    def _grant(self, row: GrantRow, session: Session) -> Grant:
        names = dict(
            session.execute(
                select(UserRow.id, UserRow.username).where(
                    UserRow.id.in_([i for i in (row.grantee_user_id, row.granted_by_id, row.revoked_by_id) if i])
                )
            ).all()
        )
        department = session.get(DepartmentRow, row.grantee_department_id) if row.grantee_department_id else None
        return Grant(
            grant_id=row.id,
            grantee_user=names.get(row.grantee_user_id) if row.grantee_user_id else None,
            grantee_department=department.code if department else None,
            scope=GrantScope.from_dict(row.scope),
            purpose=Purpose(row.purpose),
            reference=row.reference,
            project=row.project,
            legal_basis=row.legal_basis,
            granted_by=names[row.granted_by_id],
            granted_at=_aware(row.granted_at),
            expires_at=_aware(row.expires_at),
            revoked_at=_aware(row.revoked_at) if row.revoked_at else None,
            revoked_by=names.get(row.revoked_by_id) if row.revoked_by_id else None,
            revoke_reason=row.revoke_reason,
        )

    def add_grant(self, grant_id: str, new: NewGrant, *, granted_by: str) -> Grant:
        with self._catalog.session() as session:
            grantee_user_id = self._user_row(session, new.grantee_user).id if new.grantee_user else None
            grantee_department_id = None
            if new.grantee_department:
                grantee_department_id = session.scalar(
                    select(DepartmentRow.id).where(DepartmentRow.code == new.grantee_department)
                )
                if grantee_department_id is None:
                    raise NotFound(f"no department {new.grantee_department}")
            row = GrantRow(
                id=grant_id,
                grantee_user_id=grantee_user_id,
                grantee_department_id=grantee_department_id,
                scope=new.scope.to_dict(),
                purpose=new.purpose.value,
                reference=new.reference,
                project=new.project,
                legal_basis=new.legal_basis,
                granted_by_id=self._user_row(session, granted_by).id,
                granted_at=utcnow(),
                expires_at=new.expires_at,
            )
            session.add(row)
            session.flush()
            return self._grant(row, session)

    def grant(self, grant_id: str) -> Grant | None:
        with self._catalog.session() as session:
            row = session.get(GrantRow, grant_id)
            return self._grant(row, session) if row else None

    def grants(self, *, naming: Actor | None = None) -> list[Grant]:
        """Every grant, oldest first; with ``naming``, only grants to that user or to their department."""
        with self._catalog.session() as session:
            query = select(GrantRow).order_by(GrantRow.granted_at, GrantRow.id)
            if naming is not None:
                user_id = session.scalar(select(UserRow.id).where(UserRow.username == naming.username))
                department_id = (
                    session.scalar(select(DepartmentRow.id).where(DepartmentRow.code == naming.department))
                    if naming.department
                    else None
                )
                query = query.where(
                    or_(
                        GrantRow.grantee_user_id == user_id,
                        (GrantRow.grantee_department_id == department_id) & GrantRow.grantee_user_id.is_(None),
                    )
                )
            return [self._grant(row, session) for row in session.scalars(query)]

    def revoke_grant(self, grant_id: str, *, by: str, reason: str) -> Grant:
        with self._catalog.session() as session:
            row = session.get(GrantRow, grant_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no grant {grant_id}")
            if row.revoked_at is not None:
                raise Conflict(f"grant {grant_id} was revoked already")
            row.revoked_at = utcnow()
            row.revoked_by_id = self._user_row(session, by).id
            row.revoke_reason = reason
            session.flush()
            return self._grant(row, session)

    # --- catalog facts for decisions ---------------------------------------------------------------------

    def sample_facts(self, key: str) -> SampleFacts | None:
        """A current sample by sample key (``SMP-…``), or by a department's own sample id when that is unique."""
        with self._catalog.session() as session:
            rows = session.execute(_facts_query().where(SampleRow.sample_key == key)).all()
            if not rows:
                rows = session.execute(_facts_query().where(SampleRow.submitter_sample_id == key)).all()
            return _facts(rows[0]) if len(rows) == 1 else None

    def samples_of_person(self, pseudonym: str) -> list[SampleFacts]:
        with self._catalog.session() as session:
            rows = session.execute(
                _facts_query().where(PersonRow.pseudonym == pseudonym).order_by(SampleRow.sample_key)
            ).all()
            return [_facts(row) for row in rows]

    def samples_by_keys(self, keys: Iterable[str]) -> list[SampleFacts]:
        wanted = sorted(set(keys))
        found: list[SampleFacts] = []
        with self._catalog.session() as session:
            for chunk in _chunks(wanted):
                found.extend(
                    _facts(row) for row in session.execute(_facts_query().where(SampleRow.sample_key.in_(chunk)))
                )
        return sorted(found, key=lambda facts: facts.sample_key)

    def samples_matching(self, filters: SearchFilters) -> list[SampleFacts]:
        """Current samples a catalog search finds, with their policy facts."""
        return self.samples_by_keys(s.sample_key for s in self._catalog.search(filters))

    def samples_of_blob(self, sha256: str) -> list[SampleFacts]:
        """Current samples with a file (or a file's index) whose content is this blob."""
        with self._catalog.session() as session:
            linked = (
                select(FileSampleRow.sample_id)
                .join(FileRow, FileRow.id == FileSampleRow.file_id)
                .where(or_(FileRow.sha256 == sha256, FileRow.index_sha256 == sha256))
            )
            rows = session.execute(_facts_query().where(SampleRow.id.in_(linked)).order_by(SampleRow.sample_key))
            return [_facts(row) for row in rows]

    def blob_known(self, sha256: str) -> bool:
        with self._catalog.session() as session:
            return bool(session.scalar(select(exists().where(BlobRow.sha256 == sha256))))

    def blob_record(self, sha256: str) -> tuple[int, str, StorageTier] | None:
        """(size, md5, tier) of a registered blob."""
        with self._catalog.session() as session:
            row = session.get(BlobRow, sha256)
            return (row.size, row.md5, StorageTier(row.tier)) if row else None

    def blob_tiers(self, sha256s: Iterable[str]) -> dict[str, StorageTier]:
        wanted = sorted(set(sha256s))
        found: dict[str, StorageTier] = {}
        with self._catalog.session() as session:
            for chunk in _chunks(wanted):
                for sha, tier in session.execute(select(BlobRow.sha256, BlobRow.tier).where(BlobRow.sha256.in_(chunk))):
                    found[sha] = StorageTier(tier)
        return found

    def set_tier(self, sha256s: Iterable[str], tier: StorageTier) -> int:
        """Move blobs to a tier; returns how many changed."""
        wanted = sorted(set(sha256s))
        changed = 0
        with self._catalog.session() as session:
            for chunk in _chunks(wanted):
                result = session.execute(
                    update(BlobRow).where(BlobRow.sha256.in_(chunk), BlobRow.tier != tier.value).values(tier=tier.value)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        return changed

    # --- the audit chain -----------------------------------------------------------------------------

    def append_audit(self, drafts: Sequence[AuditDraft], seal: Sealer) -> list[AuditEntry]:
        """Append entries after the current head in one transaction, serialised against other appenders."""
        if not drafts:
            return []
        try:
            with self._catalog.session() as session:
                if self._catalog.backend == "sqlite":
                    session.execute(
                        update(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID).values(seq=AuditHeadRow.seq)
                    )
                head = session.scalar(select(AuditHeadRow).where(AuditHeadRow.id == _HEAD_ID).with_for_update())
                if head is None:
                    head = AuditHeadRow(id=_HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
                    session.add(head)
                seq, prev_hash = head.seq, head.entry_hash
                now = utcnow()
                entries = []
                for draft in drafts:
                    seq += 1
                    unsealed = AuditEntry(
                        seq=seq,
                        at=now,
                        actor=draft.actor,
                        actor_role=draft.actor_role,
                        actor_department=draft.actor_department,
                        action=draft.action,
                        resource_kind=draft.resource_kind,
                        resource_id=draft.resource_id[:200],
                        person=draft.person,
                        decision=draft.decision,
                        rule=draft.rule,
                        grant_id=draft.grant_id,
                        legal_basis=draft.legal_basis,
                        detail=dict(draft.detail),
                        prev_hash=prev_hash,
                        entry_hash="",
                    )
                    entry_hash = seal(prev_hash, unsealed)
                    entry = AuditEntry(**{**_entry_fields(unsealed), "entry_hash": entry_hash})
                    session.add(AuditEntryRow(**_entry_fields(entry)))
                    entries.append(entry)
                    prev_hash = entry_hash
                head.seq, head.entry_hash = seq, prev_hash
            return entries
        except sa_exc.IntegrityError as exc:
            raise Conflict(f"the audit log changed under this append; try again ({exc.orig})") from None

    def audit_head(self) -> tuple[int, str]:
        with self._catalog.session() as session:
            head = session.get(AuditHeadRow, _HEAD_ID)
            return (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)

    def audit_entries(self, *, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order, read in batches."""
        after = None
        while True:
            with self._catalog.session() as session:
                query = select(AuditEntryRow).order_by(AuditEntryRow.seq).limit(batch)
                if after is not None:
                    query = query.where(AuditEntryRow.seq > after)
                rows = list(session.scalars(query))
                entries = [_audit_entry(row) for row in rows]
            if not entries:
                return
            yield from entries
            after = entries[-1].seq

    def audit_search(self, filters: AuditFilters) -> list[AuditEntry]:
        with self._catalog.session() as session:
            query = select(AuditEntryRow).order_by(AuditEntryRow.seq)
            if filters.person:
                query = query.where(AuditEntryRow.person == filters.person)
            if filters.actor:
                query = query.where(AuditEntryRow.actor == filters.actor)
            if filters.since:
                query = query.where(AuditEntryRow.at >= filters.since)
            if filters.action:
                query = query.where(AuditEntryRow.action == filters.action)
            if filters.decision:
                query = query.where(AuditEntryRow.decision == filters.decision)
            return [_audit_entry(row) for row in session.scalars(query.limit(filters.limit))]


class DataOutRepository:
    """Working-copy requests and their state."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def add_request(
        self,
        request_id: str,
        *,
        requester: str,
        spec: CopyRequest,
        status: RequestStatus,
        purpose: str | None,
        grant_id: str | None,
        message: str | None = None,
    ) -> RequestState:
        with self._catalog.session() as session:
            user_id = session.scalar(select(UserRow.id).where(UserRow.username == requester))
            if user_id is None:
                raise NotFound(f"no user {requester}")
            now = utcnow()
            row = DataOutRequestRow(
                id=request_id,
                user_id=user_id,
                status=status.value,
                spec=spec.to_dict(),
                purpose=purpose,
                grant_id=grant_id,
                message=message,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _request_state(row, requester)

    def update_request(
        self,
        request_id: str,
        *,
        status: RequestStatus,
        message: str | None = None,
        waiting_for: Sequence[str] | None = None,
        n_parts: int | None = None,
        total_bytes: int | None = None,
    ) -> None:
        with self._catalog.session() as session:
            row = session.get(DataOutRequestRow, request_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no request {request_id}")
            now = utcnow()
            row.status = status.value
            row.message = message
            row.waiting_for = list(waiting_for) if waiting_for is not None else None
            row.n_parts, row.total_bytes = n_parts, total_bytes
            row.updated_at = now
            if status in (RequestStatus.READY, RequestStatus.FAILED, RequestStatus.REFUSED):
                row.completed_at = now

    def request(self, request_id: str) -> RequestState | None:
        with self._catalog.session() as session:
            found = session.execute(
                select(DataOutRequestRow, UserRow.username)
                .join(UserRow, UserRow.id == DataOutRequestRow.user_id)
                .where(DataOutRequestRow.id == request_id)
            ).first()
            return _request_state(found[0], found[1]) if found else None

    def requests(self, *, requester: str | None = None, status: RequestStatus | None = None) -> list[RequestState]:
        with self._catalog.session() as session:
            query = (
                select(DataOutRequestRow, UserRow.username)
                .join(UserRow, UserRow.id == DataOutRequestRow.user_id)
                .order_by(DataOutRequestRow.created_at, DataOutRequestRow.id)
            )
            if requester is not None:
                query = query.where(UserRow.username == requester)
            if status is not None:
                query = query.where(DataOutRequestRow.status == status.value)
            return [_request_state(row, username) for row, username in session.execute(query)]


def _request_state(row: DataOutRequestRow, requester: str) -> RequestState:
    return RequestState(
        request_id=row.id,
        requester=requester,
        status=RequestStatus(row.status),
        spec=CopyRequest.from_dict(row.spec),
        purpose=row.purpose,
        grant_id=row.grant_id,
        message=row.message,
        waiting_for=tuple(row.waiting_for or ()),
        n_parts=row.n_parts,
        total_bytes=row.total_bytes,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        completed_at=_aware(row.completed_at) if row.completed_at else None,
    )


def _entry_fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__}


def _audit_entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=_aware(row.at),
        actor=row.actor,
        actor_role=row.actor_role,
        actor_department=row.actor_department,
        action=row.action,
        resource_kind=row.resource_kind,
        resource_id=row.resource_id,
        person=row.person,
        decision=row.decision,
        rule=row.rule,
        grant_id=row.grant_id,
        legal_basis=row.legal_basis,
        detail=dict(row.detail or {}),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )
