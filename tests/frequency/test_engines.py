"""The release build on DuckDB and on Apache Spark (``local[2]``): the same inputs give the same release files.

Every release here is built once per engine from the same variant-store batches and compared file by file (sha256
of the variants table and of every coverage layer, Parquet and Arrow IPC) and by manifest (all but the engine and
the build time): a first release, an incremental one that adds a batch while samples leave (opt-out, superseded,
withdrawn, QC), join from old batches and change labels, one more that only subtracts, and a full rebuild. Spark
runs in this process on a real JVM (Java 17), started once for the module. It is skipped only outside CI when
PySpark or Java is missing; in CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from tests.conftest import IN_CI
from tests.frequency.batches import SimCohort, member, simulate_cohort, write_batch
from tests.frequency.conftest import cohort_labels

from genomdb.config import Settings
from genomdb.errors import IntegrityError, InvalidInput
from genomdb.frequency.manifest import read_manifest, write_manifest
from genomdb.frequency.publish import build_release
from genomdb.frequency.records import BatchSource, CohortMember
from genomdb.frequency.release import (
    AssembledRelease,
    PreviousRelease,
    assemble_release,
    folded_coverage,
    plan_release,
    release_document,
)
from genomdb.instance import Instance
from genomdb.variants.engine import create_engine_backend

pytestmark = pytest.mark.spark

ENGINES = ("duckdb", "spark")


def _spark_problem() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[test]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark session (local[2]) for the module; the builds below find it active and reuse it."""
    problem = _spark_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"Spark is required in CI: {problem}")
        pytest.skip(problem)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from genomdb.variants.spark import start_session

    # Small inputs: a JVM that stops at the quick JIT tier and interpreted (not compiled) query stages spend less
    # CPU on start-up than on the work; the results do not depend on either.
    light = {
        "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        "spark.sql.codegen.wholeStage": "false",
    }
    session = start_session("local[2]", work_dir=tmp_path_factory.mktemp("spark"), options=light)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cohort() -> SimCohort:
    persons = [f"P{i:04d}" for i in range(48)]
    persons[30] = persons[6]  # one person sequenced twice: the better sample counts
    return simulate_cohort(cohort_labels(48), seed=11, first_sample_id=501, persons=persons)


def _members(cohort: SimCohort, batches: dict[str, range], **changes: dict[str, object]) -> list[CohortMember]:
    out = []
    for batch_id, indexes in batches.items():
        for i in indexes:
            overrides: dict[str, object] = {"call_rate": 0.95 + i / 1000, **changes.get(str(i), {})}
            out.append(member(cohort.samples[i], batch_id, **overrides))
    return out


def _build(
    root: Path,
    engine: str,
    name: str,
    batches: Sequence[BatchSource],
    members: Sequence[CohortMember],
    *,
    previous: str | None = None,
    full: bool = False,
    sequence: int = 1,
) -> AssembledRelease:
    parent = PreviousRelease.open(root / engine / previous) if previous else None
    plan = plan_release(batches, members, parent, full=full)
    out = root / engine / name
    assembled = assemble_release(
        plan,
        out_dir=out,
        partials_dir=root / engine / "partials",
        work_dir=root / engine / "work",
        engine=engine,
        master="local[2]",
    )
    created = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    write_manifest(out, release_document(plan, assembled, release_id=f"GDB-FREQ-2026-11-R{sequence}", created=created))
    return assembled


def _build_both(root: Path, *args: Any, **options: Any) -> dict[str, AssembledRelease]:
    return {engine: _build(root, engine, *args, **options) for engine in ENGINES}


def _assert_identical(root: Path, name: str, built: dict[str, AssembledRelease]) -> None:
    """Same files (bytes), same manifests apart from the engine that built them."""
    duck, spark = built["duckdb"], built["spark"]
    assert duck.engine["name"] == "duckdb"
    assert spark.engine["name"] == "spark"
    assert spark.engine["master"].startswith("local")
    assert duck.files == spark.files, name
    assert duck.layers == spark.layers, name
    documents = [read_manifest(root / engine / name).document for engine in ENGINES]
    for document in documents:
        document.pop("engine")
    assert documents[0] == documents[1], name
    tables = [pq.read_table(root / engine / name / "variants.parquet") for engine in ENGINES]
    assert tables[0].num_rows == duck.tables.n_variants > 0
    assert tables[0].equals(tables[1])


