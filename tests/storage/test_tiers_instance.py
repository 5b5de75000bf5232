"""Tiers, the capacity plan and migration on a whole demo instance: locally, and against the real Ceph RGW.

One local ``genomdb demo`` is built per module; each test works on its own copy of that home.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genomdb.access.grants import create_grant, revoke_grant
from genomdb.access.records import GrantScope, NewGrant, Purpose
from genomdb.access.users import resolve_actor
from genomdb.config import STORE_POINTER, Settings
from genomdb.instance import Instance
from genomdb.model.catalog import StorageTier
from tests.storage.ceph import COLD_POOL, RunningRgw

pytestmark = [pytest.mark.slow]
VARIANT = "chr10-94762923-C-T"
LATER = (dt.date.today() + dt.timedelta(days=400)).isoformat()


def _genomdb(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=timeout)


@pytest.fixture(scope="module")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The home of one ``genomdb demo`` with its store on local disk (built once; tests copy it)."""
    home = tmp_path_factory.mktemp("tiers-demo") / "home"
    env = {**os.environ, "GENOMDB_HOME": str(home), "COLUMNS": "200"}
    env.pop("GENOMDB_STORE_URL", None)
    demo = _genomdb(env, "demo", "--individuals", "12")
    assert demo.returncode == 0, demo.stderr[-3000:]
    return home


