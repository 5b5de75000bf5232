"""Correctness against an independent tool: the release equals ``bcftools +fill-tags`` on the same genotypes.

The simulated genotypes are written once as variant-store batches and once as a multi-sample VCF. bcftools
applies the genotype filter itself (``+setGT`` turns calls with GQ < 20 or DP < 10 into missing) and computes
AC, AN, AF, AC_Hom (= 2 × nhomalt) and AC_Hemi (= nhemi) per record, for the total and for every stratum
(``-S`` groups). Every record must match the release, including records whose carriers were all filtered out
(absent from the release, but with the same AN on the callable-AN track).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.frequency.batches import member, simulate_cohort, write_batch, write_groups, write_vcf
from tests.frequency.conftest import BuildRelease, cohort_labels

from genomdb.frequency.strata import stratum_slug

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools is not installed")


def _bcftools_counts(vcf: Path, groups: Path, *, filters: bool) -> dict[tuple[str, int, str, str], dict[str, str]]:
    tags = "AC,AN,AF,AC_Hom,AC_Hemi"
    if filters:
        masked = subprocess.run(
            ["bcftools", "+setGT", str(vcf), "--", "-t", "q", "-n", ".", "-i", "FMT/GQ<20 | FMT/DP<10"],
            check=True,
            capture_output=True,
        ).stdout
    else:
        masked = subprocess.run(["bcftools", "view", str(vcf)], check=True, capture_output=True).stdout
    filled = subprocess.run(
        ["bcftools", "+fill-tags", "-", "--", "-d", "-S", str(groups), "-t", tags],
        input=masked,
        check=True,
        capture_output=True,
    ).stdout
    queried = subprocess.run(
        ["bcftools", "query", "-f", "%CHROM\t%POS\t%REF\t%ALT\t%INFO\n", "-"],
        input=filled,
        check=True,
        capture_output=True,
    ).stdout.decode()
    result = {}
    for line in queried.splitlines():
        chrom, pos, ref, alt, info = line.split("\t")
        result[(chrom, int(pos), ref, alt)] = dict(item.split("=", 1) for item in info.split(";"))
    return result


def _coverage_an(coverage: list[dict[str, object]], chrom: str, pos: int, slug: str) -> int:
    for run in coverage:
        if run["chrom"] == chrom and int(run["start_1based"]) <= pos <= int(run["end_1based"]):  # type: ignore[call-overload]
            return int(run[f"an_{slug}"])  # type: ignore[call-overload]
    return 0


@pytest.mark.parametrize("filters", [True, False], ids=["filters-as-missing", "filters-off"])
def test_release_equals_bcftools_fill_tags(tmp_path: Path, build_release: BuildRelease, filters: bool) -> None:
    cohort = simulate_cohort(cohort_labels(36), seed=11, filters=filters)
    first = write_batch(cohort, cohort.samples[:20], tmp_path / "batches", "B1")
    second = write_batch(cohort, cohort.samples[20:], tmp_path / "batches", "B2")
    members = [member(s, "B1") for s in cohort.samples[:20]] + [member(s, "B2") for s in cohort.samples[20:]]
    release = build_release("r1", [first, second], members)

    vcf = write_vcf(cohort, cohort.samples, tmp_path / "cohort.vcf.gz")
    expected = _bcftools_counts(vcf, write_groups(cohort.samples, tmp_path / "groups.txt"), filters=filters)
    variants = {
        (r["chrom"], r["pos"], r["ref"], r["alt"]): r for r in pq.read_table(release.tables.variants).to_pylist()
    }
    coverage = pq.read_table(release.tables.coverage).to_pylist()
    strata = [s for s in pq.read_schema(release.tables.variants).names if s.startswith("ac_")]
    slugs = [name.removeprefix("ac_") for name in strata]
    assert "XY" in slugs and "platform_PACBIO" in slugs

    half_missing_sites = {
        (cohort.sites[i].chrom, cohort.sites[i].pos)
        for s in cohort.samples
        for i, (alleles, _, _) in s.genotypes.items()
        if None in alleles
    }
    n_hemi_checked = n_absent = 0
    for key, info in expected.items():
        row = variants.get(key)
        for slug in slugs:
            suffix = "" if slug == "all" else f"_{slug}"
            ac, an = int(info[f"AC{suffix}"]), int(info[f"AN{suffix}"])
            if row is None:
                assert ac == 0 or slug != "all", (key, slug)
                assert _coverage_an(coverage, key[0], key[1], slug) == an, (key, slug)
                continue
            assert (row[f"ac_{slug}"], row[f"an_{slug}"]) == (ac, an), (key, slug)
            assert 2 * row[f"nhomalt_{slug}"] == int(info[f"AC_Hom{suffix}"]), (key, slug)
            if an:
                assert row[f"af_{slug}"] == pytest.approx(float(info[f"AF{suffix}"]), abs=5e-7), (key, slug)
            if (key[0], key[1]) not in half_missing_sites:
                assert row[f"nhemi_{slug}"] == int(info[f"AC_Hemi{suffix}"]), (key, slug)
                n_hemi_checked += 1
        n_absent += row is None
    assert set(variants) <= set(expected)
    assert sum(r["nhemi_all"] for r in variants.values()) > 0
    assert n_hemi_checked > 0
    if filters:
        assert n_absent > 0, "some records should have lost every carrier to the genotype filter"


def test_strata_sum_to_total(tmp_path: Path, build_release: BuildRelease) -> None:
    cohort = simulate_cohort(cohort_labels(24), seed=3)
    batch = write_batch(cohort, cohort.samples, tmp_path / "batches", "B1")
    release = build_release("r1", [batch], [member(s, "B1") for s in cohort.samples])
    for row in pq.read_table(release.tables.variants).to_pylist():
        for metric in ("ac", "an", "nhomalt", "nhemi"):
            regions = sum(v for k, v in row.items() if k.startswith(f"{metric}_region_"))
            platforms = sum(v for k, v in row.items() if k.startswith(f"{metric}_platform_"))
            assert regions == platforms == row[f"{metric}_all"]
            assert row[f"{metric}_XX"] + row[f"{metric}_XY"] <= row[f"{metric}_all"]
    assert stratum_slug("region:RH") == "region_RH"
