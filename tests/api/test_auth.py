"""Authentication: API tokens (hashed, expiring, revocable) and OIDC JWTs checked against a JWKS the test
generates (from a file and from a URL); every refusal is a clear 401/403 and no log line holds a token."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from genomdb.access.records import Actor, Role
from genomdb.access.token_repository import TokenRepository
from genomdb.access.tokens import Unauthenticated, authenticate_token, create_token, list_tokens, revoke_token
from genomdb.api.settings import ServiceSettings
from genomdb.errors import Forbidden, InvalidInput
from tests.api.conftest import make_app
from tests.api.world import World

ISSUER = "https://login.example.org/realms/genomdb"
AUDIENCE = "genomdb-api"
ADMIN = Actor("admin", Role.ADMIN)


def test_tokens_are_stored_hashed_and_verify(world: World) -> None:
    issued = create_token(world.instance, ADMIN, "clin-rh", days_valid=3, label="laptop")
    assert "hidden" in repr(issued) and issued.secret not in repr(issued)
    holder = TokenRepository(world.instance.db).token_holder(issued.token.token_id)
    assert holder is not None
    secret_part = issued.secret.split("_", 2)[2]  # gdb_<id>_<secret>; the secret may itself contain "_"
    assert len(secret_part) >= 20 and secret_part not in holder.secret_sha256
    assert issued.secret not in str(holder)
    actor = authenticate_token(world.instance, issued.secret)
    assert (actor.username, actor.role, actor.department, actor.region) == ("clin-rh", Role.CLINICIAN, "RH-KG", "RH")
    with pytest.raises(Unauthenticated, match="not valid"):
        authenticate_token(world.instance, issued.secret[:-2] + ("AA" if not issued.secret.endswith("AA") else "BB"))
    assert issued.token.token_id in {t.token_id for t in list_tokens(world.instance, ADMIN, username="clin-rh")}


def test_only_stewards_and_admins_issue_tokens(world: World) -> None:
    with pytest.raises(Forbidden, match="role-required"):
        create_token(world.instance, Actor("clin-rh", Role.CLINICIAN, "RH-KG", "RH"), "clin-rh")
    with pytest.raises(InvalidInput, match="cannot create"):
        create_token(world.instance, ADMIN, "clin-rh", days_valid=400)


def test_revoked_and_expired_tokens_are_refused(world: World, client: TestClient) -> None:
    issued = create_token(world.instance, ADMIN, "res-rh")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/whoami", headers=headers).json()["username"] == "res-rh"
    revoke_token(world.instance, ADMIN, issued.token.token_id)
    refused = client.get("/api/whoami", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    old = create_token(
        world.instance, ADMIN, "res-rh", days_valid=1, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    )
    expired = client.get("/api/whoami", headers={"Authorization": f"Bearer {old.secret}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("Bearer gdb_AAAAAAAAAAAA_" + "x" * 43, "not valid"),
        ("Bearer gdb_short", "malformed"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer not.a.jwt", "no OIDC"),
    ],
)
def test_bad_credentials_get_401_with_a_clear_message(client: TestClient, header: str, fragment: str) -> None:
    response = client.get("/api/frequency/variants/chr1-100014-G-T", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fragment in response.json()["detail"]


def test_no_log_line_holds_a_token(world: World, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    good = world.token(Role.CLINICIAN)
    assert good is not None
    bad = good[:-4] + "zzzz"
    client.get("/api/whoami", headers={"Authorization": f"Bearer {good}"})
    client.get("/api/whoami", headers={"Authorization": f"Bearer {bad}"})
    client.post("/login", data={"token": bad})
    client.cookies.set("genomdb_token", bad)
    client.get("/")
    client.cookies.clear()
    text = caplog.text
    assert "refused credentials (token" in text
    # gdb_<id>_<secret>: the secret is URL-safe base64 and may itself hold "_", so split off the prefix and id only
    for secret in (good, bad, good.split("_", 2)[2], bad.split("_", 2)[2]):
        assert secret not in text


# --- OIDC ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture
def jwks_file(tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> Path:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys[0].public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return path


@pytest.fixture
def jwks_url(jwks_file: Path) -> Iterator[str]:
    """The JWKS served over loopback HTTP, as an issuer publishes it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(jwks_file.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{jwks_file.name}"
    finally:
        server.shutdown()
        server.server_close()


def _jwt(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "3f1c",
        "preferred_username": "clin-rh",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    headers = {"kid": changes.pop("kid", "k1")} if "kid" not in changes else {"kid": changes["kid"]}
    claims.pop("kid", None)
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


@pytest.mark.parametrize("source", ["file", "url"])
def test_oidc_jwts(
    world: World, keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey], jwks_file: Path, jwks_url: str, source: str
) -> None:
    location = {"oidc_jwks_file": jwks_file} if source == "file" else {"oidc_jwks_url": jwks_url}
    service = ServiceSettings(
        public_queries_per_minute=10_000,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
        **location,  # type: ignore[arg-type]
    )
    good, other = keys
    now = int(time.time())
    cases: list[tuple[str, int, str]] = [
        (_jwt(good), 200, "clin-rh"),
        (_jwt(good, exp=now - 120, iat=now - 600), 401, "expired"),
        (_jwt(good, aud="someone-else"), 401, "audience"),
        (_jwt(good, iss="https://evil.example.org"), 401, "issuer"),
        (_jwt(other), 401, "signature"),
        (_jwt(good, kid="k9"), 401, "key"),
        (_jwt(good, preferred_username="nobody"), 403, "not a user"),
        (
            jwt.encode(
                {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 60, "preferred_username": "clin-rh"},
                "s" * 32,
                algorithm="HS256",
            ),
            401,
            "algorithm",
        ),
    ]
    with TestClient(make_app(world, service), raise_server_exceptions=False) as client:
        for token, status, fragment in cases:
            response = client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == status, (fragment, response.text)
            assert fragment in response.text
