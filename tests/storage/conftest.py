"""The storage fixtures: one real Ceph RADOS Gateway per test session, and a fresh bucket per test.

Without Ceph's packages the RGW tests are skipped on a developer's machine and fail in CI (``CI=true``).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.storage.ceph import RunningRgw, environment_problem, running_rgw


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
