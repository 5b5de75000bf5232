"""Shared pieces of the genotype-based screening tests: a small demo cohort harmonised once per session, scoring
files generated from its variants, and the peer tool (plink2) run on our PLINK export."""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest

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
