"""What every request of the service works with: the instance, its releases, who is calling and their budget.

No FastAPI here: the routes build a :class:`Caller` from the request and pass it, with the
:class:`ServiceContext`, to one service function.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from genomdb.access.budgets import BudgetLimits, QueryLedger
from genomdb.access.oidc import OidcVerifier, authenticate_jwt
from genomdb.access.records import Actor, Role
from genomdb.access.tiers import allowed_tier
from genomdb.access.tokens import Unauthenticated, authenticate_token, looks_like_token, token_id_of
from genomdb.api.limits import QueryBudget
from genomdb.api.settings import ServiceSettings
from genomdb.errors import NotFound
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.records import ReleaseInfo
from genomdb.instance import PSEUDONYM_KEY, Instance

log = logging.getLogger("genomdb.api")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a genomdb user (or nobody: the public), from which client, up to which disclosure tier."""

    actor: Actor | None
    client: str
    max_tier: Tier
    notice: str | None = None
    """Something the caller should know about their credentials (a login that is no longer valid)."""

    @property
    def role(self) -> Role | None:
        return self.actor.role if self.actor is not None else None

    def tier(self, requested: Tier | str | None = None) -> Tier:
        """The tier to answer at: the one asked for (default: the highest allowed); Forbidden above the caller's."""
        return allowed_tier(
            requested,
            highest=self.max_tier,
            actor=self.actor,
            nobody="a caller without a token",
            how="call with the token of such a user",
        )

    def describe(self) -> str:
        return str(self.actor) if self.actor is not None else "public (no token)"


class Authenticator:
    """Turns a bearer credential (genomdb API token or, when configured, an OIDC JWT) into an actor."""

    def __init__(self, instance: Instance, oidc: OidcVerifier | None) -> None:
        self._instance = instance
        self._oidc = oidc

    @property
    def oidc_enabled(self) -> bool:
        return self._oidc is not None

    def actor(self, credential: str) -> Actor:
        if looks_like_token(credential):
            return authenticate_token(self._instance, credential)
        if self._oidc is None:
            raise Unauthenticated("not a genomdb API token (gdb_…), and this service accepts no OIDC tokens")
        return authenticate_jwt(self._instance, self._oidc, credential)

    @staticmethod
    def bearer(authorization: str) -> str:
        """The credential of an ``Authorization: Bearer …`` header."""
        scheme, _, credential = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthenticated("use the header `Authorization: Bearer <token>`")
        return credential.strip()

    @staticmethod
    def safe_name(credential: str) -> str:
        """How a credential may appear in a log line: a token's public id, never its secret."""
        token_id = token_id_of(credential)
        if token_id is not None:
            return f"token {token_id}"
        return "a JWT" if credential.count(".") == 2 else "an unreadable credential"


