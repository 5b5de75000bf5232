"""Which disclosure tier of the frequency database each role may ask for: one table for every surface.

The REST service gives a caller the tier of their role (no token: ``public``); the CLI gives an operator acting
``--as`` a user the same tier, and a shell user acting as nobody the public tier only. Asking above one's tier is
refused with the highest tier one may ask for.
"""

from __future__ import annotations

from genomdb.access.records import Actor, Role
from genomdb.errors import Forbidden
from genomdb.frequency.disclosure import Tier, policy_for

TIER_ORDER = (Tier.PUBLIC, Tier.REGISTERED, Tier.CONTROLLED)

DEFAULT_TIERS: dict[Role, Tier] = {
    Role.SUBMITTER: Tier.REGISTERED,
    Role.CLINICIAN: Tier.CONTROLLED,
    Role.RESEARCHER: Tier.REGISTERED,
    Role.STEWARD: Tier.CONTROLLED,
    Role.ADMIN: Tier.REGISTERED,
}
"""The highest disclosure tier of each role; nobody (no token, no ``--as``) gets ``public``."""


def highest_tier(role: Role | None) -> Tier:
    """The highest tier a role may ask for (``public`` without a role)."""
    return DEFAULT_TIERS[role] if role is not None else Tier.PUBLIC


def entitled_roles(tier: Tier) -> tuple[Role, ...]:
    """The roles whose highest tier is ``tier`` or above."""
    return tuple(r for r, t in DEFAULT_TIERS.items() if TIER_ORDER.index(t) >= TIER_ORDER.index(tier))


def allowed_tier(requested: Tier | str | None, *, highest: Tier, actor: Actor | None, nobody: str, how: str) -> Tier:
    """The tier to answer at: the one asked for (default: ``highest``); Forbidden, naming the roles that may and
    ``how`` to act as one, when it is above ``highest``. ``nobody`` names a caller without an actor."""
    if requested is None or requested == "":
        return highest
    tier = policy_for(requested).tier
    if TIER_ORDER.index(tier) > TIER_ORDER.index(highest):
        who = f"a {actor.role}" if actor is not None else nobody
        roles = " or ".join(r.value for r in entitled_roles(tier))
        raise Forbidden(
            f"tier {tier} is not open to {who}: the highest tier you may ask for is {highest}. "
            f"Tier {tier} is for a {roles}: {how}"
        )
    return tier
