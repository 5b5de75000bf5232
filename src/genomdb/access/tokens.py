"""API tokens: how a user of the REST service and the web browser proves who they are.

A token reads ``gdb_<id>_<secret>``: a public id (to find the row and to name the token in lists, logs and
revocations) and a 256-bit secret. Only the SHA-256 of the secret is stored, so a copy of the catalog does not
hold usable tokens; the whole token is shown once, when it is created. Tokens expire (at most a year) and can be
revoked; a token of a deactivated user stops working at once. Stewards and administrators issue and revoke
tokens, and each such act is a policy decision in the audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, ApiToken, Resource
from genomdb.access.token_repository import TokenRepository
from genomdb.access.users import resolve_actor
from genomdb.errors import Forbidden, InvalidInput, NotFound, Problem
from genomdb.instance import Instance

TOKEN_PREFIX = "gdb_"
MAX_DAYS_VALID = 366
DEFAULT_DAYS_VALID = 90
_TOKEN = re.compile(r"^gdb_([A-Z2-7]{12})_([A-Za-z0-9_-]{43})$")


class Unauthenticated(Forbidden):
    """The request's credentials are missing, malformed, unknown, expired or revoked (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created: ``secret`` is the whole token, shown to its holder once and never stored."""

    token: ApiToken
    secret: str

    def __repr__(self) -> str:
        return f"IssuedToken({self.token!r}, secret=<hidden>)"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether a bearer credential is written as a genomdb API token (rather than a JWT)."""
    return text.startswith(TOKEN_PREFIX)


def token_id_of(text: str) -> str | None:
    """The public id of a well-formed token (safe to log), None otherwise."""
    match = _TOKEN.match(text)
    return match.group(1) if match else None


def _repository(instance: Instance) -> TokenRepository:
    return TokenRepository(instance.db)


def create_token(
    instance: Instance,
    actor: Actor,
    username: str,
    *,
    days_valid: int = DEFAULT_DAYS_VALID,
    label: str = "",
    now: dt.datetime | None = None,
) -> IssuedToken:
    """Issue a token for ``username`` valid for ``days_valid`` days (a steward's or an administrator's act)."""
    if not 1 <= days_valid <= MAX_DAYS_VALID:
        raise InvalidInput(
            "cannot create the token",
            [
                Problem(
                    "tokens",
                    "validity out of range",
                    field="days",
                    expected=f"1-{MAX_DAYS_VALID}",
                    found=str(days_valid),
                )
            ],
        )
    policy = Policy(instance)
    user = policy.repository.user(username)
    if user is None:
        raise NotFound(f"no user {username}: add one with `genomdb users add {username} --role … --department …`")
    if not user.active:
        raise InvalidInput(f"user {username} is deactivated: reactivate the user before issuing a token")
    token_id = base64.b32encode(secrets.token_bytes(15)).decode("ascii")[:12]
    secret = secrets.token_urlsafe(32)
    expires_at = (now or _now()) + dt.timedelta(days=days_valid)
    policy.require(
        actor,
        Action.MANAGE_USERS,
        Resource("token", username),
        detail={"operation": "create-token", "token": token_id, "expires": expires_at.isoformat()},
    )
    token = _repository(instance).add_token(
        token_id,
        username=username,
        secret_sha256=_secret_sha256(secret),
        label=label.strip()[:200],
        expires_at=expires_at,
        created_by=actor.username if policy.repository.user(actor.username) is not None else None,
    )
    return IssuedToken(token, f"{TOKEN_PREFIX}{token_id}_{secret}")


def list_tokens(instance: Instance, actor: Actor, *, username: str | None = None) -> list[ApiToken]:
    """Every token (or one user's), oldest first; never their secrets."""
    Policy(instance).require(
        actor, Action.MANAGE_USERS, Resource("token", username or "*"), detail={"operation": "list-tokens"}
    )
    return _repository(instance).tokens(username=username)


def revoke_token(instance: Instance, actor: Actor, token_id: str) -> ApiToken:
    """Revoke a token from now on (a no-op for one already revoked)."""
    repository = _repository(instance)
    token = repository.token(token_id)
    if token is None:
        raise NotFound(f"no API token {token_id}")
    policy = Policy(instance)
    policy.require(
        actor,
        Action.MANAGE_USERS,
        Resource("token", token.username),
        detail={"operation": "revoke-token", "token": token_id},
    )
    by = actor.username if policy.repository.user(actor.username) is not None else None
    return repository.revoke_token(token_id, by=by)


def authenticate_token(instance: Instance, token: str, *, now: dt.datetime | None = None) -> Actor:
    """The actor a token stands for; Unauthenticated (never naming the secret) when it does not verify."""
    match = _TOKEN.match(token)
    if match is None:
        raise Unauthenticated("malformed API token: expected gdb_<id>_<secret> as created by `genomdb tokens create`")
    token_id, secret = match.group(1), match.group(2)
    holder = _repository(instance).token_holder(token_id)
    if holder is None or not hmac.compare_digest(holder.secret_sha256, _secret_sha256(secret)):
        raise Unauthenticated(f"API token {token_id} is not valid: unknown token or wrong secret")
    moment = now or _now()
    if holder.revoked_at is not None:
        raise Unauthenticated(f"API token {token_id} was revoked on {holder.revoked_at:%Y-%m-%d}")
    if holder.expires_at <= moment:
        raise Unauthenticated(f"API token {token_id} expired on {holder.expires_at:%Y-%m-%d}: ask for a new one")
    if not holder.active:
        return resolve_actor(instance, holder.username)
    return Actor(holder.username, holder.role, holder.department, holder.region)