class ReleaseShelf:
    """Open frequency releases, by id, and which one is the newest.

    The list of releases is read from the catalog once, then again in a background thread every
    ``refresh_seconds`` (the answers meanwhile use the list at hand), so a look-up never waits on the catalog; a
    release asked for by an id the list does not have yet is looked up at once (``refresh_seconds`` 0: every time).
    The catalog is never read with the lock held: a look-up on the event loop only ever waits for a dictionary.
    """

    def __init__(
        self, instance: Instance, *, refresh_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._instance = instance
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._listed: tuple[ReleaseInfo, ...] = ()
        self._listed_at: float | None = None
        self._refreshing: threading.Thread | None = None
        self._open: dict[str, FrequencyDatabase] = {}
        self._closed = False

    def releases(self, *, fresh: bool = False) -> list[ReleaseInfo]:
        """Every registered release, oldest first (``fresh``: read from the catalog now)."""
        with self._lock:
            listed_at = self._listed_at
            if not fresh and listed_at is not None and self._refresh > 0:
                if self._clock() - listed_at >= self._refresh and self._refreshing is None and not self._closed:
                    self._refreshing = threading.Thread(
                        target=self._refresh_in_background, name="genomdb-release-list", daemon=True
                    )
                    self._refreshing.start()
                return list(self._listed)
        return list(self._list_now())

    def _list_now(self) -> tuple[ReleaseInfo, ...]:
        from genomdb.frequency.publish import list_releases

        listed = tuple(list_releases(self._instance))
        with self._lock:
            self._listed = listed
            self._listed_at = self._clock()
        return listed

    def _refresh_in_background(self) -> None:
        try:
            self._list_now()
        except Exception:
            log.warning("could not refresh the list of frequency releases; answering from the last one", exc_info=True)
            with self._lock:
                self._listed_at = self._clock()  # try again after the next interval, not on every request
        finally:
            with self._lock:
                self._refreshing = None

    def info(self, release_id: str | None = None) -> ReleaseInfo:
        """A registered release (the newest by default); NotFound when there is none."""
        for fresh in (False, True):
            listed = self.releases(fresh=fresh)
            if release_id is None and listed:
                return listed[-1]
            found = next((r for r in listed if r.release_id == release_id), None)
            if found is not None:
                return found
        if release_id is None:
            raise NotFound("no frequency release yet: a data steward builds one with `genomdb release build`")
        raise NotFound(f"no frequency release {release_id}: see GET /api/releases for the list")

    def database(self, release_id: str | None = None) -> FrequencyDatabase:
        """The open look-up service of a release (the newest by default), opened once and kept."""
        info = self.info(release_id)
        with self._lock:
            database = self._open.get(info.release_id)
        if database is not None:
            return database
        opened = FrequencyDatabase(self._instance, info.release_id)
        with self._lock:
            database = self._open.setdefault(info.release_id, opened)
        if database is not opened:  # another thread opened it meanwhile
            opened.close()
        return database

    def is_open(self, release_id: str | None = None) -> bool:
        """Whether :meth:`database` would answer at once, without reading the catalog or a release's files."""
        if self._refresh <= 0:
            return False
        listed = self.releases() if self._listed_at is not None else []
        if release_id is None:
            return bool(listed) and listed[-1].release_id in self._open
        return release_id in self._open and any(r.release_id == release_id for r in listed)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            refreshing = self._refreshing
        if refreshing is not None:
            refreshing.join(timeout=10)
        with self._lock:
            for database in self._open.values():
                database.close()
            self._open.clear()


def _ledger_secret(instance: Instance) -> bytes:
    """The key that turns client identifiers into stored digests, derived from the instance's pseudonym secret."""
    import hashlib
    import hmac

    secret = bytes.fromhex((instance.settings.resolved_secrets_dir() / PSEUDONYM_KEY).read_text().strip())
    return hmac.new(secret, b"genomdb query budget clients v1", hashlib.sha256).digest()


class ServiceContext:
    """The wired service: instance, settings, releases, authentication and the query budgets (per minute for
    callers without a token; over days, kept in the catalog, for them and, when configured, for token holders)."""

    def __init__(self, instance: Instance, settings: ServiceSettings) -> None:
        self.instance = instance
        self.settings = settings
        oidc = settings.oidc()
        self.authenticator = Authenticator(instance, OidcVerifier(oidc) if oidc is not None else None)
        self.releases = ReleaseShelf(instance, refresh_seconds=settings.release_refresh_seconds)
        self.budget = QueryBudget(settings.public_queries_per_minute, burst=settings.public_burst)
        self.ledger = QueryLedger(
            instance.db, secret=_ledger_secret(instance), flush_seconds=settings.budget_flush_seconds
        )
        self.public_limits = BudgetLimits(
            settings.public_queries_per_day,
            settings.public_queries_per_window,
            settings.budget_window_days,
            label="public-tier queries",
        )
        self.token_limits = BudgetLimits(
            settings.token_queries_per_day,
            settings.token_queries_per_window,
            settings.budget_window_days,
            label="queries",
        )

    def warm(self) -> None:
        """Read the list of releases and open the newest before the first request (none yet is fine)."""
        try:
            self.releases.database()
        except NotFound:
            pass
        except Exception:
            log.warning("could not open the newest frequency release at start; trying again on request", exc_info=True)

    def caller(self, actor: Actor | None, client: str, *, notice: str | None = None) -> Caller:
        return Caller(actor, client, self.settings.max_tier(actor.role if actor else None), notice)

    def charge(self, caller: Caller, cost: int = 1) -> None:
        """Spend from the caller's query budgets: per minute and over days by address without a token, over days
        by user with one (when configured). Refused: RateLimited or QueryBudgetSpent, both HTTP 429."""
        if caller.actor is None:
            self.budget.spend(caller.client, cost)
            self.ledger.spend(f"address:{caller.client}", cost, self.public_limits)
        else:
            self.ledger.spend(f"user:{caller.actor.username}", cost, self.token_limits)

    def close(self) -> None:
        try:
            self.ledger.close()
        except Exception:
            log.warning("could not write the query budgets' last use to the catalog", exc_info=True)
        self.releases.close()
