"""Exact slices of alignment (CRAM/BAM) and variant (VCF/gVCF) files, optionally relabelled for research.

A slice holds exactly the records overlapping the wanted regions (each once, in coordinate order), gets its own
index, and keeps the source's format. Relabelling replaces the sample's name by its project id and drops header
lines that could carry clinical identifiers (read-group details, command lines, comments, file paths).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam

from genomdb.access.records import GenomicInterval, merge_intervals

_TBI_MAX_CONTIG = (1 << 29) - 1
_VCF_CONTIG = re.compile(r"^##contig=<ID=([^,>]+)(?:,.*length=(\d+))?")


@dataclass(frozen=True, slots=True)
class Relabel:
    """How a research copy names its sample(s), and which clinical strings must not survive in its header."""

    sample_names: dict[str, str]
    """Submitted sample id (as in @RG SM / the VCF column) → project sample id."""
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Slice:
    path: Path
    index_path: Path
    n_records: int


def _ordered(intervals: Sequence[GenomicInterval], contig_order: Sequence[str]) -> list[GenomicInterval]:
    rank = {name: i for i, name in enumerate(contig_order)}
    return sorted(
        (i for i in merge_intervals(intervals) if i.chrom in rank), key=lambda i: (rank[i.chrom], i.start_1based)
    )


def _research_alignment_header(header: dict[str, Any], relabel: Relabel) -> tuple[dict[str, Any], dict[str, str]]:
    new: dict[str, Any] = {"HD": header.get("HD", {"VN": "1.6", "SO": "coordinate"})}
    if "SQ" in header:
        new["SQ"] = [{k: v for k, v in sq.items() if k in ("SN", "LN", "M5", "AS")} for sq in header["SQ"]]
    read_groups = {}
    groups = []
    libraries: dict[str, str] = {}
    for number, group in enumerate(header.get("RG", []), start=1):
        sample = relabel.sample_names.get(group.get("SM", ""), next(iter(relabel.sample_names.values())))
        new_id = f"{sample}.rg{number}"
        read_groups[group["ID"]] = new_id
        entry = {"ID": new_id, "SM": sample}
        if "LB" in group:
            entry["LB"] = libraries.setdefault(group["LB"], f"{sample}.lib{len(libraries) + 1}")
        entry.update({k: group[k] for k in ("PL", "PM") if k in group})
        groups.append(entry)
    if groups:
        new["RG"] = groups
    programs = [{k: v for k, v in pg.items() if k in ("ID", "PN", "VN", "PP")} for pg in header.get("PG", [])]
    if programs:
        new["PG"] = programs
    return new, read_groups


def slice_alignments(
    source: Path,
    target: Path,
    *,
    index: Path | None,
    intervals: Sequence[GenomicInterval] | None,
    reference: Path | None,
    relabel: Relabel | None = None,
) -> Slice:
    """Write the records of a CRAM/BAM overlapping ``intervals`` (all records when None) to ``target``, indexed."""
    is_cram = source.suffix == ".cram" or target.suffix == ".cram"
    if relabel is None and intervals is not None:
        return _samtools_slice(source, target, index=index, intervals=intervals, reference=reference, is_cram=is_cram)
    read_mode, write_mode = ("rc", "wc") if is_cram else ("rb", "wb")
    options: dict[str, Any] = {}
    if reference is not None:
        options["reference_filename"] = str(reference)
    with pysam.AlignmentFile(
        str(source), read_mode, index_filename=str(index) if index else None, **options
    ) as alignments:
        header = alignments.header.to_dict()
        read_groups: dict[str, str] = {}
        if relabel is not None:
            header, read_groups = _research_alignment_header(header, relabel)
        n_records = 0
        with pysam.AlignmentFile(
            str(target), write_mode, header=pysam.AlignmentHeader.from_dict(header), **options
        ) as out:
            for read in _overlapping_reads(alignments, intervals):
                if read_groups and read.has_tag("RG"):
                    read.set_tag("RG", read_groups.get(str(read.get_tag("RG")), str(read.get_tag("RG"))))
                out.write(read)
                n_records += 1
    pysam.index(str(target))
    return Slice(target, Path(f"{target}.{'crai' if is_cram else 'bai'}"), n_records)


def _samtools_slice(
    source: Path,
    target: Path,
    *,
    index: Path | None,
    intervals: Sequence[GenomicInterval],
    reference: Path | None,
    is_cram: bool,
) -> Slice:
    """A slice without relabelling, by htslib's multi-region iterator (``samtools view -M``): each read once."""
    with pysam.AlignmentFile(
        str(source),
        "rc" if is_cram else "rb",
        index_filename=str(index) if index else None,
        reference_filename=str(reference) if reference else None,
    ) as alignments:
        contigs = list(alignments.references)
    regions = [str(i) for i in _ordered(intervals, contigs)]
    arguments = ["-M", "-h", "-C" if is_cram else "-b", "-o", str(target)]
    if reference is not None:
        arguments += ["-T", str(reference)]
    if index is not None:
        arguments += ["-X", str(source), str(index)]
    else:
        arguments.append(str(source))
    pysam.samtools.view(*arguments, *regions, catch_stdout=False)
    pysam.index(str(target))
    counted = pysam.samtools.view("-c", *(["-T", str(reference)] if reference else []), str(target))
    n_records = int((counted if isinstance(counted, str) else "".join(counted)).strip())
    return Slice(target, Path(f"{target}.{'crai' if is_cram else 'bai'}"), n_records)


