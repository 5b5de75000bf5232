"""``genomdb classify`` as a user runs it: the real entry point (``main``, which maps errors to exit codes), in
this process for speed and, for the exit codes, once in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest

from genomdb.cli.app import main
from tests.classification.conftest import snv
from tests.test_cli import genomdb as genomdb_subprocess

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def genomdb(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``genomdb ARGS`` through ``main()`` in this process; returns what a subprocess would."""

    def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("GENOMDB_HOME", str(home))
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.setattr(sys, "argv", ["genomdb", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["genomdb", *args], code, captured.out, captured.err)

    return run


USERS = {"clin-rh": "RH-KG", "clin-rm": "RM-KG", "clin-rn": "RN-KG"}
"""A clinician of each of three departments; ``steve`` is the instance's data steward (its first user)."""


@pytest.fixture
def home(tmp_path: Path, reference_fasta: Path, genomdb: Run) -> Path:
    home = tmp_path / "home"
    assert genomdb(home, "init").returncode == 0
    added = genomdb(home, "reference", "add", "GRCh38", str(reference_fasta))
    assert added.returncode == 0, added.stderr
    assert genomdb(home, "users", "add", "steve", "--role", "steward").returncode == 0
    for username, department in USERS.items():
        user = genomdb(
            home, "users", "add", username, "--role", "clinician", "--department", department, "--as", "steve"
        )
        assert user.returncode == 0, user.stderr
    return home


def test_add_show_history_conflicts_export(
    genomdb: Run, home: Path, tmp_path: Path, reference_sequences: dict[str, str]
) -> None:
    key = snv(reference_sequences, "chr19", 8_000)
    common = ["--condition", "Familial hypercholesterolemia", "--condition-id", "MONDO:0007750", "--inheritance", "AD"]
    added = genomdb(home, "classify", "add", key, "--as", "clin-rh", "--class", "LP", "--criteria", "PVS1,PM2", *common)
    assert added.returncode == 0, added.stderr
    assert "new assertion CLS-" in added.stdout and "national view: Likely pathogenic" in added.stdout
    assert "became actionable" in added.stdout

    warned = genomdb(
        home,
        "classify",
        "add",
        key,
        "-d",
        "RM-KG",
        "--as",
        "clin-rm",
        "--class",
        "Pathogenic",
        "--criteria",
        "PM2_Supporting",
        *common,
    )
    assert warned.returncode == 0, warned.stderr
    assert "criteria support Uncertain significance" in warned.stdout and "conflict case" not in warned.stdout

    opposite = genomdb(
        home, "classify", "add", key, "--as", "clin-rn", "--class", "LB", "--criteria", "BS1 BP4", *common
    )
    assert "conflict case opened: CNF-" in opposite.stdout and "no longer actionable" in opposite.stdout

    shown = genomdb(home, "classify", "show", key)
    assert shown.returncode == 0, shown.stderr
    assert "opposite" in shown.stdout and "Conflicting classifications of pathogenicity" in shown.stdout
    assert "criteria applied differently" in shown.stdout and "PM2_Supporting" in shown.stdout
    report = json.loads(genomdb(home, "classify", "show", key, "--json").stdout)
    assert report["national"]["overall"]["category"] == "opposite"
    assert report["conflict"]["state"] == "open"

    listed = json.loads(genomdb(home, "classify", "conflicts", "--json").stdout)
    [case] = listed
    assert case["departments"] == ["RH-KG", "RM-KG", "RN-KG"]
    outsider = genomdb(home, "classify", "conflicts", "discuss", case["conflict_id"], "--note", "x", "--as", "steve")
    assert outsider.returncode == 5 and "role-required" in outsider.stderr
    discussed = genomdb(
        home, "classify", "conflicts", "discuss", case["conflict_id"], "--note", "forum in May", "--as", "clin-rm"
    )
    assert "under discussion" in discussed.stdout, discussed.stderr
    unresolved = genomdb(home, "classify", "conflicts", "--state", "unresolved")
    assert case["conflict_id"] in unresolved.stdout and "1 case(s)" in unresolved.stdout
    resolved = genomdb(
        home,
        "classify",
        "conflicts",
        "resolve",
        case["conflict_id"],
        "--resolution",
        "agree to disagree",
        "--as",
        "clin-rh",
    )
    assert "resolved — agree to disagree" in resolved.stdout
    events = json.loads(genomdb(home, "classify", "conflicts", "--json").stdout)[0]["events"]
    assert {e["actor"] for e in events if e["state"] != "open"} == {"clin-rm", "clin-rh"}

    history = json.loads(genomdb(home, "classify", "history", key, "--json").stdout)
    assert [v["department"] for v in history] == ["RH-KG", "RM-KG", "RN-KG"]
    assertion_id = history[0]["assertion_id"]
    withdrawn = genomdb(home, "classify", "withdraw", assertion_id, "--reason", "sample swap", "--as", "clin-rh")
    assert withdrawn.returncode == 0 and "withdrawn (v2)" in withdrawn.stdout
    assert len(json.loads(genomdb(home, "classify", "history", assertion_id, "--json").stdout)) == 2
    tsv = genomdb(home, "classify", "history", assertion_id, "--tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:4] == ["assertion", "v", "department", "class"] and len(tsv) == 3
    assert tsv[2].split("\t")[0] == assertion_id and "withdrawn: sample swap" in tsv[2]
    forbidden = genomdb(home, "classify", "withdraw", history[1]["assertion_id"], "--reason", "x", "--as", "clin-rh")
    assert forbidden.returncode == 5 and "own-department-only" in forbidden.stderr and "RM-KG" in forbidden.stderr

    vcf = tmp_path / "national.vcf"
    exported = genomdb(home, "classify", "export", "--national", "vcf", "-o", str(vcf))
    assert exported.returncode == 0 and "1 row(s)" in exported.stdout, exported.stderr
    with pysam.VariantFile(str(vcf)) as records:
        [record] = list(records)
    assert record.info["GDB_CONSENSUS"] == "opposite"
    clinvar = genomdb(home, "classify", "export", "--department", "RM-KG")
    assert clinvar.stdout.startswith("##Local ID\t") and "Pathogenic" in clinvar.stdout
    earlier = genomdb(home, "classify", "show", key, "--as-of", "2020-01-01", "--json")
    assert json.loads(earlier.stdout)["national"]["assertions"] == []
    assert genomdb(home, "classify", "worklist", "--as", "clin-rh").returncode == 0
    worklist_tsv = genomdb(home, "classify", "worklist", "--as", "clin-rh", "--tsv")
    assert worklist_tsv.stdout.splitlines()[0].split("\t") == [
        "variant",
        "crossed",
        "on",
        "after",
        "person",
        "sample",
        "department sample id",
        "copies",
    ]
    thresholds = genomdb(home, "classify", "thresholds", "LDLR")
    assert "BA1 FAF95 > 0.005" in thresholds.stdout
    clinician_sets = genomdb(home, "classify", "thresholds", "LDLR", "--ba1", "0.01", "--as", "clin-rh")
    assert clinician_sets.returncode == 5 and "role-required" in clinician_sets.stderr
    steward_sets = genomdb(home, "classify", "thresholds", "LDLR", "--ba1", "0.01", "--as", "steve")
    assert steward_sets.returncode == 0 and "BA1 FAF95 > 0.01" in steward_sets.stdout, steward_sets.stderr


def test_a_bad_import_exits_2_with_every_problem_and_imports_nothing(
    genomdb: Run, home: Path, tmp_path: Path, reference_sequences: dict[str, str]
) -> None:
    good = snv(reference_sequences, "chr19", 8_100)
    path = tmp_path / "export.tsv"
    path.write_text(
        "variant\tclassification\tcondition\tcriteria\n"
        f"{good}\tLP\tFH\tPVS1,PM2\n"
        f"{good.replace('-', ':')}\tLP\tHCM\tPQ1\n"
        "chr19-8200-N-A\tbenign-ish\tFH\t\n"
    )
    result = genomdb_subprocess(home, "classify", "import", str(path), "-d", "RH-KG", "--as", "clin-rh")
    assert result.returncode == 2
    assert "nothing was imported" in result.stderr
    for expected in ("line 3, field criteria", "line 4, field classification", "line 4, field variant"):
        assert expected in result.stderr, result.stderr
    assert json.loads(genomdb(home, "classify", "history", "-d", "RH-KG", "--json").stdout) == []

    path.write_text(f"variant\tclassification\tcondition\tcriteria\n{good}\tLP\tFH\tPVS1,PM2\n")
    imported = genomdb(home, "classify", "import", str(path), "--as", "clin-rh", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["n_new_assertions"] == 1
