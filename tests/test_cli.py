"""The real `genomdb` entry point, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.submission_kit import MOTHER_CPR, make_kit


def genomdb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GENOMDB_HOME": str(home), "COLUMNS": "200"}
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An initialised instance with a data steward ``steve`` (the first user) and an RH-KG submitter ``rita``."""
    home = tmp_path / "home"
    result = genomdb(home, "init")
    assert result.returncode == 0, result.stderr
    assert genomdb(home, "users", "add", "steve", "--role", "steward").returncode == 0
    added = genomdb(home, "users", "add", "rita", "--role", "submitter", "--department", "RH-KG", "--as", "steve")
    assert added.returncode == 0, added.stderr
    return home


def test_submit_search_show_history_correct(home: Path, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "submission")
    result = genomdb(home, "submit", str(kit.write()), "--json", "--as", "rita")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    submission_id = outcome["submission_id"]

    found = json.loads(
        genomdb(home, "catalog", "search", "--has-vcf", "--region", "RH", "--json", "--as", "steve").stdout
    )
    assert {s["submitter_sample_id"] for s in found} == {"RH-KG-T0001", "RH-KG-T0002"}
    table = genomdb(home, "catalog", "search", "--platform", "ILLUMINA", "--as", "rita").stdout
    assert "RH-KG-T0001" in table and "RH-KG-T0002" not in table and "1 sample(s)" in table

    shown = genomdb(home, "catalog", "show", found[0]["sample_key"], "--as", "rita")
    assert shown.returncode == 0 and found[0]["sample_key"] in shown.stdout
    person = genomdb(home, "catalog", "show", found[0]["pseudonym"], "--as", "steve")
    assert person.returncode == 0 and "born" in person.stdout

    again = genomdb(home, "submit", str(kit.manifest), "--as", "rita")
    assert again.returncode == 0 and "nothing changed" in again.stdout

    kit.doc["samples"][0]["tissue"] = "saliva"
    corrected = genomdb(
        home, "submit", str(kit.write()), "--corrects", submission_id, "--reason", "tissue fix", "--as", "rita"
    )
    assert corrected.returncode == 0, corrected.stderr
    history = genomdb(home, "catalog", "history", submission_id, "--as", "rita")
    assert "superseded" in history.stdout and "tissue fix" in history.stdout and "corrected" in history.stdout
    events = genomdb(home, "catalog", "history", submission_id, "--tsv", "--as", "rita").stdout.splitlines()
    assert events[0] == "when\tversion\tevent\tdetail"
    assert [line.split("\t")[2] for line in events[1:]].count("corrected") == 1


def test_rejection_exits_2_with_report_and_no_cpr(home: Path, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "submission")
    kit.file_entry("bam")["path"] = "../../etc/passwd"
    bad_cpr = MOTHER_CPR[:2] + "13" + MOTHER_CPR[4:]  # month 13
    kit.doc["individuals"][0]["cpr"] = bad_cpr
    result = genomdb(home, "submit", str(kit.write()), "--as", "rita")
    assert result.returncode == 2
    assert "rejected" in result.stderr and "outside the manifest's folder" in result.stderr
    assert "invalid CPR number" in result.stderr
    assert bad_cpr not in result.stderr and bad_cpr not in result.stdout
    assert json.loads(genomdb(home, "catalog", "search", "--json", "--as", "steve").stdout) == []


def test_not_initialised_and_not_found_are_clear(tmp_path: Path, home: Path) -> None:
    result = genomdb(tmp_path / "nowhere", "catalog", "search")
    assert result.returncode == 7 and "genomdb init" in result.stderr
    missing = genomdb(home, "catalog", "show", "SUB-NOSUCH", "--as", "steve")
    assert missing.returncode == 3 and "no submission SUB-NOSUCH" in missing.stderr


def test_manifest_schema_is_json_schema(home: Path) -> None:
    import jsonschema

    result = genomdb(home, "manifest", "schema")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == 1


def test_store_gc_and_verify(home: Path, tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "submission")
    assert genomdb(home, "submit", str(kit.write()), "--as", "rita").returncode == 0
    verify = genomdb(home, "store", "verify", "--as", "steve")
    assert verify.returncode == 0 and "verified 8 of 8" in verify.stdout
    gc = genomdb(home, "store", "gc", "--grace", "0", "--as", "steve")
    assert gc.returncode == 0 and "removed 0 unregistered" in gc.stdout


def test_submit_goes_through_the_access_policy(home: Path, tmp_path: Path) -> None:
    """Data-in is a write: without a user, as a steward, or as another department's submitter nothing is recorded
    (not even a rejection), and each refusal is in the audit log."""
    added = genomdb(home, "users", "add", "mads", "--role", "submitter", "--department", "RM-KG", "--as", "steve")
    assert added.returncode == 0, added.stderr
    manifest = str(make_kit(tmp_path / "submission").write())

    nobody = genomdb(home, "submit", manifest)
    assert nobody.returncode == 5 and "submissions need --as USER" in nobody.stderr
    steward = genomdb(home, "submit", manifest, "--as", "steve")
    assert steward.returncode == 5 and "needs the role submitter" in steward.stderr
    other = genomdb(home, "submit", manifest, "--as", "mads")
    assert other.returncode == 5 and "the manifest names RH-KG; mads submits for RM-KG only" in other.stderr
    foreign_fix = genomdb(home, "submit", manifest, "--as", "rita", "--corrects", "SUB-NOSUCH", "--reason", "x")
    assert foreign_fix.returncode == 5

    listing = genomdb(home, "catalog", "search", "--json", "--as", "steve")
    assert json.loads(listing.stdout) == []
    audit = genomdb(home, "audit", "show", "--json", "--as", "steve")
    refusals = [e for e in json.loads(audit.stdout) if e["action"] == "submit" and e["decision"] != "allowed"]
    assert {e["actor"] for e in refusals} == {"steve", "mads"}

    assert genomdb(home, "submit", manifest, "--as", "rita").returncode == 0
