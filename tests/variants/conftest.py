"""Fixtures of the variant-store tests: a small chr21 reference registered in a fresh instance."""

from __future__ import annotations

import pytest

from genomdb.instance import Instance
from tests.harmonize.kit import SmallReference, write_test_reference


@pytest.fixture(scope="session")
def small_reference(tmp_path_factory: pytest.TempPathFactory) -> SmallReference:
    return write_test_reference(tmp_path_factory.mktemp("reference") / "chr21.fa.gz")


@pytest.fixture
def ready(instance: Instance, small_reference: SmallReference) -> Instance:
    """A fresh instance (SQLite and PostgreSQL) with the small reference as its GRCh38."""
    instance.add_reference("GRCh38", small_reference.fasta)
    return instance
