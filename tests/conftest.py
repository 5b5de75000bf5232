"""Shared fixtures: fresh instances on SQLite and on a real PostgreSQL server.

Every test that takes ``instance`` runs twice, once per catalog backend. PostgreSQL tests get their own schema
on the server at ``GENOMDB_TEST_POSTGRES`` (default 127.0.0.1:5432, database ``test``). Without a reachable
server they are skipped on a developer's machine, and fail in CI (``CI=true``). Likewise the S3 tests' real
Ceph RADOS Gateway (``rgw``), started once per session from Debian's packages and stopped by PID.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from genomdb.config import Settings
from genomdb.instance import Instance, init_instance
from tests.storage.ceph import RunningRgw, environment_problem, running_rgw

POSTGRES_URL = os.environ.get("GENOMDB_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install '.[test]')"
    try:
        with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL server at {POSTGRES_URL}: {str(exc).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    return _postgres_reachable()


@contextlib.contextmanager
def postgres_schema(problem: str | None) -> Iterator[str]:
    """A URL whose search_path is a fresh schema on the test server, dropped afterwards (skipped when the server
    is unreachable, failed in CI)."""
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(problem)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = POSTGRES_URL.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_problem: str | None) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    with postgres_schema(postgres_problem) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        return Settings(home=home, database_url=url, gc_grace_seconds=0)
    return Settings(home=home, gc_grace_seconds=0)


@pytest.fixture
def instance(settings: Settings) -> Iterator[Instance]:
    init_instance(settings)
    with Instance.open(settings) as opened:
        yield opened


@pytest.fixture
def shared_dir() -> Path:
    """The read-only ../shared folder; its absence skips locally and fails in CI."""
    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED} is missing; CI must have shared/ beside the checkout")
        pytest.skip(f"{SHARED} is not present (it sits beside the repository checkout)")
    return SHARED


@pytest.fixture(scope="session")
def rgw() -> Iterator[RunningRgw]:
    """A single-node Ceph cluster with radosgw on 127.0.0.1, started once, stopped by PID at the end."""
    problem = environment_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"the Ceph RGW tests must run in CI: {problem}")
        pytest.skip(problem)
    with (
        tempfile.TemporaryDirectory(prefix="genomdb-ceph-") as folder,
        running_rgw(Path(folder) / "cluster") as running,
    ):
        yield running


@pytest.fixture
def rgw_bucket(rgw: RunningRgw) -> str:
    """A new, empty bucket for one test."""
    name = f"gdb-{uuid.uuid4().hex[:16]}"
    rgw.create_bucket(name)
    return name


@pytest.fixture
def rgw_env(rgw: RunningRgw, monkeypatch: pytest.MonkeyPatch) -> RunningRgw:
    """The S3 credentials in the environment, where genomdb's settings read them."""
    for key, value in rgw.environment().items():
        monkeypatch.setenv(key, value)
    return rgw
