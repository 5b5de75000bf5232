"""Sample QC: exact figures on a hand-made sample, genetic sex on demo data, mismatches flagged for the steward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genomdb.cli.app import app
from genomdb.config import Settings
from genomdb.errors import NotFound
from genomdb.harmonize.qc import qc_of_sample, qc_report
from genomdb.harmonize.run import harmonize
from genomdb.ingest.manifest import parse_manifest
from genomdb.instance import Instance
from genomdb.pseudonyms import DeclaredSex, parse_cpr
from genomdb.variants import repository as variant_repository
from tests.harmonize.conftest import HarmonisedDemo
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    X_NON_PAR_START,
    CallFileSpec,
    SmallReference,
    block,
    call,
    submit_calls,
)


def run_cli(settings: Settings, *args: str) -> str:
    """Run ``genomdb`` in-process against an instance; return stdout (the command must succeed)."""
    env = {"GENOMDB_DATABASE_URL": settings.database_url} if settings.database_url else {}
    result = CliRunner().invoke(app, ["--home", str(settings.home), *args], env={"COLUMNS": "200", **env})
    assert result.exit_code == 0, result.output
    return result.stdout


def _other(base: str, wanted: str) -> str:
    """An ALT base of the wanted kind: ``ti`` (transition) or ``tv`` (transversion)."""
    transition = {"A": "G", "G": "A", "C": "T", "T": "C"}[base]
    return transition if wanted == "ti" else next(b for b in "ACGT" if b not in (base, transition))


def _stable_position(reference: SmallReference, pos: int) -> int:
    """A position at or after ``pos`` whose base differs from both neighbours: indels there cannot shift."""
    while len(set(reference.bases(AUTOSOME, pos - 1, 3))) < 3:
        pos += 1
    return pos


def test_qc_figures_of_a_hand_made_sample(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    r = small_reference
    start, end = WINDOW_START + 5_000, WINDOW_START + 5_999
    lines: list[str] = []
    spans: list[tuple[int, int]] = []

    def snv(offset: int, kind: str, gt: str, gq: int = 50) -> None:
        pos = _stable_position(r, start + offset)
        base = r.bases(AUTOSOME, pos)
        lines.append(call(AUTOSOME, pos, base, _other(base, kind), gt, gq=gq, gvcf=True))
        spans.append((pos, pos))

    snv(100, "ti", "0/1")
    snv(200, "ti", "1/1")
    snv(300, "tv", "0/1")
    snv(400, "tv", "0/1")
    snv(500, "ti", "0/1", gq=5)
    snv(600, "tv", "./1")
    deletion = _stable_position(r, start + 700)
    lines.append(
        call(AUTOSOME, deletion, r.bases(AUTOSOME, deletion, 2), r.bases(AUTOSOME, deletion), "0/1", gvcf=True)
    )
    spans.append((deletion, deletion + 1))
    insertion = _stable_position(r, start + 800)
    anchor, following = r.bases(AUTOSOME, insertion), r.bases(AUTOSOME, insertion + 1)
    inserted = next(b for b in "ACGT" if b not in (anchor, following))
    lines.append(call(AUTOSOME, insertion, anchor, anchor + inserted, "1/1", gvcf=True))
    spans.append((insertion, insertion))
    cursor = start
    for span_start, span_end in sorted(spans):
        lines.append(block(r, AUTOSOME, cursor, span_start - 1))
        cursor = span_end + 1
    lines.append(block(r, AUTOSOME, cursor, end))
    submit_calls(ready, tmp_path / "calls", [CallFileSpec("RH-KG-T0001", lines)], r)
    outcome = harmonize(ready)

    (record,) = qc_report(ready.catalog)
    qc = record.qc
    assert (qc.n_calls, qc.n_passing_calls, qc.call_rate) == (8, 7, 7 / 8)
    assert (qc.n_snv, qc.n_indel) == (5, 2)
    assert qc.ti_tv == pytest.approx(2 / 3)
    assert (qc.n_het, qc.n_hom_var, qc.het_hom_ratio) == (4, 2, 2.0)
    assert (qc.target_bases, qc.callable_bases) == (1_000, 999)
    assert qc.callable_fraction == pytest.approx(0.999)
    assert (qc.inferred_sex, qc.declared_sex, qc.ploidy_sex, qc.chrx_n_calls) == ("unknown", "female", "XX", 0)
    assert qc.flags == ("low_call_rate",)
    assert outcome.flagged == (record.sample_key,)
    assert qc_of_sample(ready.catalog, "RH-KG-T0001")[0].qc == qc
    with pytest.raises(NotFound):
        qc_of_sample(ready.catalog, "RH-KG-T9999")


def test_sex_is_inferred_from_chrx_and_a_mismatch_is_flagged(
    ready: Instance, settings: Settings, small_reference: SmallReference, tmp_path: Path
) -> None:
    r = small_reference

    def chrx_calls(gt_of: dict[int, str]) -> list[str]:
        lines = []
        for i in range(30):
            pos = X_NON_PAR_START + 200 + 37 * i
            base = r.bases("chrX", pos)
            lines.append(call("chrX", pos, base, _other(base, "ti"), gt_of.get(i % 3, "1/1"), gvcf=True))
        lines.append(block(r, "chrX", X_NON_PAR_START + 100, X_NON_PAR_START + 199))
        return lines

    specs = [
        CallFileSpec("RH-KG-T0001", chrx_calls({}), sex="female", person=1),  # one X, declared female
        CallFileSpec("RH-KG-T0002", chrx_calls({0: "0/1", 1: "0/1"}), sex="female", person=2),
        CallFileSpec("RH-KG-T0003", chrx_calls({0: "0/1"}), sex="male", person=3),  # 1/3 het: XX, declared male
    ]
    submit_calls(ready, tmp_path / "calls", specs, r)
    harmonize(ready)
    qc = {rec.submitter_sample_id: rec.qc for rec in qc_report(ready.catalog)}
    assert (qc["RH-KG-T0001"].inferred_sex, qc["RH-KG-T0001"].chrx_heterozygosity) == ("XY", 0.0)
    assert qc["RH-KG-T0001"].ploidy_sex == "XY" and qc["RH-KG-T0001"].flags == ("sex_mismatch",)
    assert qc["RH-KG-T0002"].inferred_sex == "XX" and qc["RH-KG-T0002"].chrx_heterozygosity == pytest.approx(2 / 3)
    assert qc["RH-KG-T0002"].flags == ()
    assert qc["RH-KG-T0003"].inferred_sex == "XX" and qc["RH-KG-T0003"].flags == ("sex_mismatch",)
    flagged = json.loads(run_cli(settings, "qc", "list", "--flagged", "--json"))
    assert {entry["submitter_sample_id"] for entry in flagged} == {"RH-KG-T0001", "RH-KG-T0003"}
    assert all(entry["qc"]["flags"] == ["sex_mismatch"] for entry in flagged)
    table = run_cli(settings, "qc", "list")
    assert "XY / female" in table and "3 sample(s)" in table
    shown = run_cli(settings, "qc", "show", "RH-KG-T0001")
    assert "sex_mismatch" in shown and "sex used for ploidy  XY" in shown


def test_genetic_sex_of_the_demo_cohort(harmonised_demo: HarmonisedDemo) -> None:
    """XY people (haploid on chrX in the files) are inferred XY; XX people XX, or unknown when their short chrX
    window happens to hold few heterozygous sites; the deliberate declared/genetic mismatch is flagged."""
    cohort = harmonised_demo.cohort
    (mismatch,) = cohort.sex_mismatch_sample_ids
    declared: dict[str, DeclaredSex] = {}
    for path in cohort.manifest_paths:
        manifest = parse_manifest(path)
        cprs = {i.id: i.cpr for i in manifest.individuals}
        for sample in manifest.samples:
            cpr = cprs[sample.individual]
            assert cpr is not None
            declared[sample.id] = parse_cpr(cpr.get_secret_value())[1]
    records = variant_repository.sample_qc_records(harmonised_demo.instance.db)
    assert len(records) == len(declared)
    n_xx = n_xx_inferred = 0
    for record in records:
        sex = declared[record.submitter_sample_id]
        chromosomal = "XY" if (sex is DeclaredSex.MALE) != (record.submitter_sample_id == mismatch) else "XX"
        if chromosomal == "XY":
            assert record.qc.inferred_sex == "XY", record.submitter_sample_id
        else:
            n_xx += 1
            n_xx_inferred += record.qc.inferred_sex == "XX"
            assert record.qc.inferred_sex in ("XX", "unknown")
        assert ("sex_mismatch" in record.qc.flags) == (record.submitter_sample_id == mismatch)
    assert n_xx_inferred >= 0.7 * n_xx
    flagged = json.loads(run_cli(harmonised_demo.settings, "qc", "list", "--flagged", "--json"))
    assert mismatch in {entry["submitter_sample_id"] for entry in flagged}
    assert harmonised_demo.outcome.flagged
