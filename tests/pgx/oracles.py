"""PharmCAT's own answers as test oracles, read from ../shared: each case pairs PharmCAT's call with ours.

Used by the concordance tests and by ``bench/pgx.py`` (which prints the agreement per gene).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.dpyd import HAPB3
from genomdb.pgx.evidence import EvidenceState, PersonEvidence, PositionEvidence
from genomdb.pgx.vcf import read_vcf_evidence

PHARMCAT = Path("pgx-data") / "PharmGKB_PharmCAT"
RESOURCES = PHARMCAT / "src" / "test" / "resources" / "org" / "pharmgkb" / "pharmcat"
EXPECTED_CALLS = Path("pgx-data") / "derived" / "PharmCAT_static_vcf_expected_calls.tsv"


@dataclass(frozen=True)
class Case:
    source: str
    gene: str
    label: str
    expected: object
    got: object

    @property
    def agrees(self) -> bool:
        return self.expected == self.got


def static_rows(shared: Path) -> list[dict[str, str]]:
    with (shared / EXPECTED_CALLS).open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def static_vcf_cases(shared: Path, caller: PgxCaller) -> list[Case]:
    """PharmCAT's Java tests: test VCF → asserted diplotypes (default arguments: topCandidateOnly=false)."""
    cases = []
    for row in static_rows(shared):
        if row["note"] == "non-default-args":
            continue
        vcf = shared / PHARMCAT / "src" / "test" / "resources" / row["vcf_resource"]
        gene = vcf.parent.name.upper()
        got = caller.call_genes(read_vcf_evidence(vcf, data=caller.data), top_candidates_only=False)[gene]
        expected = row["expected_diplotypes(| = any of)"].split("|")
        cases.append(Case("static test VCFs", gene, row["test_method"], expected, got.diplotype_names))
    return cases


def example_cases(shared: Path, caller: PgxCaller) -> list[Case]:
    """PharmCAT's example VCFs against their .match.json: diplotypes of every gene."""
    examples = shared / PHARMCAT / "docs" / "examples"
    cases = []
    for name in ("pharmcat.example", "pharmcat.example2"):
        result = caller.call_person(read_vcf_evidence(examples / f"{name}.vcf", data=caller.data))
        for gene_call in json.loads((examples / f"{name}.match.json").read_text())["results"]:
            gene = gene_call["gene"]
            expected = [d["name"] for d in gene_call["diplotypes"]]
            cases.append(Case("example VCFs", gene, name, expected, list(result.gene(gene).diplotypes)))
    return cases


# DPYD/hapb3.tsv: columns 1–7 → (position, REF, ALT); the "non-PGx" column is an ALT the definitions do not know
HAPB3_COLUMNS = [
    (97573863, "C", "T"),  # rs56038477 exonic HapB3
    (97579893, "G", "C"),  # rs75017182 intronic HapB3
    (97883353, "G", "A"),  # rs72549310 c.61C>T
    (97082391, "T", "A"),  # rs67376798 c.2846A>T
    (97883329, "A", "G"),  # rs1801265 c.85T>C (*9A)
    (97573785, "A", "G"),  # rs186169810, undocumented ALT (definitions know A>C only)
    (97699474, "T", "C"),  # rs115232898 c.557A>G
]
HAPB3_OUTPUT_COLUMN = 17
# line 97 repeats line 96's report although its genotypes put HapB3 (exonic 1|0, intronic 1|0) on one strand only;
# the table's own "predicted phased call" column for that line agrees with genotype-based strands, not the report
HAPB3_TABLE_ERRATA = {97}


def _hapb3_expected(cell: str) -> tuple[bool, str, str]:
    """(list match?, diplotype or lookup, lookup) from the report column."""
    text = cell.strip().replace(HAPB3, "HAPB3")
    list_match = text.startswith("list match, ")
    text = text.removeprefix("list match, ")
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p and not p.startswith("w") and "normal function set to ref" not in p]
    first = parts[0].replace("HAPB3", HAPB3)
    lookup = (parts[1] if len(parts) > 1 else parts[0]).replace("HAPB3", HAPB3)
    return list_match, first, lookup