def test_releases_are_identical_on_duckdb_and_spark(tmp_path: Path, spark: Any, cohort: SimCohort) -> None:
    batches_root = tmp_path / "batches"
    # B2 has callable runs, as harmonisation writes them now; B1 and B3 blocks only, as older batches
    b1 = write_batch(cohort, cohort.samples[:20], batches_root, "B1")
    b2 = write_batch(cohort, cohort.samples[20:32], batches_root, "B2", with_callable=True)
    b3 = write_batch(cohort, cohort.samples[32:], batches_root, "B3")

    first = _members(cohort, {"B1": range(20), "B2": range(20, 32)}, **{"4": {"research_opt_out": True}})
    r1 = _build_both(tmp_path, "r1", [b1, b2], first, sequence=1)
    _assert_identical(tmp_path, "r1", r1)

    moved = dataclasses.replace(cohort.samples[9].labels, region="RH", platform="ONT")
    second = _members(
        cohort,
        {"B1": range(20), "B2": range(20, 32), "B3": range(32, 48)},
        **{
            "4": {"research_opt_out": True},
            "7": {"research_opt_out": True},
            "12": {"current": False},
            "14": {"withdrawn": True},
            "9": {"labels": moved},
            "6": {"call_rate": 0.999},
            "40": {"qc_passed": False},
        },
    )
    r2 = _build_both(tmp_path, "r2", [b1, b2, b3], second, previous="r1", sequence=2)
    _assert_identical(tmp_path, "r2", r2)
    assert r2["spark"].partials == ({"batch_id": "B3", "digest": r2["duckdb"].partials[0]["digest"]},)
    assert [layer.name for layer in r2["spark"].layers] == ["coverage", "coverage-1"]
    manifest = read_manifest(tmp_path / "spark" / "r2").document
    assert manifest["changes"]["n_subtracted_samples"] >= 4
    assert manifest["changes"]["n_joined_from_old_batches"] >= 1

    # Only subtractions: samples leave old batches, nothing is added.
    third = [
        dataclasses.replace(m, withdrawn=True)
        if m.sample_id in {cohort.samples[i].sample_id for i in (1, 22, 35)}
        else m
        for m in second
    ]
    r3 = _build_both(tmp_path, "r3", [b1, b2, b3], third, previous="r2", sequence=3)
    _assert_identical(tmp_path, "r3", r3)
    assert read_manifest(tmp_path / "spark" / "r3").document["changes"]["n_removed_samples"] == 3

    # A full rebuild on Spark equals the incremental chain (folded) and DuckDB's full rebuild.
    full = _build_both(tmp_path, "r3-full", [b1, b2, b3], third, full=True, sequence=4)
    _assert_identical(tmp_path, "r3-full", full)
    incremental = pq.read_table(tmp_path / "spark" / "r3" / "variants.parquet")
    assert incremental.equals(pq.read_table(tmp_path / "spark" / "r3-full" / "variants.parquet"))
    assert folded_coverage(tmp_path / "spark" / "r3").equals(folded_coverage(tmp_path / "duckdb" / "r3-full"))


def test_spark_continues_a_duckdb_release(tmp_path: Path, spark: Any, cohort: SimCohort) -> None:
    """Engines can take turns: Spark builds the next release on DuckDB's, reusing its partials."""
    b1 = write_batch(cohort, cohort.samples[:24], tmp_path / "batches", "B1")
    b2 = write_batch(cohort, cohort.samples[24:], tmp_path / "batches", "B2")
    first = _members(cohort, {"B1": range(24)})
    second = _members(cohort, {"B1": range(24), "B2": range(24, 48)}, **{"3": {"qc_passed": False}})
    _build(tmp_path, "duckdb", "r1", [b1], first)
    shutil.copytree(tmp_path / "duckdb", tmp_path / "spark")
    stamp = next((tmp_path / "spark" / "partials" / "B1").glob("*/variants.parquet")).stat().st_mtime_ns
    built = _build_both(tmp_path, "r2", [b1, b2], second, previous="r1", sequence=2)
    _assert_identical(tmp_path, "r2", built)
    assert next((tmp_path / "spark" / "partials" / "B1").glob("*/variants.parquet")).stat().st_mtime_ns == stamp


def test_spark_refuses_a_subtraction_the_release_did_not_contain(tmp_path: Path, spark: Any, cohort: SimCohort) -> None:
    """The release's checks run on Spark too: subtracting a sample the release never counted is refused."""
    b1 = write_batch(cohort, cohort.samples[:10], tmp_path / "batches", "B1")
    members = _members(cohort, {"B1": range(10)}, **{"3": {"research_opt_out": True}})
    _build(tmp_path, "spark", "r1", [b1], members)
    plan = plan_release([b1], members, PreviousRelease.open(tmp_path / "spark" / "r1"))
    opted_out = cohort.samples[3]
    wrong = dataclasses.replace(plan, leaving=((opted_out.sample_id, opted_out.labels),))
    with pytest.raises(IntegrityError, match="negative"):
        assemble_release(
            wrong,
            out_dir=tmp_path / "spark" / "bad",
            partials_dir=tmp_path / "spark" / "partials",
            work_dir=tmp_path / "spark" / "work",
            engine="spark",
        )


def test_engine_choice_is_checked() -> None:
    with pytest.raises(InvalidInput) as raised:
        create_engine_backend("hive", work_dir=Path("unused"))
    assert raised.value.problems[0].field == "engine"
    with pytest.raises(InvalidInput) as raised:
        create_engine_backend("spark", work_dir=Path("unused"), master="mesos://x:5050")
    assert raised.value.problems[0].field == "spark_master"
    assert Settings(engine="spark", spark_master="spark://head:7077").spark_master == "spark://head:7077"


def test_pyspark_is_imported_only_by_the_spark_backend() -> None:
    code = (
        "import sys, genomdb.variants.engine, genomdb.frequency.publish, genomdb.cli.app;"
        "print('pyspark' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_build_release_checks_the_engine_before_reading_anything(instance: Instance) -> None:
    with pytest.raises(InvalidInput) as raised:
        build_release(instance, engine="spark", master="local[two]")
    assert raised.value.problems[0].found == "local[two]"
