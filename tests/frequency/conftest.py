"""Fixtures of the frequency tests: a simulated cohort, its batches and releases built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from genomdb.frequency.manifest import write_manifest
from genomdb.frequency.records import BatchSource, CohortMember
from genomdb.frequency.release import (
    AssembledRelease,
    PreviousRelease,
    assemble_release,
    plan_release,
    release_document,
)
from genomdb.frequency.strata import SampleLabels

REGIONS = ("RH", "RSJ", "RSD", "RM", "RN")
PLATFORMS = ("ILLUMINA", "ILLUMINA", "ILLUMINA", "ONT", "PACBIO")


def cohort_labels(n: int) -> list[SampleLabels]:
    """Deterministic labels: alternating sex (every 11th unknown), regions and platforms in turn."""
    labels = []
    for i in range(n):
        sex = None if i % 11 == 10 else ("XX" if i % 2 == 0 else "XY")
        labels.append(SampleLabels(sex, REGIONS[i % len(REGIONS)], PLATFORMS[(i // 2) % len(PLATFORMS)]))
    return labels


BuildRelease = Callable[..., AssembledRelease]


def make_release(
    root: Path,
    name: str,
    batches: Sequence[BatchSource],
    cohort: Sequence[CohortMember],
    *,
    sequence: int = 1,
    previous: Path | None = None,
    full: bool = False,
) -> AssembledRelease:
    """Plan, assemble and describe a release in ``root/name`` (partials under ``root/partials``)."""
    parent = PreviousRelease.open(previous) if previous is not None else None
    plan = plan_release(batches, cohort, parent, full=full)
    assembled = assemble_release(plan, out_dir=root / name, partials_dir=root / "partials", work_dir=root / "work")
    document = release_document(
        plan, assembled, release_id=f"GDB-FREQ-2026-11-R{sequence}", created=dt.datetime.now(dt.UTC)
    )
    write_manifest(root / name, document)
    return assembled


@pytest.fixture
def build_release(tmp_path: Path) -> BuildRelease:
    """Build releases into ``tmp_path/<name>``, numbered in the order they are built."""
    counter = {"n": 0}

    def build(
        name: str, batches: Sequence[BatchSource], cohort: Sequence[CohortMember], **options: object
    ) -> AssembledRelease:
        counter["n"] += 1
        return make_release(tmp_path, name, batches, cohort, sequence=counter["n"], **options)  # type: ignore[arg-type]

    return build
