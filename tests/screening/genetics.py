"""Shared pieces of the genotype-based screening tests: a small demo cohort harmonised once per session, scoring
files generated from its variants, and the peer tool (plink2) run on our PLINK export."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from genomdb.access.records import Actor, Role
from genomdb.access.users import add_user
from genomdb.config import Settings
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.load import load_demo
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance, init_instance
from genomdb.screening.kinship import read_genotypes
from genomdb.screening.plink import write_bed
from genomdb.screening.prs import PrsResult, used_variants
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore, connect_duckdb
from tests.conftest import IN_CI

DEMO_INDIVIDUALS = 40
"""Smallest demo cohort with several trios and sibling pairs (4 trios, 2 pairs at the demo's shares) whose
common SNVs (about 570 in three 300 kb regions) separate first-degree relatives from unrelated people."""
DEMO_REGION_BP = 300_000
DEMO_SEED = 31

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def need_plink2() -> str:
    """plink2's path; its absence skips locally and fails in CI."""
    found = shutil.which("plink2")
    if found is None:
        if IN_CI:
            pytest.fail("plink2 is required in CI (apt-get install plink2)")
        pytest.skip("plink2 is not installed (apt-get install plink2)")
    return found


def run_plink2(*args: str) -> None:
    subprocess.run([need_plink2(), "--threads", "1", *args], check=True, capture_output=True, text=True)


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="ascii") as handle:
        lines = [line.lstrip("#") for line in handle]
    return list(csv.DictReader(lines, delimiter="\t"))


def plink2_scores(
    store: VariantStore, samples: Sequence[CohortSample], result: PrsResult, out: Path
) -> dict[str, float]:
    """``plink2 --score … no-mean-imputation`` on a .bed of the variants a genomdb score used, with the same effect
    alleles and weights: score sums by sample key (missing genotypes count 0 on both sides)."""
    matrix = read_genotypes(store, samples, used_variants(result.matches))
    write_bed(matrix, out / "scored")
    used = [m for m in result.matches if m.used]
    lines = ["ID\tALLELE\tWEIGHT"]
    for variant_id, match in zip(matrix.site_ids(), used, strict=True):
        _, _, ref, alt = variant_id.split(":")
        lines.append(f"{variant_id}\t{alt if match.effect_is_alt else ref}\t{match.variant.effect_weight!r}")
    (out / "weights.tsv").write_text("\n".join(lines) + "\n")
    run_plink2(
        "--bfile", str(out / "scored"),
        "--score", str(out / "weights.tsv"), "1", "2", "3", "header", "cols=+scoresums", "no-mean-imputation",
        "--out", str(out / "scored"),
    )  # fmt: skip
    return {row["IID"]: float(row["SCORE1_SUM"]) for row in read_table(out / "scored.sscore")}


def scoring_file_text(
    rows: Iterable[tuple[str, int, str, str | None, float]],
    *,
    build_line: str = "#HmPOS_build=GRCh38",
    columns: Sequence[str] = ("hm_chr", "hm_pos", "effect_allele", "other_allele", "effect_weight"),
) -> str:
    """A PGS Catalog format 2.0 scoring file: rows are (chrom without 'chr', pos, effect, other, weight)."""
    header = [
        "###PGS CATALOG SCORING FILE - see https://www.pgscatalog.org/downloads/#dl_ftp_scoring",
        "#format_version=2.0",
        "##POLYGENIC SCORE (PGS) INFORMATION",
        "#pgs_id=PGS900001",
        "#pgs_name=GENOMDB_TEST",
        "#trait_reported=Breast cancer",
        "#genome_build=GRCh38",
        "##HARMONIZATION DETAILS",
        build_line,
        "#HmPOS_date=2026-12-01",
    ]
    all_columns = ["chr_name", "chr_position", *columns]
    lines = [*header, "\t".join(all_columns)]
    for chrom, pos, effect, other, weight in rows:
        values = {
            "chr_name": chrom,
            "chr_position": str(pos),
            "hm_chr": chrom,
            "hm_pos": str(pos),
            "effect_allele": effect,
            "other_allele": other or "",
            "effect_weight": repr(weight),
        }
        lines.append("\t".join(values[c] for c in all_columns))
    return "\n".join(lines) + "\n"


def complement(allele: str) -> str:
    return allele.translate(_COMPLEMENT)


def random_weights(n: int, seed: int) -> list[float]:
    """Small weights, so that scores stay below 1 in magnitude (plink2 prints 6 significant digits)."""
    return [round(float(w), 6) for w in np.random.default_rng(seed).normal(0, 0.01, n)]


# --- the harmonised demo cohort ------------------------------------------------------------------------------

_COHORTS: dict[str, DemoCohort] = {}


def demo_cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    """The demo cohort's files, generated once per test session (shared by the modules that use it)."""
    if "cohort" not in _COHORTS:
        _COHORTS["cohort"] = generate_demo(
            tmp_path_factory.mktemp("genetics-demo"),
            n_individuals=DEMO_INDIVIDUALS,
            seed=DEMO_SEED,
            region_length_bp=DEMO_REGION_BP,
            n_read_samples=0,
        )
    return _COHORTS["cohort"]


@contextmanager
def harmonised_instance(
    tmp_path_factory: pytest.TempPathFactory, cohort: DemoCohort, *, database_url: str | None = None
) -> Iterator[Instance]:
    """A new instance with the demo cohort submitted through data-in and harmonised, with a steward and a
    clinician (``steward``, ``clin-rh``)."""
    settings = Settings(
        home=tmp_path_factory.mktemp("genetics-home") / "home", database_url=database_url, gc_grace_seconds=0
    )
    init_instance(settings)
    with Instance.open(settings) as instance:
        load_demo(instance, cohort)
        harmonize(instance)
        add_user(instance, None, "admin", role=Role.ADMIN, department=None)
        admin = Actor("admin", Role.ADMIN)
        add_user(instance, admin, "steward", role=Role.STEWARD, department=None)
        add_user(instance, admin, "clin-rh", role=Role.CLINICIAN, department="RH-KG")
        yield instance


def snv_keys(instance: Instance) -> list[tuple[str, int, str, str]]:
    """Every distinct biallelic-looking SNV (chrom, pos, ref, alt) in the instance's calls, sorted."""
    store = VariantStore.of(instance)
    con = connect_duckdb(threads=1)
    try:
        rows = con.execute(
            f"SELECT chrom, pos, ref, alt FROM read_parquet({store.calls_glob()!r}, hive_partitioning = true) "
            "WHERE length(ref) = 1 AND length(alt) = 1 GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return [(str(c), int(p), str(r), str(a)) for c, p, r, a in rows]


def run_genomdb(instance: Instance, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point on the instance (its home and catalogue), as a user runs it."""
    home = instance.settings.resolved_home()
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "--home", str(home), *args]
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("GENOMDB_USER", None)
    if instance.settings.database_url:
        env["GENOMDB_DATABASE_URL"] = instance.settings.database_url
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
