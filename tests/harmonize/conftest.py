"""Fixtures of the harmonisation tests: a small demo cohort with chrX (generated once), harmonised once per
catalog backend, and a small reference for hand-made call files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from genomdb.config import Settings
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.load import load_demo
from genomdb.harmonize.run import HarmonizeOutcome, harmonize
from genomdb.instance import Instance, init_instance
from tests.conftest import postgres_schema
from tests.harmonize.kit import SmallReference, write_test_reference

DEMO_INDIVIDUALS = 16
DEMO_REGION_BP = 100_000


@pytest.fixture(scope="session")
def small_reference(tmp_path_factory: pytest.TempPathFactory) -> SmallReference:
    return write_test_reference(tmp_path_factory.mktemp("reference") / "test.fa.gz", sex_chromosomes=True)


@pytest.fixture
def ready(instance: Instance, small_reference: SmallReference) -> Instance:
    """A fresh instance (SQLite and PostgreSQL) with the test reference as its GRCh38."""
    instance.add_reference("GRCh38", small_reference.fasta)
    return instance


@pytest.fixture(scope="session")
def demo_x(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    """A demo cohort with the chrX region (XY people haploid there) and one declared/genetic sex mismatch."""
    return generate_demo(
        tmp_path_factory.mktemp("demo-x"),
        n_individuals=DEMO_INDIVIDUALS,
        seed=23,
        region_length_bp=DEMO_REGION_BP,
        n_read_samples=0,
        sex_chromosomes=True,
    )


@dataclass(frozen=True)
class HarmonisedDemo:
    instance: Instance
    settings: Settings
    cohort: DemoCohort
    outcome: HarmonizeOutcome


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def harmonised_demo(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_x: DemoCohort,
    postgres_problem: str | None,
) -> Iterator[HarmonisedDemo]:
    """The demo cohort submitted through data-in and harmonised, once per session and catalog backend."""
    with ExitStack() as stack:
        url = stack.enter_context(postgres_schema(postgres_problem)) if request.param == "postgresql" else None
        settings = Settings(home=tmp_path_factory.mktemp("harmonised") / "home", database_url=url, gc_grace_seconds=0)
        init_instance(settings)
        instance = stack.enter_context(Instance.open(settings))
        load_demo(instance, demo_x)
        yield HarmonisedDemo(instance, settings, demo_x, harmonize(instance))
