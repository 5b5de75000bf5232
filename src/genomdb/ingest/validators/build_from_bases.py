"""Which build a VCF is on when its header does not say: its REF bases against the installed reference FASTAs.

1000 Genomes-style VCFs declare ``##contig=<ID=1>`` without a length, so the contig-length check has nothing to
compare. The record walk keeps an evenly spread sample of records (``RefSample``); their REF alleles are looked
up in the instance's FASTA of the declared build and of every other installed build. A file whose REF bases do
not agree with the declared build is refused with the agreement found for each build; with no FASTA of the
declared build installed, the file is refused saying so, rather than accepted on a guess.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import pysam

from genomdb.errors import Problem
from genomdb.ingest.validators.base import FileExpectation, FileReport
from genomdb.refdata import canonical_contig_name

SAMPLE_SIZE = 200
AGREEMENT_NEEDED = 0.95
"""Fraction of sampled REF alleles that must match the declared build (a few may sit on patched bases)."""
_PLAIN_BASES = frozenset(b"ACGTacgt")


class RefSample:
    """An evenly spread, deterministic sample of (chrom, pos, ref) over the records of a file.

    Record ``i`` (0-based) is kept when ``i % stride == 0``; whenever twice ``SAMPLE_SIZE`` records are held,
    the stride doubles and every other one is dropped, so the sample covers the whole file whatever its length.
    """

    def __init__(self) -> None:
        self.stride = 1
        self.records: list[tuple[int, bytes, int, bytes]] = []

    def feed(self, lines: Sequence[bytes], first_index: int) -> None:
        """Offer a block of record lines; ``first_index`` is the 0-based record number of ``lines[0]``."""
        offset = (-first_index) % self.stride
        while offset < len(lines):
            index = first_index + offset
            fields = lines[offset].split(b"\t", 4)
            if len(fields) >= 4 and fields[3] and set(fields[3]) <= _PLAIN_BASES and fields[1].isdigit():
                self.records.append((index, fields[0], int(fields[1]), fields[3]))
                if len(self.records) >= 2 * SAMPLE_SIZE:
                    self.stride *= 2
                    self.records = [r for r in self.records if r[0] % self.stride == 0]
            offset = (index // self.stride + 1) * self.stride - first_index

    def sample(self) -> list[tuple[str, int, str]]:
        return [(c.decode("ascii", "replace"), p, r.decode("ascii").upper()) for _, c, p, r in self.records]


def _fasta_name(fasta: pysam.FastaFile, chrom: str) -> str | None:
    if chrom in fasta.references:
        return chrom
    key = canonical_contig_name(chrom)
    for name in fasta.references:
        if canonical_contig_name(name) == key:
            return name
    return None


def agreement(fasta_path: Path, sample: Sequence[tuple[str, int, str]]) -> tuple[int, int]:
    """(REF alleles equal to the FASTA, REF alleles whose contig the FASTA has) over the sample."""
    n_match = n_checked = 0
    with contextlib.closing(pysam.FastaFile(str(fasta_path))) as fasta:
        names: dict[str, str | None] = {}
        for chrom, pos, ref in sample:
            if chrom not in names:
                names[chrom] = _fasta_name(fasta, chrom)
            name = names[chrom]
            if name is None:
                continue
            n_checked += 1
            if fasta.fetch(name, pos - 1, pos - 1 + len(ref)).upper() == ref:
                n_match += 1
    return n_match, n_checked


def check_build_from_bases(report: FileReport, expectation: FileExpectation, sample: RefSample) -> None:
    """Refuse a file whose sampled REF bases disagree with its declared build (see the module docstring)."""
    declared = expectation.reference_build
    name = expectation.display_name
    if declared is None:
        return
    records = sample.sample()
    if not records:
        return
    if expectation.reference_fasta is None:
        report.add(
            Problem(
                name,
                f"the ##contig lines give no lengths, so the build can only be checked against the reference "
                f"sequence, and this instance has no {declared} reference installed",
                location="header",
                field="##contig",
                expected=f"##contig lines with length=…, or a {declared} reference "
                f"(`genomdb reference add {declared} FILE.fa.gz`)",
                found="contigs without lengths",
            )
        )
        return
    results: dict[str, tuple[int, int]] = {}
    for build, fasta in ((declared, expectation.reference_fasta), *expectation.other_references):
        try:
            results[build] = agreement(fasta, records)
        except (OSError, ValueError) as exc:
            report.add(Problem(name, f"the {build} reference cannot be read: {exc}", location="reference"))
            return
    n_match, n_checked = results[declared]
    if n_checked and n_match >= AGREEMENT_NEEDED * n_checked:
        return
    found = "; ".join(f"{build}: {m} of {c}" for build, (m, c) in results.items())
    better = [b for b, (m, c) in results.items() if b != declared and c and m >= AGREEMENT_NEEDED * c]
    verdict = f"; this looks like {better[0]}" if better else "; it matches no installed reference"
    if not n_checked:
        message = f"none of the sampled records' contigs is in the {declared} reference{verdict}"
    else:
        message = f"REF alleles do not match the declared {declared} reference{verdict}"
    report.add(
        Problem(
            name,
            message,
            location=f"{len(records)} records sampled across the file",
            field="REF",
            expected=f"at least {AGREEMENT_NEEDED:.0%} of sampled REF alleles equal to {declared}",
            found=f"REF alleles matching each installed reference: {found}",
        )
    )
