"""The one-page PGx report: genes, ties, phenotypes, drugs with CPIC text and guideline links, caveats (missing
positions, ties, callable-block differences, outside calls), the data version — and never a personal identifier."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from genomdb.access.records import Actor, Role
from genomdb.access.users import add_user
from genomdb.cli.app import app
from genomdb.config import Settings
from genomdb.errors import InvalidInput
from genomdb.instance import Instance, init_instance
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.evidence import GenotypeCall, ReferenceBlock, build_person_evidence
from genomdb.pgx.html_report import report_document
from genomdb.pgx.outside_calls import parse_outside_calls
from genomdb.pgx.report import comparison_to_json
from genomdb.pgx.runs import run_pgx
from tests.harmonize.kit import person_cpr
from tests.pgx import kit

TPMT_TIE = (
    GenotypeCall("chr6", 18_130_687, "T", ("C",), (0, 1)),
    GenotypeCall("chr6", 18_130_694, "T", ("C",), (0, 1)),
)
"""Two unphased heterozygous TPMT positions (others missing): *3A/*20 and *3C/*20 score equally."""


def _report(caller: PgxCaller, tmp_path: Path, *, label: str = "SMP-TEST") -> dict[str, object]:
    core_only = GenotypeCall("chr10", 94_781_859, "G", ("A",), (0, 1))  # *2's core SNP; the other *2 SNP sequenced
    evidence = build_person_evidence(
        label,
        [core_only, *TPMT_TIE],
        [ReferenceBlock("chr10", 94_775_300, 94_775_400)],
        defining_positions=caller.defining_positions(),
        origin="test",
    )
    tsv = tmp_path / "outside.tsv"
    tsv.write_text("CYP2D6\t*1/*4\n")
    outside = parse_outside_calls(tsv, known_genes=caller.known_genes)
    return comparison_to_json(caller.call_person_both(evidence, outside_calls=outside))


def test_the_page_shows_calls_ties_drugs_and_caveats(caller: PgxCaller, tmp_path: Path) -> None:
    report = _report(caller, tmp_path)
    page = report_document(report, person="GDB-TEST")
    assert page.startswith("<!doctype html>") and "GDB-TEST" in page and "SMP-TEST" in page
    assert str(report["data_version"]) in page
    assert "<strong>*3A/*20</strong> or <strong>*3C/*20</strong>" in page and "tie: 2 diplotypes" in page
    difference = "from the VCF alone: *1/*2 or *2/*38 (Intermediate Metabolizer) / with callable blocks: not called<"
    assert f"<strong>CYP2C19</strong>: {difference}" in page
    assert "outside call (line 1" in page and "*1/*4" in page
    assert "defining position(s) without evidence" in page
    drugs = [r for r in report["recommendations"] if r["status"] == "recommendation"]  # type: ignore[attr-defined]
    assert drugs, "CYP2D6 *1/*4 from the outside call gives CPIC recommendations"
    for drug in drugs:
        assert f'<th scope="row">{drug["drug"]}</th>' in page
    assert 'href="https://' in page and "CPIC guideline" in page
    assert "Drugs without a recommendation" in page


def test_every_value_is_escaped(caller: PgxCaller, tmp_path: Path) -> None:
    page = report_document(_report(caller, tmp_path, label="<script>alert(1)</script>"))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_pgx_report_writes_html_and_json_of_a_stored_person(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    init_instance(settings)
    with Instance.open(settings) as instance:
        kit.harmonise_star2_17(instance, kit.cyp2c19_reference(tmp_path), tmp_path / "sub")
        admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
        add_user(instance, Actor("admin", admin.role), "clin-rh", role=Role.CLINICIAN, department="RH-KG")
        add_user(instance, Actor("admin", admin.role), "clin-rm", role=Role.CLINICIAN, department="RM-KG")
        run_pgx(instance)
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    home = ["--home", str(settings.resolved_home())]
    out = CliRunner().invoke(
        app, [*home, "pgx", "report", "WITH-BLOCKS", "--html", str(html), "--json", str(js), "--as", "clin-rh"]
    )
    assert out.exit_code == 0, out.output
    report = json.loads(js.read_text())
    assert report["schema_version"] == 1 and report["person"].startswith("GDB-")
    page = html.read_text()
    assert "*2/*17" in page and "Intermediate Metabolizer" in page and report["person"] in page
    for index in (0, 1):
        for sex in ("female", "male"):
            cpr = person_cpr(index, sex)
            assert cpr not in page and cpr.replace("-", "") not in page and cpr not in js.read_text()

    refused = CliRunner().invoke(
        app, [*home, "pgx", "report", "WITH-BLOCKS", "--html", str(tmp_path / "x.html"), "--as", "clin-rm"]
    )
    assert refused.exit_code != 0 and not (tmp_path / "x.html").exists()
    nothing = CliRunner().invoke(app, [*home, "pgx", "report", "WITH-BLOCKS", "--as", "clin-rh"])
    assert isinstance(nothing.exception, InvalidInput) and "--html" in str(nothing.exception.problems)
