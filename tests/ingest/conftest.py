"""Shared fixtures for the ingest tests; file builders live in ``formats_factory``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest import formats_factory as ff


@pytest.fixture(scope="session")
def reference_fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small indexed reference (chr1: 6 kb, chr2: 4 kb) for CRAM tests."""
    return ff.write_reference_fasta(tmp_path_factory.mktemp("reference") / "ref.fa")


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    """The validator's work folder (indexes it builds go here)."""
    return tmp_path / "work"
