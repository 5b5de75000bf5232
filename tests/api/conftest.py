"""Fixtures of the service tests: one served world per catalog backend (built once per session), apps over it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from genomdb.api.app import create_app
from genomdb.api.settings import ServiceSettings
from genomdb.config import Settings
from genomdb.instance import Instance, init_instance
from tests.api.world import WORLD_FLOORS, World, build_world
from tests.conftest import IN_CI, POSTGRES_URL, _postgres_reachable

GENEROUS = ServiceSettings(
    public_queries_per_minute=100_000, public_queries_per_day=None, public_queries_per_window=None
)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp(f"world-{request.param}")
    schema = None
    if request.param == "postgresql":
        problem = _postgres_reachable()
        if problem:
            if IN_CI:
                pytest.fail(f"PostgreSQL is required in CI: {problem}")
            pytest.skip(problem)
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        settings = Settings(
            home=folder / "home", database_url=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", **WORLD_FLOORS
        )
    else:
        settings = Settings(home=folder / "home", **WORLD_FLOORS)
    init_instance(settings)
    instance = Instance.open(settings)
    try:
        yield build_world(instance, folder)
    finally:
        instance.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def make_app(world: World, service: ServiceSettings = GENEROUS) -> FastAPI:
    return create_app(world.instance.settings, service, instance=world.instance)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(make_app(world), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def beacon_dir(shared_dir_session: Path) -> Path:
    return shared_dir_session / "beacon-v2"


@pytest.fixture(scope="session")
def shared_dir_session() -> Path:
    from tests.conftest import SHARED

    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED} is missing; CI must have shared/ beside the checkout")
        pytest.skip(f"{SHARED} is not present (it sits beside the repository checkout)")
    return SHARED
