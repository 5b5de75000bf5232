"""One screening world per catalog backend, built once per session: the demo cohort (20 people with planted FH and
breast-cancer carriers in families) submitted, harmonised, released and classified through the real paths; users
with tokens; both programmes run with the shipped policy and then with test policies whose frequency caps fit a
cohort of 20 (where any carrier's FAF95 is far above a real cap)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from genomdb.access.records import SYSTEM_ACTOR
from genomdb.access.tokens import create_token
from genomdb.access.users import resolve_actor
from genomdb.config import Settings
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.classifications import classify_planted, load_demo_classifications
from genomdb.demo.load import load_demo
from genomdb.demo.users import STEWARD, clinician_name, ensure_demo_users
from genomdb.frequency.demo import build_demo_release
from genomdb.instance import Instance, init_instance
from genomdb.screening import service
from genomdb.screening.policy import shipped_policy_text
from tests.conftest import IN_CI, POSTGRES_URL, _postgres_reachable

TEST_CAP = 0.05
"""A frequency cap a cohort of 20 can pass (AC 2 of AN 36 gives FAF95 ≈ 0.011)."""


def test_policy_text(programme: str, *, version: str = "2026.1-test", cap: float = TEST_CAP) -> str:
    document = yaml.safe_load(shipped_policy_text(programme))
    document["policy_version"] = version
    for gene in document["genes"].values():
        gene["max_credible_faf95"] = cap
    return yaml.safe_dump(document, sort_keys=False)


test_policy_text.__test__ = False  # type: ignore[attr-defined]


@dataclass
class ScreeningWorld:
    instance: Instance
    cohort: DemoCohort
    folder: Path
    shipped_runs: dict[str, str] = field(default_factory=dict)
    baseline_runs: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.instance.settings.resolved_home()

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def planted(self, gene: str) -> list[str]:
        return [p.key for p in self.cohort.planted_variants if p.gene == gene]


@pytest.fixture(scope="session")
def screening_cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    return generate_demo(tmp_path_factory.mktemp("screening-demo"), n_individuals=20, seed=11, region_length_bp=100_000)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, screening_cohort: DemoCohort
) -> Iterator[ScreeningWorld]:
    folder = tmp_path_factory.mktemp(f"screening-{request.param}")
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
        settings = Settings(home=folder / "home", database_url=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    else:
        settings = Settings(home=folder / "home")
    init_instance(settings)
    instance = Instance.open(settings)
    try:
        load_demo(instance, screening_cohort)
        build_demo_release(instance, example_keys=screening_cohort.example_variant_keys)
        load_demo_classifications(instance, screening_cohort.example_variant_keys)
        classify_planted(instance, [(p.key, p.gene) for p in screening_cohort.planted_variants])
        ensure_demo_users(instance)
        found = ScreeningWorld(instance, screening_cohort, folder)
        for username in (STEWARD, *(clinician_name(d.code) for d in instance.catalog.departments())):
            found.tokens[username] = create_token(instance, SYSTEM_ACTOR, username, label="tests").secret
        steward = resolve_actor(instance, STEWARD)
        for programme in ("fh", "breast-cancer"):
            found.shipped_runs[programme] = service.run_programme(instance, steward, programme).run.run_id
            service.load_policy_text(instance, steward, test_policy_text(programme), file_name=f"{programme}-test.yaml")
            found.baseline_runs[programme] = service.run_programme(instance, steward, programme).run.run_id
        yield found
    finally:
        instance.close()
        if schema is not None:
            import psycopg

            with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def genomdb(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``genomdb ARGS`` through ``main()`` in this process against a world; returns what a subprocess would."""
    from genomdb.cli.app import main

    def run(world: ScreeningWorld, *args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("GENOMDB_HOME", str(world.home))
        if world.instance.settings.database_url:
            monkeypatch.setenv("GENOMDB_DATABASE_URL", world.instance.settings.database_url)
        monkeypatch.setenv("COLUMNS", "250")
        monkeypatch.setattr(sys, "argv", ["genomdb", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["genomdb", *args], code, captured.out, captured.err)

    return run
