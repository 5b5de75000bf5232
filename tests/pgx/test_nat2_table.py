"""NAT2 against PharmCAT's table of unphased ties and picks (``haplotype/NAT2/tests.tsv``, needs ../shared).

Each row: genotypes at NAT2's five required positions, every other position reference except the listed missing
ones; the diplotypes PharmCAT finds and, for known ties, the one its unphased priorities pick.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.evidence import EvidenceState, PersonEvidence, PositionEvidence

TABLE = Path("pgx-data/PharmGKB_PharmCAT/src/test/resources/org/pharmgkb/pharmcat/haplotype/NAT2/tests.tsv")
GENOTYPED = ["rs1801279", "rs1801280", "rs1799930", "rs1208", "rs1799931"]


def test_nat2_ties_and_picks(shared_dir: Path, caller: PgxCaller) -> None:
    model = caller.models["NAT2"]
    by_rsid = {locus.rsid: locus for locus in model.loci}
    with (shared_dir / TABLE).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) >= 70
    disagreements = []
    for number, row in enumerate(rows, start=2):
        missing = set()
        if row["Missing positions"] != "none":
            missing = set(re.findall(r"rs\d+", row["Missing positions"]))
        positions = {}
        for locus in model.loci:
            if locus.rsid in missing:
                continue
            if locus.rsid in GENOTYPED:
                alleles = tuple(row[locus.rsid].split("/"))
                positions[(locus.chromosome, locus.position)] = PositionEvidence(
                    locus.chromosome, locus.position, EvidenceState.CALLED, alleles=alleles, vcf_ref=locus.ref
                )
            else:
                positions[(locus.chromosome, locus.position)] = PositionEvidence(
                    locus.chromosome, locus.position, EvidenceState.REFERENCE
                )
        assert {by_rsid[rsid].position for rsid in missing} <= {locus.position for locus in model.loci}
        # the table lists every plausible diplotype (PharmCAT's tests run with topCandidateOnly=false)
        evidence = PersonEvidence("nat2", positions)
        got = caller.call_genes(evidence, top_candidates_only=False)["NAT2"].diplotype_names
        output = row["Output"].strip()
        if output == "not called":
            want: set[str] = set()
        elif row["Pick"].strip():
            want = {row["Pick"].strip()}
        else:
            want = {d.strip() for d in output.split(" or ")}
        if set(got) != want:
            disagreements.append((number, row["Missing positions"], output, row["Pick"], got))
    for d in disagreements:
        print(d)
    assert disagreements == []
