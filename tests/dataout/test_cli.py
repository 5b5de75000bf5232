"""The CLI as users run it: grants, requests, a fetch killed half-way and resumed, tiers, audit verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from genomdb.config import Settings
from genomdb.dataout.records import CopyRequest, RequestStatus
from genomdb.dataout.requests import request_copy, request_status
from genomdb.dataout.sealing import decrypt_for_recipient
from tests.dataout.conftest import PROBAND, World
from tests.dataout.factory import offline_cold_policy

EXPIRES = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def genomdb(settings: Settings, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(*args), env=_env(settings, user), capture_output=True, text=True, check=False)


def _env(settings: Settings, user: str | None) -> dict[str, str]:
    env = {**os.environ, "GENOMDB_HOME": str(settings.resolved_home()), "COLUMNS": "200"}
    if settings.database_url:
        env["GENOMDB_DATABASE_URL"] = settings.database_url
    if settings.store_url:
        env["GENOMDB_STORE_URL"] = settings.store_url
    for name in ("s3_access_key_id", "s3_secret_access_key"):
        secret = getattr(settings, name)
        if secret is not None:
            env[f"GENOMDB_{name.upper()}"] = secret.get_secret_value()
    if settings.tier_policy is not None:
        env["GENOMDB_TIER_POLICY"] = str(settings.tier_policy)
    if user:
        env["GENOMDB_USER"] = user
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]


def _request(world: World, *formats: str) -> str:
    return request_copy(world.instance, world.people.own, CopyRequest(samples=(PROBAND,), formats=formats)).request_id


def test_request_refused_granted_fetched_and_audited(settings: Settings, world: World, tmp_path: Path) -> None:
    refused = genomdb(settings, "out", "request", "--sample", PROBAND, "--formats", "GVCF", user="aarhus")
    assert (
        refused.returncode == 5
        and "deny-by-default" in refused.stderr
        and world.proband.pseudonym not in refused.stderr
    )
    denied_grant = genomdb(
        settings,
        "grants",
        "add",
        "--to-user",
        "aarhus",
        "--samples",
        PROBAND,
        "--purpose",
        "treatment",
        "--referral",
        "R-1",
        "--legal-basis",
        "§ 42 a",
        "--expires",
        EXPIRES,
        user="kg",
    )
    assert denied_grant.returncode == 5 and "role-required" in denied_grant.stderr
    granted = genomdb(
        settings,
        "grants",
        "add",
        "--to-user",
        "aarhus",
        "--samples",
        PROBAND,
        "--purpose",
        "treatment",
        "--referral",
        "R-1",
        "--legal-basis",
        "Sundhedsloven § 42 a",
        "--expires",
        EXPIRES,
        "--json",
        user="steve",
    )
    assert granted.returncode == 0, granted.stderr
    grant_id = json.loads(granted.stdout)["grant_id"]
    requested = genomdb(settings, "out", "request", "--sample", PROBAND, "--formats", "GVCF", "--json", user="aarhus")
    assert requested.returncode == 0, requested.stderr
    request_id = json.loads(requested.stdout)["request_id"]
    fetched = genomdb(settings, "out", "fetch", request_id, "--to", str(tmp_path / "got"), user="aarhus")
    assert fetched.returncode == 0 and "every sha256 verified" in fetched.stdout
    shown = genomdb(settings, "audit", "show", "--person", world.proband.pseudonym, "--allowed", "--json", user="steve")
    who = {(e["actor"], e["rule"], e["grant_id"]) for e in json.loads(shown.stdout)}
    assert ("aarhus", "grant", grant_id) in who
    assert genomdb(settings, "audit", "verify", user="steve").returncode == 0


def test_killed_fetch_resumes_and_completes(settings: Settings, world: World, tmp_path: Path) -> None:
    request_id = _request(world, "CRAM", "BAM")
    target = tmp_path / "got"
    slow = subprocess.Popen(
        _command("out", "fetch", request_id, "--to", str(target), "--max-rate", "150000"),
        env=_env(settings, "kg"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partials = [p for p in target.glob("*.partial") if p.stat().st_size > 100_000] if target.exists() else []
        if partials:
            break
        time.sleep(0.05)
    slow.send_signal(signal.SIGKILL)
    slow.wait()
    assert partials, "the slow fetch never got going"
    assert not (target / "package.json").exists()
    resumed = genomdb(settings, "out", "fetch", request_id, "--to", str(target), "--json", user="kg")
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["n_resumed"] == 1 and report["n_parts"] == 6
    package = json.loads((target / "package.json").read_text())
    for part in package["parts"]:
        assert hashlib.sha256((target / part["name"]).read_bytes()).hexdigest() == part["sha256"]
    assert not list(target.glob("*.partial"))
    plain = tmp_path / "plain.cram"
    with (target / f"{PROBAND}.cram.c4gh").open("rb") as sealed, plain.open("wb") as out:
        decrypt_for_recipient(sealed, out, secret_key=world.secret_key("kg"))
    assert hashlib.sha256(plain.read_bytes()).hexdigest() == world.kit.declared["p-cram"]
    again = json.loads(genomdb(settings, "out", "fetch", request_id, "--to", str(target), "--json", user="kg").stdout)
    assert again["n_already_complete"] == 6 and again["bytes_copied"] == 0


def test_a_corrupt_partial_is_refetched(settings: Settings, world: World, tmp_path: Path) -> None:
    request_id = _request(world, "GVCF")
    target = tmp_path / "got"
    target.mkdir()
    (target / "proband.g.vcf.gz.c4gh.partial").write_bytes(b"garbage" * 10)
    fetched = genomdb(settings, "out", "fetch", request_id, "--to", str(target), "--json", user="kg")
    assert fetched.returncode == 0, fetched.stderr
    package = json.loads((target / "package.json").read_text())
    for part in package["parts"]:
        assert hashlib.sha256((target / part["name"]).read_bytes()).hexdigest() == part["sha256"]


def test_tier_waiting_request_and_tampered_audit(settings: Settings, world: World, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"tier_policy": offline_cold_policy(tmp_path / "policy")})
    world.instance.settings.tier_policy = settings.tier_policy
    cold = genomdb(settings, "store", "tier", PROBAND, "--cold", user="steve")
    assert cold.returncode == 0 and "cold tier" in cold.stdout
    request_id = _request(world, "GVCF")
    early = genomdb(settings, "out", "fetch", request_id, "--to", str(tmp_path / "x"), user="kg")
    assert early.returncode == 7 and "waiting" in early.stderr
    thawed = genomdb(settings, "store", "tier", PROBAND, "--hot", user="steve")
    assert thawed.returncode == 0 and f"ready {request_id}" in thawed.stdout
    assert request_status(world.instance, world.people.own, request_id).status == RequestStatus.READY

    with world.instance.db.engine.begin() as connection:
        connection.execute(text("UPDATE access_audit SET actor = 'nobody' WHERE seq = 3"))
    broken = genomdb(settings, "audit", "verify", user="steve")
    assert broken.returncode == 6 and "entry 3 does not match its hash" in broken.stdout