@pytest.fixture
def home(local_demo: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(local_demo, copy, symlinks=True)
    return copy


def _env(home: Path, rgw: RunningRgw | None = None) -> dict[str, str]:
    env = {**os.environ, "GENOMDB_HOME": str(home), "COLUMNS": "200"}
    env.pop("GENOMDB_STORE_URL", None)
    env.pop("GENOMDB_USER", None)
    if rgw is not None:
        env.update(rgw.environment())
    return env


def _settings(home: Path, rgw: RunningRgw | None = None) -> Settings:
    if rgw is None:
        return Settings(home=home)
    from pydantic import SecretStr

    return Settings(
        home=home, s3_access_key_id=SecretStr(rgw.access_key), s3_secret_access_key=SecretStr(rgw.secret_key)
    )


def _tier_json(env: dict[str, str], *args: str) -> Any:
    done = _genomdb(env, "store", "tier", *args, "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _cram_of_one_person(instance: Instance) -> tuple[str, str]:
    """(pseudonym, sha256) of a CRAM that belongs to exactly one person."""
    for use in instance.catalog.blob_uses():
        if use.file_format == "CRAM" and len(use.persons) == 1:
            return use.persons[0], use.sha256
    raise AssertionError("the demo has no CRAM")


# --- local store ------------------------------------------------------------------------------------------------


def test_the_policy_on_a_local_store_records_tiers_and_holds_referrals(home: Path) -> None:
    env = _env(home)
    now = _tier_json(env, "--dry-run")
    assert now["moves"] == [], "a fresh demo has nothing old enough to move"

    with Instance.open(_settings(home)) as instance:
        steward = resolve_actor(instance, "steward")
        person, held_cram = _cram_of_one_person(instance)
        grant = create_grant(
            instance,
            steward,
            NewGrant(
                scope=GrantScope(persons=(person,)),
                purpose=Purpose.TREATMENT,
                reference="REF-TEST-0001",
                legal_basis="test referral",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=800),
                grantee_user="steward",
            ),
        )
        uses = instance.catalog.blob_uses()
    fastq = {u.sha256 for u in uses if u.file_format == "FASTQ"}
    crams = {u.sha256 for u in uses if u.file_format in {"CRAM", "BAM"}}
    held = {u.sha256 for u in uses if person in u.persons and u.file_format in {"CRAM", "BAM", "VCF", "GVCF", "BCF"}}
    assert held_cram in held

    planned = _tier_json(env, "--dry-run", "--as-of", LATER)
    moving = {str(m["name"]).removeprefix("blob/"): m for m in planned["moves"]}
    assert fastq <= set(moving) and all(moving[s]["to"] == "cold" for s in fastq)
    assert not held & set(moving), "the files of a person in an active referral stay hot"
    assert (crams - held) <= set(moving)
    assert not any(str(m["class"]) in {"batches", "releases"} for m in moving.values())

    refused = _genomdb(env, "store", "tier", "--apply", "--as-of", LATER)
    assert refused.returncode == 5 and "--as USER" in refused.stderr
    applied = _tier_json(env, "--apply", "--as-of", LATER, "--as", "steward")
    assert applied["physical"] is False and len(applied["moves"]) == len(moving)
    with Instance.open(_settings(home)) as instance:
        tiers = instance.catalog.blob_tiers(fastq | crams)
    assert all(tiers[s] == StorageTier.COLD for s in fastq) and tiers[held_cram] == StorageTier.HOT
    assert all(tiers[s] == StorageTier.COLD for s in crams - held)
    again = _tier_json(env, "--dry-run", "--as-of", LATER)
    assert again["moves"] == [] and again["retagged"] == 0

    with Instance.open(_settings(home)) as instance:
        revoke_grant(instance, resolve_actor(instance, "steward"), grant.grant_id, reason="referral closed")
    after = _tier_json(env, "--dry-run", "--as-of", LATER)
    assert {m["name"] for m in after["moves"]} == {f"blob/{s}" for s in held}


def test_the_lifecycle_json_and_the_plan(home: Path) -> None:
    env = _env(home)
    lifecycle = _genomdb(env, "store", "tier", "--lifecycle-json")
    assert lifecycle.returncode == 0, lifecycle.stderr
    rules = json.loads(lifecycle.stdout)["Rules"]
    assert {r["ID"].rsplit("-", 1)[-1] for r in rules} == {"fastq", "alignments", "variant_calls"}
    assert "held" in lifecycle.stderr

    plan = _genomdb(env, "store", "plan", "--genomes", "60000", "--coverage", "35", "--json")
    assert plan.returncode == 0, plan.stderr
    result = json.loads(plan.stdout)
    with Instance.open(_settings(home)) as instance:
        uses = instance.catalog.blob_uses()
    fastq_bytes = sum(u.size for u in uses if u.file_format == "FASTQ")
    fastq_genomes = {p for u in uses if u.file_format == "FASTQ" for p in u.persons}
    assert result["genomes"] == 60000 and len(result["years_table"]) == 5
    last = result["years_table"][-1]
    assert last["genomes"] == 60000
    # every byte of the plan is in one tier; FASTQ is mostly cold after five years
    fastq = last["by_class"]["fastq"]
    total = fastq["hot"] + fastq["cold"]
    assert total == pytest.approx(60000 * result["bytes_per_genome"]["fastq"], rel=1e-6)
    assert fastq["cold"] > 50 * fastq["hot"]
    assumptions = " ".join(result["assumptions"])
    assert f"fastq {fastq_bytes:,} B over {len(fastq_genomes)} genome(s)" in assumptions
    assert "measured" in assumptions and "per TB-month" in assumptions
    text = _genomdb(env, "store", "plan", "--genomes", "60000", "--coverage", "35")
    assert text.returncode == 0 and "assumptions:" in text.stdout and "60,000" in text.stdout


def test_migrate_refuses_a_local_target_and_finalise_without_a_migration(home: Path, tmp_path: Path) -> None:
    env = _env(home)
    local = _genomdb(env, "store", "migrate", "--to", (tmp_path / "elsewhere").as_uri())
    assert local.returncode == 2 and "must be an S3 store" in local.stderr
    nothing = _genomdb(env, "store", "migrate", "--finalise")
    assert nothing.returncode == 7 and "nothing to finalise" in nothing.stderr
    both = _genomdb(env, "store", "migrate")
    assert both.returncode == 2


# --- the real Ceph RGW --------------------------------------------------------------------------------------------


def _bucket_objects(rgw: RunningRgw, bucket: str) -> dict[str, dict[str, object]]:
    client = rgw.client()
    found: dict[str, dict[str, object]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):  # type: ignore[attr-defined]
        for item in page.get("Contents", []):
            found[item["Key"]] = item
    return found


def _migrated_count(home: Path, target: str) -> int:
    with sqlite3.connect(f"file:{home / 'catalog.sqlite'}?mode=ro", uri=True, timeout=30) as db:
        try:
            (n,) = db.execute("SELECT count(*) FROM storage_migrated_objects WHERE target = ?", (target,)).fetchone()
        except sqlite3.OperationalError:  # the table is made by the migration's first open
            return 0
    return int(n)


def _local_blob_hashes(home: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (home / "blobs" / "sha256").glob("*/*/*")}


@pytest.fixture
def killed_migration(home: Path, rgw: RunningRgw, rgw_bucket: str) -> Iterator[tuple[Path, str, int]]:
    """A migration to the RGW started in a real subprocess and killed (SIGKILL) once a few objects are verified:
    (home, target URL, objects verified before the kill)."""
    target = rgw.store_url(rgw_bucket, "moved")
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "store", "migrate", "--to", target]
    process = subprocess.Popen(
        [*command, "--rate", "0.2"],
        env=_env(home, rgw),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600
        while _migrated_count(home, target) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert process.poll() is None, "the migration ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        yield home, target, _migrated_count(home, target)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.rgw
def test_a_killed_migration_resumes_verifies_everything_and_switches(
    killed_migration: tuple[Path, str, int], rgw: RunningRgw, rgw_bucket: str, tmp_path: Path
) -> None:
    home, target, verified_before = killed_migration
    env = _env(home, rgw)
    before_hashes = _local_blob_hashes(home)
    assert not (home / STORE_POINTER).exists(), "a killed migration does not switch the instance"
    with Instance.open(_settings(home, rgw)) as instance:
        assert instance.blobs.url.startswith("file://")
        registered = instance.catalog.registered_blobs()
    total = _migrated_count(home, target)
    assert 3 <= verified_before == total

    report = tmp_path / "migration.tsv"
    resumed = _genomdb(env, "store", "migrate", "--to", target, "--report", str(report))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for secret in (rgw.secret_key, rgw.access_key):
        assert secret not in resumed.stdout + resumed.stderr
    lines = [line.split("\t") for line in report.read_text().splitlines()[1:]]
    checks = {name: check for name, _kind, _sha, _size, check, _detail in lines}
    assert sum(1 for c in checks.values() if c == "verified-before") == verified_before
    assert set(checks.values()) <= {"verified-before", "copied", "present"}
    assert {f"blob/{s}" for s in registered} <= set(checks)
    assert any(n.startswith("variants/batches/") for n in checks) and any(
        n.startswith("frequency/releases/") for n in checks
    )

    # every object is in the bucket with the sha256 the catalog gives it (read back here, independently)
    client = rgw.client()
    objects = _bucket_objects(rgw, rgw_bucket)
    for sha256 in registered:
        key = f"moved/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        body = client.get_object(Bucket=rgw_bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
        assert hashlib.sha256(body).hexdigest() == sha256
    dataset_names = [n for n in checks if not n.startswith("blob/")]
    assert all(f"moved/{n}" in objects for n in dataset_names)

    pointer = json.loads((home / STORE_POINTER).read_text())
    assert pointer["store_url"] == target and pointer["previous_store_url"].startswith("file://")
    assert _local_blob_hashes(home) == before_hashes, "the old store is untouched until --finalise"

    # the instance now serves from S3: with the old blob folder out of the way, reads still succeed
    parked = home / "parked-blobs"
    (home / "blobs").rename(parked)
    try:
        verify = _genomdb(env, "store", "verify", "--as", "steward")
        assert verify.returncode == 0 and f"verified {len(registered)} of {len(registered)}" in verify.stdout
        scrub = _genomdb(env, "store", "scrub", "--as", "steward")
        assert scrub.returncode == 0 and "0 with drift" in scrub.stdout, scrub.stdout + scrub.stderr
        freq = _genomdb(env, "freq", VARIANT, "--tier", "registered", "--as", "clinician-rh-kg", "--json")
        assert freq.returncode == 0, freq.stderr[-2000:]
    finally:
        parked.rename(home / "blobs")
    with Instance.open(_settings(home, rgw)) as instance:
        assert instance.blobs.url == target

    contradicting = _genomdb(
        {**env, "GENOMDB_STORE_URL": (home / "blobs").as_uri()}, "store", "verify", "--as", "steward"
    )
    assert contradicting.returncode == 7 and "was migrated to" in contradicting.stderr

    finalised = _genomdb(env, "store", "migrate", "--finalise")
    assert finalised.returncode == 0, finalised.stderr[-2000:]
    assert not (home / "blobs" / "sha256").exists()
    assert "previous_store_url" not in json.loads((home / STORE_POINTER).read_text())
    assert _bucket_objects(rgw, rgw_bucket).keys() == objects.keys()
    assert _genomdb(env, "store", "verify", "--as", "steward").returncode == 0
    assert _genomdb(env, "store", "migrate", "--finalise").returncode == 7


@pytest.mark.rgw
def test_tiers_on_the_rgw_move_objects_to_the_cold_pool(home: Path, rgw: RunningRgw, rgw_bucket: str) -> None:
    env = _env(home, rgw)
    target = rgw.store_url(rgw_bucket, "tiered")
    moved = _genomdb(env, "store", "migrate", "--to", target)
    assert moved.returncode == 0, moved.stderr[-3000:]
    with Instance.open(_settings(home, rgw)) as instance:
        uses = instance.catalog.blob_uses()
    fastq = sorted(u.sha256 for u in uses if u.file_format == "FASTQ")
    client = rgw.client()

    def head(sha256: str) -> dict[str, object]:
        key = f"tiered/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        return client.head_object(Bucket=rgw_bucket, Key=key)  # type: ignore[attr-defined,no-any-return]

    def tags(sha256: str) -> dict[str, str]:
        key = f"tiered/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        tag_set = client.get_object_tagging(Bucket=rgw_bucket, Key=key)["TagSet"]  # type: ignore[attr-defined]
        return {t["Key"]: t["Value"] for t in tag_set}

    assert all(head(s).get("StorageClass", "STANDARD") == "STANDARD" for s in fastq)
    tagged = _tier_json(env, "--apply", "--as", "steward")
    assert tagged["moves"] == [] and int(tagged["retagged"]) >= len(fastq)
    assert _tier_json(env, "--dry-run")["retagged"] == 0
    assert tags(fastq[0]) == {"genomdb-class": "fastq"}, "today: nothing moves, every object gets its class tag"

    applied = _tier_json(env, "--apply", "--as-of", LATER, "--as", "steward")
    assert applied["physical"] is True
    moved_names = {str(m["name"]) for m in applied["moves"]}
    assert {f"blob/{s}" for s in fastq} <= moved_names
    for sha256 in fastq:
        found = head(sha256)
        assert found["StorageClass"] == "COLD"
        assert found["Metadata"] == {"sha256": sha256, "size": str(found["ContentLength"]), "encrypted": "0"}
        assert tags(sha256) == {"genomdb-class": "fastq"}
    # the objects' data now lives in the COLD class's own pool (RGW keeps a data-less head object in the bucket's
    # pool and writes the data as tail objects named by the manifest's prefix); the pool compresses with zstd
    in_cold_pool = rgw.rados("-p", COLD_POOL, "ls")
    for sha256 in fastq:
        key = f"tiered/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
        stat = json.loads(_run_admin(rgw, "object", "stat", "--bucket", rgw_bucket, "--object", key), strict=False)
        assert stat["manifest"]["tail_placement"]["placement_rule"] == "default-placement/COLD"
        assert stat["manifest"]["head_size"] == 0
        assert f"__shadow_{stat['manifest']['prefix']}" in in_cold_pool
        # gzip-compressed FASTQ does not shrink: RGW keeps such blocks as they are (no compression record)
        assert (
            stat.get("compression", {"orig_size": head(sha256)["ContentLength"]})["orig_size"]
            == (head(sha256)["ContentLength"])
        )
    zone = json.loads(_run_admin(rgw, "zone", "get"))
    (placement,) = [p for p in zone["placement_pools"] if p["key"] == "default-placement"]
    assert placement["val"]["storage_classes"]["COLD"] == {"data_pool": COLD_POOL, "compression_type": "zstd"}
    verify = _genomdb(env, "store", "verify", "--as", "steward")
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # the lifecycle JSON is accepted by the gateway as it is
    lifecycle = _genomdb(env, "store", "tier", "--lifecycle-json")
    assert lifecycle.returncode == 0, lifecycle.stderr
    configuration = json.loads(lifecycle.stdout)
    assert all(r["Filter"]["And"]["Prefix"] == "tiered/sha256/" for r in configuration["Rules"] if "And" in r["Filter"])
    client.put_bucket_lifecycle_configuration(Bucket=rgw_bucket, LifecycleConfiguration=configuration)  # type: ignore[attr-defined]
    installed = client.get_bucket_lifecycle_configuration(Bucket=rgw_bucket)["Rules"]  # type: ignore[attr-defined]
    assert sorted(r["ID"] for r in installed) == sorted(r["ID"] for r in configuration["Rules"])
    assert all(r["Transitions"] == [{"Days": r["Transitions"][0]["Days"], "StorageClass": "COLD"}] for r in installed)

    # an explicit thaw copies the object back to the STANDARD class
    thawed = _genomdb(env, "store", "tier", fastq[0], "--hot", "--as", "steward")
    assert thawed.returncode == 0, thawed.stderr
    assert head(fastq[0]).get("StorageClass", "STANDARD") == "STANDARD"


def _run_admin(rgw: RunningRgw, *args: str) -> str:
    """radosgw-admin's output; `object stat` prints raw xattr bytes (not UTF-8) inside its JSON strings."""
    done = subprocess.run(["radosgw-admin", "-c", str(rgw.conf), *args], capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8", errors="replace")
