"""DPYD and NAT2 against PharmCAT's own test tables (needs ../shared).

``haplotype/DPYD/hapb3.tsv``: genotypes at seven DPYD positions → the report's call (per-strand diplotype for
phased or effectively phased data, otherwise a "list match") and the two alleles used for the phenotype.
``haplotype/NAT2/tests.tsv``: genotypes at NAT2's required positions, some positions missing → plausible
diplotypes and the unphased-priority pick.
"""

from __future__ import annotations

from pathlib import Path

from genomdb.pgx.calling import PgxCaller
from tests.pgx.oracles import dpyd_hapb3_cases, nat2_cases


def test_dpyd_hapb3_table(shared_dir: Path, caller: PgxCaller) -> None:
    cases = dpyd_hapb3_cases(shared_dir, caller)
    assert len(cases) >= 90
    assert [c for c in cases if not c.agrees] == []


def test_nat2_ties_and_picks(shared_dir: Path, caller: PgxCaller) -> None:
    cases = nat2_cases(shared_dir, caller)
    assert len(cases) >= 70
    assert sum(isinstance(c.expected, set) and len(c.expected) == 1 for c in cases) >= 30
    assert [c for c in cases if not c.agrees] == []
