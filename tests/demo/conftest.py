"""A small demo cohort generated once per test session (20 people, 100 kb regions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from genomdb.demo import DemoCohort, generate_demo

N_INDIVIDUALS = 20
REGION_LENGTH_BP = 100_000


@pytest.fixture(scope="session")
def progress_messages() -> list[tuple[str, int, int]]:
    return []


@pytest.fixture(scope="session")
def demo_cohort(tmp_path_factory: pytest.TempPathFactory, progress_messages: list[tuple[str, int, int]]) -> DemoCohort:
    out_dir = tmp_path_factory.mktemp("demo")
    return generate_demo(
        out_dir,
        n_individuals=N_INDIVIDUALS,
        seed=11,
        region_length_bp=REGION_LENGTH_BP,
        progress=lambda stage, done, total: progress_messages.append((stage, done, total)),
    )


@pytest.fixture(scope="session")
def manifest_documents(demo_cohort: DemoCohort) -> dict[Path, dict[str, Any]]:
    """Each manifest as plain YAML data, keyed by its path."""
    return {path: yaml.safe_load(path.read_text(encoding="utf-8")) for path in demo_cohort.manifest_paths}
