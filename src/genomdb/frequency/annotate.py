"""Annotate a VCF with a release's frequencies, streaming, through the disclosure engine.

Adds ``GDB_AC``, ``GDB_AN``, ``GDB_AF``, ``GDB_nhomalt`` and ``GDB_FAF95`` (per ALT where it applies) with header
lines naming the release and tier. Records are matched on ``chrom-pos-ref-alt`` as written, so the input is
expected normalised like the release (left-aligned, trimmed; ``bcftools norm -f REF -m-`` does both); a
multi-allelic record is looked up one ALT at a time. Symbolic ALTs, contigs outside GRCh38's primary assembly and
suppressed counts get missing values (``.``). Existing ``GDB_*`` fields and their header lines are replaced.
Records are streamed as text (only CHROM, POS, REF, ALT and INFO are read), so memory stays flat and every
other column passes through unchanged.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import pysam

from genomdb.errors import InvalidInput, Problem
from genomdb.frequency.disclosure import Tier, policy_for
from genomdb.frequency.keys import VariantKey
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.records import FrequencyStatus, VariantFrequency
from genomdb.refdata.builds import get_build

INFO_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("GDB_AC", "A", "Integer", "Alternate allele count"),
    ("GDB_AN", "1", "Integer", "Allele number: callable alleles at the position"),
    ("GDB_AF", "A", "Float", "Alternate allele frequency"),
    ("GDB_nhomalt", "A", "Integer", "Individuals homozygous for the alternate allele"),
    ("GDB_FAF95", "A", "Float", "Filtering allele frequency (lower bound of the 95% Poisson CI of AC, / AN)"),
)
_DNA = frozenset("ACGTN")
_OURS = frozenset(name for name, *_ in INFO_FIELDS)


@dataclass(frozen=True, slots=True)
class AnnotationReport:
    """What an annotation run wrote: records, alleles by status, and the output path."""

    output: Path
    release_id: str
    tier: str
    n_records: int
    n_alleles: int
    by_status: dict[str, int]


def _header_lines(release_id: str, tier: str) -> list[str]:
    lines = [f"##genomdb_frequency_release=<ID={release_id},tier={tier}>"]
    for name, number, kind, description in INFO_FIELDS:
        text = f"{description}, genomdb frequency release {release_id}, tier {tier}"
        lines.append(f'##INFO=<ID={name},Number={number},Type={kind},Description="{text}">')
    return lines


def _is_ours(line: str) -> bool:
    if line.startswith("##genomdb_frequency_release="):
        return True
    return line.startswith("##INFO=<ID=") and line[11:].split(",", 1)[0] in _OURS


def _lookup(
    database: FrequencyDatabase, chrom: str | None, pos: int, ref: str, alt: str, tier: str
) -> VariantFrequency | None:
    if chrom is None or not set(ref) <= _DNA or not set(alt) <= _DNA or not alt or ref == alt:
        return None
    return database.lookup_variant(VariantKey(chrom, pos, ref, alt), tier)


def _format(value: int | float | None) -> str:
    if value is None:
        return "."
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _info_items(found: list[VariantFrequency | None]) -> list[str]:
    covered = [f for f in found if f is not None and f.status is not FrequencyStatus.NOT_COVERED]
    totals = [f.total if f is not None and f in covered else None for f in found]
    items: list[str] = []
    if covered and covered[0].total.allele_number is not None:
        items.append(f"GDB_AN={covered[0].total.allele_number}")
    columns: dict[str, list[int | float | None]] = {
        "GDB_AC": [t.allele_count if t else None for t in totals],
        "GDB_AF": [t.allele_frequency if t else None for t in totals],
        "GDB_nhomalt": [t.n_homalt if t else None for t in totals],
        "GDB_FAF95": [t.faf95 if t else None for t in totals],
    }
    for name, values in columns.items():
        if any(v is not None for v in values):
            items.append(f"{name}={','.join(_format(v) for v in values)}")
    return items


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def annotate_vcf(
    database: FrequencyDatabase,
    source: Path,
    target: Path,
    *,
    tier: Tier | str = Tier.PUBLIC,
    index: bool = True,
) -> AnnotationReport:
    """Copy ``source`` (VCF, plain or gzip/bgzip) to ``target`` with the GDB_* fields, one record at a time.

    ``target`` is bgzipped and tabix-indexed when its name ends in ``.gz``.
    """
    policy = policy_for(tier)
    tier_name = policy.tier.value
    if not source.exists():
        raise InvalidInput(f"no such VCF: {source}", [Problem(str(source), "file not found")])
    if target.resolve() == source.resolve():
        raise InvalidInput("annotate writes a new file", [Problem(str(target), "output is the input file")])
    build = get_build("GRCh38")
    statuses: Counter[str] = Counter()
    n_records = 0
    compressed = target.name.endswith(".gz")
    sink = cast(IO[bytes], pysam.BGZFile(str(target), "wb", index=None) if compressed else target.open("wb"))
    try:
        with _open_text(source) as reader, sink:
            first = reader.readline()
            if not first.startswith("##fileformat=VCF"):
                raise InvalidInput(
                    f"{source} is not a VCF",
                    [Problem(str(source), "missing ##fileformat line", "line 1", expected="##fileformat=VCFv4.x")],
                )
            sink.write(first.encode())
            for number, line in enumerate(reader, start=2):
                if line.startswith("##"):
                    if not _is_ours(line):
                        sink.write(line.encode())
                    continue
                if line.startswith("#"):
                    sink.write(("\n".join(_header_lines(database.release_id, tier_name)) + "\n" + line).encode())
                    continue
                fields = line.rstrip("\n").split("\t")
                if len(fields) < 8 or not fields[1].isdigit():
                    raise InvalidInput(
                        f"{source} has a malformed record",
                        [Problem(str(source), "malformed VCF record", f"line {number}", expected="8 or more columns")],
                    )
                n_records += 1
                contig = build.contig(fields[0])
                chrom = contig.name if contig is not None else None
                ref = fields[3].upper()
                found = [
                    _lookup(database, chrom, int(fields[1]), ref, alt.upper(), tier_name)
                    for alt in fields[4].split(",")
                ]
                for item in found:
                    statuses[item.status.value if item else "not_looked_up"] += 1
                kept = [i for i in fields[7].split(";") if i and i != "." and i.split("=", 1)[0] not in _OURS]
                info = kept + _info_items(found)
                fields[7] = ";".join(info) if info else "."
                sink.write(("\t".join(fields) + "\n").encode())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if compressed and index:
        pysam.tabix_index(str(target), preset="vcf", force=True)
    return AnnotationReport(target, database.release_id, tier_name, n_records, sum(statuses.values()), dict(statuses))
