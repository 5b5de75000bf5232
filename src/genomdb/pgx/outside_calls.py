"""Outside calls in PharmCAT's TSV format: gene, diplotype, phenotype, activity score (one gene per line).

Calls from elsewhere (CYP2D6 from a dedicated caller, HLA typing, MT-RNR1) come in this way and override the matcher.
Every bad line is reported with its number and field; a file with any bad line is refused as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from genomdb.errors import InvalidInput, Problem

_SCORE = re.compile(r"^≥?\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class OutsideCall:
    gene: str
    diplotype: str | None
    phenotype: str | None
    activity_score: str | None
    line: int


def parse_outside_calls(path: Path, *, known_genes: set[str] | frozenset[str]) -> dict[str, OutsideCall]:
    """Read an outside-call TSV; refuse unknown genes, gene-prefixed alleles, duplicates and empty calls."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidInput(f"outside-call file not found: {path}", [Problem(str(path), "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"outside-call file is not UTF-8: {path}", [Problem(str(path), str(exc), expected="UTF-8 text")]
        ) from exc
    calls: dict[str, OutsideCall] = {}
    problems: list[Problem] = []
    name = str(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        where = f"line {number}"
        if len(fields) > 4:
            problems.append(
                Problem(
                    name,
                    "too many columns",
                    location=where,
                    expected="at most 4 tab-separated fields",
                    found=str(len(fields)),
                )
            )
            continue
        fields += [""] * (4 - len(fields))
        gene, diplotype, phenotype, score = fields
        if not gene:
            problems.append(Problem(name, "gene symbol missing", location=where, field="gene"))
            continue
        if gene not in known_genes:
            problems.append(
                Problem(
                    name,
                    "unknown gene",
                    location=where,
                    field="gene",
                    expected="a gene PharmCAT reports (e.g. CYP2D6, HLA-A, HLA-B, MT-RNR1)",
                    found=gene,
                )
            )
            continue
        if not (diplotype or phenotype or score):
            problems.append(
                Problem(
                    name,
                    "no call given",
                    location=where,
                    field="diplotype/phenotype/activity score",
                    expected="at least one of columns 2–4",
                )
            )
            continue
        if diplotype:
            alleles = diplotype.split("/")
            if len(alleles) > 2 or any(not allele.strip() for allele in alleles):
                problems.append(
                    Problem(
                        name,
                        "malformed diplotype",
                        location=where,
                        field="diplotype",
                        expected="ALLELE or ALLELE1/ALLELE2",
                        found=diplotype,
                    )
                )
                continue
            if any(allele.strip().upper().startswith(gene.upper()) for allele in alleles):
                problems.append(
                    Problem(
                        name,
                        "allele names must not repeat the gene symbol",
                        location=where,
                        field="diplotype",
                        expected="e.g. *1/*3",
                        found=diplotype,
                    )
                )
                continue
        if score and not _SCORE.match(score):
            problems.append(
                Problem(
                    name,
                    "activity score is not a number",
                    location=where,
                    field="activity score",
                    expected="e.g. 1.0 or ≥3.0",
                    found=score,
                )
            )
            continue
        if gene in calls:
            problems.append(
                Problem(
                    name,
                    "gene given twice",
                    location=where,
                    field="gene",
                    expected="one line per gene",
                    found=f"{gene} (first on line {calls[gene].line})",
                )
            )
            continue
        calls[gene] = OutsideCall(gene, diplotype or None, phenotype or None, score or None, number)
    if problems:
        raise InvalidInput(f"malformed outside-call file {path}", problems)
    return calls
