"""Fixtures of the PGx tests: one caller over the packaged data, VCF writers for generated persons."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from genomdb.pgx.calling import PgxCaller

VcfWriter = Callable[..., Path]

HEADER = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=chr1,length=248956422>
##contig=<ID=chr2,length=242193529>
##contig=<ID=chr6,length=170805979>
##contig=<ID=chr10,length=133797422>
##contig=<ID=chrX,length=156040895>
##INFO=<ID=END,Number=1,Type=Integer,Description="End of a reference block">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">
"""


@pytest.fixture(scope="session")
def caller() -> PgxCaller:
    return PgxCaller.load()


@pytest.fixture
def write_vcf(tmp_path: Path) -> VcfWriter:
    """Write a small VCF: rows are (chrom, pos, ref, alt, info, format, *samples) tuples."""

    def write(
        rows: Iterable[tuple[str, ...]],
        *,
        samples: tuple[str, ...] = ("PERSON1",),
        header: str = HEADER,
        name: str = "x.vcf",
    ) -> Path:
        path = tmp_path / name
        lines = [
            header.rstrip("\n"),
            "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]),
        ]
        for chrom, pos, ref, alt, info, fmt, *values in rows:
            lines.append("\t".join([chrom, pos, ".", ref, alt, ".", "PASS", info, fmt, *values]))
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


def allele_at(caller: PgxCaller, gene: str, name: str, position: int) -> str:
    """The concrete allele a named allele has at a position (the reference one where its cell is blank)."""
    model = caller.models[gene]
    index = model.index_of[position]
    haplotype = next(h for h in model.haplotypes if h.name == name)
    allowed = haplotype.special.get(index)
    if allowed is None:
        return model.reference_alleles[index]
    return sorted(allowed - {model.reference_alleles[index]} or allowed)[0]


def person_rows(
    caller: PgxCaller,
    gene: str,
    strand1: str,
    strand2: str,
    *,
    phased: bool = False,
    phase_sets: dict[int, int] | None = None,
    only_variant_positions: bool = False,
) -> list[tuple[str, ...]]:
    """VCF rows of a person carrying two named alleles at every defining position of a gene."""
    model = caller.models[gene]
    rows: list[tuple[str, ...]] = []
    for locus in model.loci:
        first = allele_at(caller, gene, strand1, locus.position)
        second = allele_at(caller, gene, strand2, locus.position)
        if only_variant_positions and first == second == locus.ref:
            continue
        alts = [a for a in dict.fromkeys((first, second)) if a != locus.ref]
        alleles = [locus.ref, *alts]
        sep = "|" if phased else "/"
        gt = f"{alleles.index(first)}{sep}{alleles.index(second)}"
        fmt, value = "GT", gt
        if phase_sets and locus.position in phase_sets:
            fmt, value = "GT:PS", f"{gt}:{phase_sets[locus.position]}"
        rows.append((locus.chromosome, str(locus.position), locus.ref, ",".join(alts) or ".", ".", fmt, value))
    return rows


def run_genomdb(*args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, so that errors map to exit codes as a user sees them."""
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
