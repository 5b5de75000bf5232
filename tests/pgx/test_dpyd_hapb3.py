"""DPYD against PharmCAT's HapB3 test table (``haplotype/DPYD/hapb3.tsv``, needs ../shared).

Each row gives genotypes at seven DPYD positions and the call PharmCAT's report shows: a diplotype per strand for
phased or effectively phased data, otherwise the variant list ("list match") reduced to the two lowest-function
variants used for the phenotype.
"""

from __future__ import annotations

from pathlib import Path

from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.dpyd import HAPB3
from genomdb.pgx.evidence import EvidenceState, PersonEvidence, PositionEvidence

TABLE = Path("pgx-data/PharmGKB_PharmCAT/src/test/resources/org/pharmgkb/pharmcat/haplotype/DPYD/hapb3.tsv")
# columns 1–7 of the table: rsid → (position, REF, ALT); the "non-PGx" column is an ALT the definitions do not know
COLUMNS = [
    (97573863, "C", "T"),  # rs56038477 exonic HapB3
    (97579893, "G", "C"),  # rs75017182 intronic HapB3
    (97883353, "G", "A"),  # rs72549310 c.61C>T
    (97082391, "T", "A"),  # rs67376798 c.2846A>T
    (97883329, "A", "G"),  # rs1801265 c.85T>C (*9A)
    (97573785, "A", "G"),  # rs186169810, undocumented ALT (definitions know A>C only)
    (97699474, "T", "C"),  # rs115232898 c.557A>G
]
OUTPUT_COLUMN = 17


def _expected(cell: str) -> tuple[bool, str, str]:
    """(list match?, diplotype or lookup, lookup) from the report column."""
    text = cell.strip().replace(HAPB3, "HAPB3")
    list_match = text.startswith("list match, ")
    text = text.removeprefix("list match, ")
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p and not p.startswith("w") and "normal function set to ref" not in p]
    first = parts[0].replace("HAPB3", HAPB3)
    lookup = (parts[1] if len(parts) > 1 else parts[0]).replace("HAPB3", HAPB3)
    return list_match, first, lookup


# row 97 repeats row 96's expected output although its genotypes put HapB3 (exonic 1|0, intronic 1|0) on one strand
# only; the table's own "predicted phased call" column for it agrees with genotype-based strands, not with the report
TABLE_ERRATA = {97}


def _evidence(cells: list[str], model_positions: list[int]) -> PersonEvidence:
    """The row's genotypes; every other DPYD position is reference with evidence (as in PharmCAT's test VCFs)."""
    positions = {}
    missing = set()
    for (pos, ref, alt), cell in zip(COLUMNS, cells, strict=True):
        if cell == "missing":
            missing.add(pos)
            continue
        phased = "|" in cell
        indices = [int(i) for i in cell.replace("|", "/").split("/")]
        alleles = tuple((ref, alt)[i] for i in indices)
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


def test_dpyd_hapb3_table(shared_dir: Path, caller: PgxCaller) -> None:
    lines = (shared_dir / TABLE).read_text(encoding="utf-8").splitlines()[3:]
    model = caller.models["DPYD"]
    checked = 0
    disagreements = []
    for number, line in enumerate(lines, start=4):
        cells = line.split("\t")
        if len(cells) <= OUTPUT_COLUMN or not cells[OUTPUT_COLUMN].strip():
            continue
        if number in TABLE_ERRATA:
            continue
        evidence = _evidence(cells[:7], [locus.position for locus in model.loci])
        result = caller.call_person(evidence).gene("DPYD")
        list_match, first, lookup = _expected(cells[OUTPUT_COLUMN])
        got = (
            not result.diplotypes,
            result.lookup_diplotype if list_match else (result.diplotypes or ("",))[0],
            result.lookup_diplotype,
        )
        want = (list_match, first, lookup)
        checked += 1
        if got != want:
            disagreements.append((number, cells[:7], want, got))
    for d in disagreements:
        print(d)
    assert checked >= 90
    assert disagreements == []
