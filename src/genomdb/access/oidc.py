"""OpenID Connect bearer tokens: JWTs signed by a trusted issuer, checked against the issuer's JWKS.

A JWT is accepted only when its signature verifies with a key of the configured JWKS (fetched from a URL, or
read from a file), it was issued by the configured issuer for the configured audience, and it has not expired.
Asymmetric algorithms only, so a public key can never be used as an HMAC secret. The JWT names a user by a claim
(``preferred_username`` by default); that user must exist in genomdb and be active: roles, departments and
regions come from genomdb, never from the token.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from genomdb.access.records import Actor
from genomdb.access.tokens import Unauthenticated
from genomdb.access.users import resolve_actor
from genomdb.errors import InvalidInput, Problem, Unavailable
from genomdb.instance import Instance

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """Which issuer to trust, for which audience, with which keys (``jwks_url`` or ``jwks_file``)."""

    issuer: str
    audience: str
    jwks_url: str | None = None
    jwks_file: Path | None = None
    username_claim: str = "preferred_username"
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise InvalidInput(
                "OIDC needs exactly one key source",
                [Problem("oidc", "name the issuer's JWKS", field="jwks", expected="a JWKS URL or a JWKS file")],
            )


class _FileKeys:
    """A JWKS file, read again when it changes (key rotation without a restart)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._keys: dict[str, jwt.PyJWK] = {}

    def key(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            try:
                mtime = self._path.stat().st_mtime
            except OSError:
                raise Unavailable("the OIDC key set (JWKS file) cannot be read") from None
            if mtime != self._mtime:
                try:
                    keyset = jwt.PyJWKSet.from_dict(json.loads(self._path.read_text(encoding="utf-8")))
                except (OSError, ValueError, jwt.PyJWKSetError):
                    raise Unavailable("the OIDC key set (JWKS file) is not a valid JWKS") from None
                self._keys = {str(k.key_id): k for k in keyset.keys}
                self._mtime = mtime
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            found = self._keys.get(str(kid))
            if found is None:
                raise Unauthenticated(f"JWT signed with an unknown key (kid {kid!r}) of the issuer")
            return found


class OidcVerifier:
    """Checks bearer JWTs for one issuer and audience; ``username`` returns the user a JWT names."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._client: jwt.PyJWKClient | None = None
        if config.jwks_url:
            try:
                self._client = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=10)
            except jwt.PyJWKClientError as exc:
                problem = Problem("oidc", str(exc), field="jwks_url", expected="an http(s) URL", found=config.jwks_url)
                raise InvalidInput("unusable OIDC JWKS URL", [problem]) from None
        self._file = _FileKeys(config.jwks_file) if config.jwks_file is not None else None

    def _signing_key(self, token: str, header: dict[str, Any]) -> Any:
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token).key
            except jwt.PyJWKClientConnectionError:
                raise Unavailable("the OIDC issuer's key set (JWKS) cannot be fetched") from None
            except jwt.PyJWKClientError:
                raise Unauthenticated("JWT signed with a key the issuer does not publish") from None
        assert self._file is not None
        return self._file.key(header.get("kid")).key

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of a JWT; Unauthenticated saying what is wrong (never echoing the token)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise Unauthenticated("malformed bearer token: neither a genomdb API token nor a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(
                f"JWT algorithm {algorithm!r} is not accepted (expected one of {', '.join(ALGORITHMS)})"
            )
        key = self._signing_key(token, header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("JWT has expired: get a new token from the identity provider") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(f"JWT is not for this service (audience must be {self.config.audience!r})") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(f"JWT is from an untrusted issuer (expected {self.config.issuer!r})") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("JWT is not valid yet (nbf/iat in the future)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"JWT lacks the required claim {exc.claim!r}") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("JWT signature does not verify with the issuer's keys") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("JWT is not valid") from None
        return claims

    def username(self, token: str) -> str:
        claims = self.claims(token)
        value = claims.get(self.config.username_claim)
        if not isinstance(value, str) or not value:
            raise Unauthenticated(f"JWT lacks the claim {self.config.username_claim!r} naming the genomdb user")
        return value


def authenticate_jwt(instance: Instance, verifier: OidcVerifier, token: str) -> Actor:
    """The genomdb user a verified JWT names; Forbidden (audited) when that user is unknown or deactivated."""
    return resolve_actor(instance, verifier.username(token))
