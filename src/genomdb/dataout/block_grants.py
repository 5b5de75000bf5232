"""Signed grants on htsget and DRS block URLs: what lets a client that holds a ticket read its blocks without
sending its API token again, as the htsget spec intends (the token goes to the ticket request only).

A grant is a set of query parameters on the block URL, signed with HMAC-SHA256 under the instance's block key
(``secrets/htsget-block.key``, never in the catalog). The signature covers the method, the block's path segment
and every other parameter: the user it was issued to, the byte range it may read, its expiry, the audit entry of
the policy decision that issued the ticket and the grant under which that decision allowed the read, and, for
crypt4gh tickets, how the encrypted stream is laid out. Nothing personal is in it: usernames, sample keys or
blob digests, never a CPR number. A URL without a grant, with a changed parameter, or past its expiry is refused.

The grant only carries the ticket's decision to the block request; the block read is decided again by the access
policy for the same user (so a revoked grant or a deactivated user stops it at once), audited with the ticket's
decision it belongs to, and refused when the access it would now get differs from what issued the ticket.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlencode

from genomdb.access.tokens import Unauthenticated
from genomdb.errors import InvalidInput, Problem
from genomdb.instance import BLOCK_KEY, Instance

GRANT_VERSION = "1"
DEFAULT_LIFETIME_SECONDS = 3600
"""How long a ticket's block URLs work: long enough to download a whole genome's reads over a slow link."""
SIGNATURE = "sig"


@dataclass(frozen=True, slots=True)
class BlockGrant:
    """What one block URL may read, for whom, until when, and under which decision."""

    token: str
    """The path segment after ``/blocks/``: a blob's sha256 or a derived slice's id."""
    user: str
    first: int
    last: int
    """The byte range (inclusive at both ends) the URL may read; a request may ask for any part of it."""
    expires: int
    """Unix seconds."""
    decision: int
    """The audit sequence number of the policy decision that issued the ticket."""
    grant: str = ""
    """The access grant that decision allowed the read under (empty: a rule without a grant)."""
    scheme: str = "plain"
    """``plain``: bytes of the stored (or derived) file; ``c4gh``: bytes of the ticket's crypt4gh body."""
    ticket: str = ""
    """crypt4gh tickets: the ticket's random id (its session key is derived from it)."""
    format: str = ""
    region: str = ""
    header_only: bool = False
    length: int = 0
    """crypt4gh tickets: the plaintext length of the encrypted stream."""
    layout: str = ""
    """crypt4gh tickets: a digest of the plaintext pieces, so that a changed source is refused, not mis-encrypted."""

    def query(self, key: bytes) -> dict[str, str]:
        """The URL query of this grant, signed."""
        values = _parameters(self)
        values[SIGNATURE] = _sign(key, self.token, values)
        return values

    def url(self, base_url: str, key: bytes) -> str:
        """``{base_url}/blocks/{token}?…`` with the signed grant."""
        return f"{base_url}/blocks/{self.token}?{urlencode(self.query(key))}"


_NAMES = {
    "user": "u",
    "first": "a",
    "last": "b",
    "expires": "exp",
    "decision": "d",
    "grant": "g",
    "scheme": "s",
    "ticket": "t",
    "format": "f",
    "region": "r",
    "header_only": "h",
    "length": "n",
    "layout": "l",
}
_INTEGERS = frozenset({"first", "last", "expires", "decision", "length"})
_REQUIRED = frozenset({"user", "first", "last", "expires", "decision"})


def _parameters(grant: BlockGrant) -> dict[str, str]:
    values = {"v": GRANT_VERSION}
    for item in fields(grant):
        if item.name == "token":
            continue
        value = getattr(grant, item.name)
        if item.name not in _REQUIRED and value == item.default:
            continue  # defaults stay out of the URL (and out of the signature)
        values[_NAMES[item.name]] = ("1" if value else "0") if item.name == "header_only" else str(value)
    return values


def _sign(key: bytes, token: str, values: Mapping[str, str]) -> str:
    canonical = "\n".join(
        ["GET", f"blocks/{token}", *(f"{name}={values[name]}" for name in sorted(values) if name != SIGNATURE)]
    )
    digest = hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


_MISSING = (
    "{what} needs the signed grant its ticket gave with it (the URL's query); ask for a new ticket at "
    "/htsget/reads/{{id}} or /htsget/variants/{{id}} with your token"
)


def verify(key: bytes, token: str, query: Mapping[str, str], *, now: float | None = None) -> BlockGrant:
    """The grant a block URL carries; Unauthenticated (HTTP 401) when absent, altered or expired.

    Messages never repeat the signature or the parameters' values.
    """
    what = f"block {token[:12]}…"
    if SIGNATURE not in query:
        raise Unauthenticated(_MISSING.format(what=what))
    if query.get("v") != GRANT_VERSION:
        raise Unauthenticated(f"{what}: the URL's grant is of an unknown version; ask for a new ticket")
    expected = _sign(key, token, {k: v for k, v in query.items() if k in _NAMES.values() or k == "v"})
    extra = set(query) - set(_NAMES.values()) - {"v", SIGNATURE}
    if extra or not hmac.compare_digest(expected, query[SIGNATURE]):
        raise Unauthenticated(f"{what}: the URL's grant does not match its signature (altered or for another URL)")
    values: dict[str, object] = {"token": token}
    try:
        for name, short in _NAMES.items():
            if short not in query and name not in _REQUIRED:
                continue
            text = query[short]
            values[name] = int(text) if name in _INTEGERS else (text == "1" if name == "header_only" else text)
    except (KeyError, ValueError):
        raise Unauthenticated(f"{what}: the URL's grant is incomplete; ask for a new ticket") from None
    grant = BlockGrant(**values)  # type: ignore[arg-type]
    if grant.expires <= (time.time() if now is None else now):
        raise Unauthenticated(f"{what}: the URL expired; ask for a new ticket (block URLs work for a limited time)")
    return grant


def check_range(grant: BlockGrant, start: int, end_exclusive: int) -> None:
    """A request may read any part of the grant's range, nothing outside it."""
    if start < grant.first or end_exclusive - 1 > grant.last or start >= end_exclusive:
        message = "InvalidRange: the Range lies outside what this block URL grants"
        raise InvalidInput(
            message,
            [
                Problem(
                    "htsget",
                    message,
                    field="Range",
                    expected=f"within bytes={grant.first}-{grant.last}",
                    found=f"bytes={start}-{end_exclusive - 1}",
                )
            ],
        )


def block_key(instance: Instance) -> bytes:
    """The instance's block-URL key (made by ``genomdb init``; created here, mode 0600, for an older instance)."""
    path = instance.settings.resolved_secrets_dir() / BLOCK_KEY
    if not path.exists():
        draft = path.with_name(f".{BLOCK_KEY}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)  # atomic: the first process to get here decides the key
        draft.unlink()
    return bytes.fromhex(path.read_text().strip())


def expiry(lifetime_seconds: int | None) -> int:
    return int(time.time()) + (lifetime_seconds if lifetime_seconds is not None else DEFAULT_LIFETIME_SECONDS)


def new_ticket_id() -> str:
    return secrets.token_urlsafe(16)
