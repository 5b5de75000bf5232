"""The tamper-evident audit log: an append-only, hash-chained table plus a head anchor outside the catalog.

Each entry's hash is HMAC-SHA256 under the instance's audit key (a secret file, never in the catalog) over the
previous entry's hash and the entry's canonical JSON. Editing an entry breaks its hash; deleting or reordering
entries breaks the chain; removing entries from the end is caught by the anchor (``HOME/audit/head``), which
records the newest sequence number and hash outside the database and only ever moves forward.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from genomdb.access.records import AuditDraft, AuditEntry, AuditFilters, AuditVerification
from genomdb.access.repository import GENESIS_HASH, AccessRepository
from genomdb.errors import Unavailable
from genomdb.instance import AUDIT_KEY, Instance

ANCHOR_DIR = "audit"
ANCHOR_FILE = "head"
MAX_PROBLEMS = 50


def _canonical_json(entry: AuditEntry) -> bytes:
    return json.dumps(entry.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal_entry(key: bytes, prev_hash: str, entry: AuditEntry) -> str:
    """The chain hash of an entry: HMAC-SHA256(key, prev_hash ‖ canonical JSON of the entry)."""
    return hmac.new(key, prev_hash.encode("ascii") + b"\n" + _canonical_json(entry), hashlib.sha256).hexdigest()


def load_audit_key(instance: Instance) -> bytes:
    path = instance.settings.resolved_secrets_dir() / AUDIT_KEY
    if not path.exists():
        home = instance.settings.resolved_home()
        raise Unavailable(f"the audit key {path} is missing: run `genomdb init --home {home}` to create it")
    return bytes.fromhex(path.read_text().strip())


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    entry_hash: str


class AuditLog:
    """Append, verify and search the audit log of one instance."""

    def __init__(self, instance: Instance) -> None:
        self._repository = AccessRepository(instance.db)
        self._key = load_audit_key(instance)
        self._anchor_dir = instance.settings.resolved_home() / ANCHOR_DIR

    @property
    def anchor_path(self) -> Path:
        return self._anchor_dir / ANCHOR_FILE

    def _seal(self, prev_hash: str, entry: AuditEntry) -> str:
        return seal_entry(self._key, prev_hash, entry)

    def append(self, drafts: Sequence[AuditDraft]) -> list[AuditEntry]:
        """Seal and append entries in one transaction, then move the anchor forward."""
        entries = self._repository.append_audit(drafts, self._seal)
        if entries:
            self._advance_anchor(Anchor(entries[-1].seq, entries[-1].entry_hash))
        return entries

    def read_anchor(self) -> Anchor | None:
        try:
            data = json.loads(self.anchor_path.read_text())
        except FileNotFoundError:
            return None
        return Anchor(int(data["seq"]), str(data["entry_hash"]))

    def _advance_anchor(self, anchor: Anchor) -> None:
        """Write the anchor atomically, under a file lock, and never backwards."""
        self._anchor_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self._anchor_dir / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.read_anchor()
            if current is not None and current.seq >= anchor.seq:
                return
            temp = self._anchor_dir / f".head.{os.getpid()}"
            with temp.open("w") as handle:
                json.dump({"seq": anchor.seq, "entry_hash": anchor.entry_hash}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(self.anchor_path)
            directory = os.open(self._anchor_dir, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def verify(self) -> AuditVerification:
        """Re-check the whole chain, the head row and the anchor; every problem found is listed."""
        problems: list[str] = []

        def problem(text: str) -> None:
            if len(problems) < MAX_PROBLEMS:
                problems.append(text)

        anchor = self.read_anchor()
        anchor_hash_seen: str | None = None
        expected_seq, prev_hash, n_entries = 1, GENESIS_HASH, 0
        for entry in self._repository.audit_entries():
            n_entries += 1
            if entry.seq != expected_seq:
                if entry.seq > expected_seq:
                    problem(f"entries {expected_seq}–{entry.seq - 1} are missing: deleted from the log")
                else:
                    problem(f"entry {entry.seq} appears out of order")
            if entry.prev_hash != prev_hash:
                problem(
                    f"entry {entry.seq} does not follow the entry before it (its prev_hash differs): "
                    "entries were deleted, inserted or reordered"
                )
            if not hmac.compare_digest(self._seal(entry.prev_hash, entry), entry.entry_hash):
                problem(f"entry {entry.seq} does not match its hash: its content was edited")
            if anchor is not None and entry.seq == anchor.seq:
                anchor_hash_seen = entry.entry_hash
            prev_hash, expected_seq = entry.entry_hash, entry.seq + 1
        last_seq = expected_seq - 1
        head_seq, head_hash = self._repository.audit_head()
        if (head_seq, head_hash) != (last_seq, prev_hash):
            problem(f"the head row (entry {head_seq}) does not match the last entry in the log (entry {last_seq})")
        if anchor is not None:
            if anchor.seq > last_seq:
                problem(
                    f"the log ends at entry {last_seq} but the anchor outside the catalog records entry "
                    f"{anchor.seq}: entries were removed from the end"
                )
            elif anchor.seq > 0 and anchor_hash_seen != anchor.entry_hash:
                problem(f"entry {anchor.seq} differs from the one the anchor outside the catalog recorded")
        elif last_seq > 0:
            problem(f"the anchor {self.anchor_path} is missing although the log has {last_seq} entries")
        return AuditVerification(
            ok=not problems,
            n_entries=n_entries,
            head_seq=last_seq,
            head_hash=prev_hash,
            anchor_seq=anchor.seq if anchor else None,
            problems=tuple(problems),
        )

    def search(self, filters: AuditFilters) -> list[AuditEntry]:
        return self._repository.audit_search(filters)