def _overlapping_reads(
    alignments: pysam.AlignmentFile, intervals: Sequence[GenomicInterval] | None
) -> Iterator[pysam.AlignedSegment]:
    if intervals is None:
        yield from alignments.fetch(until_eof=True)
        return
    previous: GenomicInterval | None = None
    for interval in _ordered(intervals, alignments.references):
        for read in alignments.fetch(interval.chrom, interval.start_0based, interval.end_0based_exclusive):
            # a read overlapping the previous interval on this contig was written with it already
            if previous is not None and previous.chrom == interval.chrom and read.reference_start < previous.end_1based:
                continue
            yield read
        previous = interval


def _vcf_header(lines: Sequence[str], relabel: Relabel | None) -> list[str]:
    if relabel is None:
        return list(lines)
    kept = []
    for line in lines:
        if line.startswith("#CHROM"):
            columns = line.split("\t")
            kept.append("\t".join(columns[:9] + [relabel.sample_names.get(c, c) for c in columns[9:]]))
            continue
        key = line[2:].split("=", 1)[0].lower()
        if "command" in key or key in ("reference", "sample", "pedigree") or any(h in line for h in relabel.hidden):
            continue
        kept.append(line)
    return kept


def slice_variants(
    source: Path,
    target: Path,
    *,
    index: Path | None,
    intervals: Sequence[GenomicInterval] | None,
    relabel: Relabel | None = None,
) -> Slice:
    """Write the records of a bgzipped VCF/gVCF overlapping ``intervals`` (all when None) to ``target``, indexed.

    Overlap is that of the tabix index (a gVCF block overlaps through its END), as ``bcftools view -r``.
    """
    with pysam.TabixFile(str(source), index=str(index) if index else None) as tabix:
        header = _vcf_header(list(tabix.header), relabel)
        contig_lengths = {m.group(1): int(m.group(2) or 0) for m in map(_VCF_CONTIG.match, header) if m}
        order = list(contig_lengths) + [c for c in tabix.contigs if c not in contig_lengths]
        n_records = 0
        with pysam.BGZFile(str(target), "wb", None) as out:
            out.write(("\n".join(header) + "\n").encode())
            for line in _overlapping_lines(tabix, intervals, order):
                out.write((line + "\n").encode())
                n_records += 1
    csi = any(length > _TBI_MAX_CONTIG for length in contig_lengths.values())
    pysam.tabix_index(str(target), preset="vcf", force=True, csi=csi)
    return Slice(target, Path(f"{target}.{'csi' if csi else 'tbi'}"), n_records)


def _overlapping_lines(
    tabix: pysam.TabixFile, intervals: Sequence[GenomicInterval] | None, order: Sequence[str]
) -> Iterator[str]:
    if intervals is None:
        for contig in order:
            if contig in tabix.contigs:
                yield from tabix.fetch(contig)
        return
    previous: GenomicInterval | None = None
    for interval in _ordered(intervals, order):
        if interval.chrom not in tabix.contigs:
            previous = interval
            continue
        for line in tabix.fetch(interval.chrom, interval.start_0based, interval.end_0based_exclusive):
            position_1based = int(line.split("\t", 2)[1])
            if previous is not None and previous.chrom == interval.chrom and position_1based <= previous.end_1based:
                continue
            yield line
        previous = interval


def variants_as(source: Path, target: Path, *, binary: bool) -> Slice:
    """Every record of a VCF/gVCF/BCF written again as BCF (``binary``) or bgzipped VCF, indexed (CSI for BCF).

    Lets an exact slice be cut from a BCF (which is read as VCF text first) and served as BCF again.
    """
    n_records = 0
    reader = pysam.VariantFile(str(source))
    with reader, pysam.VariantFile(str(target), "wb" if binary else "wz", header=reader.header) as writer:
        for record in reader:
            writer.write(record)
            n_records += 1
    pysam.tabix_index(str(target), preset="vcf", force=True, csi=binary)  # a BCF is indexed as BCF, with a CSI
    return Slice(target, Path(f"{target}.{'csi' if binary else 'tbi'}"), n_records)
