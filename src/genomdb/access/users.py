"""Users and actors: who may act on an instance, in which role, for which department, with which delivery key.

The CLI acts as a named user (``--as USER`` or ``GENOMDB_USER``); the REST service will map API tokens or OIDC
identities to the same users. The first user of a new instance (an admin or steward) needs no actor.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from genomdb.access.policy import Policy
from genomdb.access.records import LEGAL_BASES, Action, Actor, AuditDraft, Resource, Role, Rule, User, Verdict
from genomdb.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from genomdb.instance import Instance

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
_CENTER_ROLES = frozenset({Role.STEWARD, Role.ADMIN})


def resolve_actor(instance: Instance, username: str | None) -> Actor:
    """The active user acting now; refused (and audited) when unknown or deactivated."""
    if not username:
        raise Forbidden(
            "no user given: act as a named user with `--as USER` or GENOMDB_USER (an administrator creates users "
            "with `genomdb users add`)"
        )
    policy = Policy(instance)
    user = policy.repository.user(username)
    if user is None or not user.active:
        policy.audit.append(
            [
                AuditDraft(
                    actor=username,
                    actor_role=user.role.value if user else None,
                    actor_department=user.department if user else None,
                    action="act-as",
                    resource_kind="user",
                    resource_id=username,
                    person=None,
                    decision=Verdict.REFUSED.value,
                    rule=Rule.INACTIVE_USER.value if user else Rule.DENY_BY_DEFAULT.value,
                    grant_id=None,
                    legal_basis=None,
                )
            ]
        )
        state = "is deactivated" if user else "is not a user of this instance"
        raise Forbidden(
            f"refused by rule {Rule.INACTIVE_USER if user else Rule.DENY_BY_DEFAULT}: {username} {state}. "
            "To get access: ask an administrator to add or reactivate you (`genomdb users add`)"
        )
    return Actor(user.username, user.role, user.department, user.region)


def add_user(instance: Instance, actor: Actor | None, username: str, *, role: Role, department: str | None) -> User:
    """Create a user. Stewards and admins do this; the very first user of an instance needs no actor."""
    problems = []
    if not _USERNAME.match(username):
        problems.append(
            Problem(
                "users",
                "invalid user name",
                field="username",
                expected="lower-case letters, digits, . _ -",
                found=username,
            )
        )
    if role in _CENTER_ROLES and department is not None:
        problems.append(Problem("users", f"a {role} belongs to the center, not a department", field="department"))
    if role not in _CENTER_ROLES and department is None:
        problems.append(Problem("users", f"a {role} needs a department", field="department", expected="e.g. RH-KG"))
    if problems:
        raise InvalidInput(f"cannot add user {username}", problems)
    policy = Policy(instance)
    if policy.repository.user(username) is not None:
        raise Conflict(f"user {username} exists already")
    if policy.repository.n_users() == 0 and actor is None:
        if role not in _CENTER_ROLES:
            raise InvalidInput(
                "the first user of an instance must be an admin or a steward",
                [Problem("users", "first user", field="role", expected="admin or steward", found=role.value)],
            )
        policy.audit.append(
            [
                AuditDraft(
                    actor=username,
                    actor_role=role.value,
                    actor_department=None,
                    action=Action.MANAGE_USERS.value,
                    resource_kind="user",
                    resource_id=username,
                    person=None,
                    decision=Verdict.ALLOWED.value,
                    rule=Rule.BOOTSTRAP.value,
                    grant_id=None,
                    legal_basis=LEGAL_BASES[Rule.BOOTSTRAP],
                    detail={"role": role.value},
                )
            ]
        )
        return policy.repository.add_user(username, role, None)
    if actor is None:
        raise Forbidden("adding a user needs an acting steward or admin: use `--as USER`")
    policy.require(
        actor, Action.MANAGE_USERS, Resource("user", username), detail={"role": role.value, "department": department}
    )
    return policy.repository.add_user(username, role, department)


def list_users(instance: Instance, actor: Actor) -> list[User]:
    policy = Policy(instance)
    policy.require(actor, Action.MANAGE_USERS, Resource("user", "*"), detail={"operation": "list"})
    return policy.repository.users()


def set_user_active(instance: Instance, actor: Actor, username: str, *, active: bool) -> None:
    policy = Policy(instance)
    policy.require(actor, Action.MANAGE_USERS, Resource("user", username), detail={"active": active})
    policy.repository.set_active(username, active)


def read_public_key(path: Path) -> str:
    """The raw crypt4gh public key in a key file (crypt4gh or ssh-ed25519 format), base64-encoded."""
    from crypt4gh.keys import get_public_key

    try:
        key = get_public_key(str(path))
    except (OSError, ValueError, NotImplementedError) as exc:
        raise InvalidInput(
            f"cannot read a public key from {path}",
            [Problem(str(path), f"not a crypt4gh public key: {exc}", expected="`crypt4gh-keygen` .pub file")],
        ) from None
    if len(key) != 32:
        raise InvalidInput(f"{path}: a crypt4gh public key has 32 bytes, this one {len(key)}")
    return base64.b64encode(key).decode("ascii")


def register_key(instance: Instance, actor: Actor, username: str, public_key_file: Path) -> None:
    """Register the crypt4gh public key deliveries to ``username`` are encrypted for (own key, or a steward/admin)."""
    key = read_public_key(public_key_file)
    policy = Policy(instance)
    if policy.repository.user(username) is None:
        raise NotFound(f"no user {username}")
    policy.require(actor, Action.MANAGE_USERS, Resource("key", username))
    policy.repository.set_public_key(username, key)


def recipient_key(instance: Instance, username: str) -> bytes:
    """The raw public key deliveries to a user are sealed for."""
    key = Policy(instance).repository.public_key(username)
    if key is None:
        raise InvalidInput(
            f"{username} has no delivery key: register one with `genomdb users key {username} KEY.pub` "
            "(make a key pair with `crypt4gh-keygen`)"
        )
    return base64.b64decode(key)