def _hapb3_evidence(cells: list[str], model_positions: list[int]) -> PersonEvidence:
    """The row's genotypes; every other DPYD position is reference with evidence (as in PharmCAT's test VCFs)."""
    positions = {}
    missing = set()
    for (pos, ref, alt), cell in zip(HAPB3_COLUMNS, cells, strict=True):
        if cell == "missing":
            missing.add(pos)
            continue
        phased = "|" in cell
        alleles = tuple((ref, alt)[int(i)] for i in cell.replace("|", "/").split("/"))
        positions[("chr1", pos)] = PositionEvidence(
            "chr1",
            pos,
            EvidenceState.CALLED,
            alleles=alleles,
            phased=phased,
            phase_set="1" if phased else None,
            vcf_ref=ref,
        )
    for pos in model_positions:
        if pos not in missing:
            positions.setdefault(("chr1", pos), PositionEvidence("chr1", pos, EvidenceState.REFERENCE))
    return PersonEvidence("hapb3", positions)


def dpyd_hapb3_cases(shared: Path, caller: PgxCaller) -> list[Case]:
    """PharmCAT's DPYD HapB3 table: the report's diplotype (or list match) and lookup diplotype per genotype row."""
    lines = (shared / RESOURCES / "haplotype" / "DPYD" / "hapb3.tsv").read_text(encoding="utf-8").splitlines()
    model = caller.models["DPYD"]
    cases = []
    for number, line in enumerate(lines[3:], start=4):
        cells = line.split("\t")
        if len(cells) <= HAPB3_OUTPUT_COLUMN or not cells[HAPB3_OUTPUT_COLUMN].strip():
            continue
        if number in HAPB3_TABLE_ERRATA:
            continue
        evidence = _hapb3_evidence(cells[:7], [locus.position for locus in model.loci])
        result = caller.call_person(evidence).gene("DPYD")
        list_match, first, lookup = _hapb3_expected(cells[HAPB3_OUTPUT_COLUMN])
        got = (
            not result.diplotypes,
            result.lookup_diplotype if list_match else (result.diplotypes or ("",))[0],
            result.lookup_diplotype,
        )
        cases.append(Case("DPYD hapb3.tsv", "DPYD", f"line {number}", (list_match, first, lookup), got))
    return cases


NAT2_GENOTYPED = ["rs1801279", "rs1801280", "rs1799930", "rs1208", "rs1799931"]


def nat2_cases(shared: Path, caller: PgxCaller) -> list[Case]:
    """PharmCAT's NAT2 table: plausible diplotypes (topCandidateOnly=false) and the unphased-priority pick."""
    model = caller.models["NAT2"]
    with (shared / RESOURCES / "haplotype" / "NAT2" / "tests.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    cases = []
    for number, row in enumerate(rows, start=2):
        missing = set(re.findall(r"rs\d+", row["Missing positions"]))
        positions = {}
        for locus in model.loci:
            if locus.rsid in missing:
                continue
            key = (locus.chromosome, locus.position)
            if locus.rsid in NAT2_GENOTYPED:
                alleles = tuple(row[locus.rsid].split("/"))
                positions[key] = PositionEvidence(
                    locus.chromosome, locus.position, EvidenceState.CALLED, alleles=alleles, vcf_ref=locus.ref
                )
            else:
                positions[key] = PositionEvidence(locus.chromosome, locus.position, EvidenceState.REFERENCE)
        got = caller.call_genes(PersonEvidence("nat2", positions), top_candidates_only=False)["NAT2"]
        output = row["Output"].strip()
        if output == "not called":
            expected: set[str] = set()
        elif row["Pick"].strip():
            expected = {row["Pick"].strip()}
        else:
            expected = {d.strip() for d in output.split(" or ")}
        cases.append(Case("NAT2 tests.tsv", "NAT2", f"line {number}", expected, set(got.diplotype_names)))
    return cases


def all_cases(shared: Path, caller: PgxCaller) -> list[Case]:
    return [
        *static_vcf_cases(shared, caller),
        *example_cases(shared, caller),
        *dpyd_hapb3_cases(shared, caller),
        *nat2_cases(shared, caller),
    ]
