"""Small, deterministic FASTQ / BAM / uBAM / CRAM / VCF / gVCF files for tests, written with pysam.

Plain functions (no fixtures) so that any test can build exactly the file it needs in a tmp folder:
``write_reference_fasta`` → ``write_alignments`` / ``write_unaligned_bam``; ``fastq_records`` → ``write_fastq``;
``vcf_line`` → ``write_vcf``; ``truncate`` to cut a file short. Header helpers give GRCh38 / GRCh37 ``@SQ``
tables (full chromosome lengths, reads only touch the first few kb).
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pysam

from genomdb.refdata import get_build, read_fasta_contigs

BASES = "ACGT"
FastqRecord = tuple[str, str, str]
SqLine = tuple[str, int, str | None]


def random_sequence(length: int, rng: random.Random) -> str:
    return "".join(rng.choice(BASES) for _ in range(length))


# --- reference -----------------------------------------------------------------------------------------------


def write_reference_fasta(
    path: Path, contigs: Mapping[str, int] | None = None, *, seed: int = 7, line_width: int = 60
) -> Path:
    """A FASTA with random sequence for each contig (default chr1: 6 kb, chr2: 4 kb), indexed with faidx."""
    rng = random.Random(seed)
    contigs = contigs or {"chr1": 6000, "chr2": 4000}
    with path.open("w") as out:
        for name, length in contigs.items():
            sequence = random_sequence(length, rng)
            out.write(f">{name}\n")
            for start in range(0, length, line_width):
                out.write(sequence[start : start + line_width] + "\n")
    pysam.faidx(str(path))
    return path


def fasta_sq(path: Path) -> list[SqLine]:
    """``@SQ`` rows (name, length, md5) matching a FASTA."""
    return [(c.name, c.length, c.md5) for c in read_fasta_contigs(path)]


def build_sq(build: str, *, with_md5: bool = True) -> list[SqLine]:
    """``@SQ`` rows for a build's primary chromosomes at their real lengths."""
    return [(c.name, c.length, c.md5 if with_md5 else None) for c in get_build(build).contigs]


# --- FASTQ ---------------------------------------------------------------------------------------------------


def fastq_records(
    n: int,
    length: int | tuple[int, int] = 100,
    *,
    seed: int = 1,
    phred_offset: int = 33,
    max_quality: int = 40,
    prefix: str = "read",
) -> list[FastqRecord]:
    """``n`` random reads; ``length`` is fixed or a (min, max) range; qualities 2..max_quality."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        size = length if isinstance(length, int) else rng.randint(*length)
        sequence = random_sequence(size, rng)
        quality = "".join(chr(phred_offset + rng.randint(2, max_quality)) for _ in range(size))
        records.append((f"{prefix}{i + 1}", sequence, quality))
    return records


def fastq_text(records: Iterable[FastqRecord]) -> bytes:
    return "".join(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in records).encode("ascii")


def write_fastq(path: Path, records: Iterable[FastqRecord] | bytes) -> Path:
    """Write FASTQ text (gzip-compressed when the name ends with ``.gz``)."""
    data = records if isinstance(records, bytes) else fastq_text(records)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb", compresslevel=1) as out:
            out.write(data)
    else:
        path.write_bytes(data)
    return path


# --- BAM / CRAM / uBAM ---------------------------------------------------------------------------------------


def alignment_header(
    sq: Sequence[SqLine],
    read_groups: Sequence[Mapping[str, str]],
    *,
    sort_order: str = "coordinate",
) -> dict[str, Any]:
    header: dict[str, Any] = {"HD": {"VN": "1.6", "SO": sort_order}}
    if sq:
        header["SQ"] = [{"SN": name, "LN": length, **({"M5": md5} if md5 else {})} for name, length, md5 in sq]
    if read_groups:
        header["RG"] = [dict(rg) for rg in read_groups]
    return header


def write_alignments(
    path: Path,
    *,
    sq: Sequence[SqLine],
    read_groups: Sequence[Mapping[str, str]] = ({"ID": "rg1", "SM": "S1", "PL": "ILLUMINA"},),
    n_reads: int = 200,
    read_length: int = 100,
    reference_fasta: Path | None = None,
    n_unmapped: int = 5,
    span: int = 3000,
    seed: int = 3,
) -> Path:
    """A coordinate-sorted BAM or CRAM (by suffix) with reads on the first ``span`` bases of the first contig.

    A CRAM is written against ``reference_fasta`` when given, else reference-free (``no_ref``), so its ``@SQ``
    lines can declare any lengths and md5s.
    """
    rng = random.Random(seed)
    header = pysam.AlignmentHeader.from_dict(alignment_header(sq, read_groups))
    is_cram = path.suffix == ".cram"
    mode = "wc" if is_cram else "wb"
    options = [] if (not is_cram or reference_fasta) else ["no_ref=1"]
    rg_id = read_groups[0]["ID"] if read_groups else None
    reference = pysam.FastaFile(str(reference_fasta)) if reference_fasta else None
    starts = sorted(rng.randrange(0, span - read_length) for _ in range(n_reads))
    kwargs: dict[str, Any] = {"header": header, "format_options": options}
    if reference_fasta:
        kwargs["reference_filename"] = str(reference_fasta)
    with pysam.AlignmentFile(str(path), mode, **kwargs) as out:
        for i, start in enumerate(starts):
            segment = pysam.AlignedSegment(header)
            segment.query_name = f"r{i + 1}"
            if reference is not None:
                segment.query_sequence = reference.fetch(sq[0][0], start, start + read_length)
            else:
                segment.query_sequence = random_sequence(read_length, rng)
            segment.flag = 16 if i % 2 else 0
            segment.reference_id = 0
            segment.reference_start = start
            segment.mapping_quality = 60
            segment.cigartuples = [(0, read_length)]
            segment.query_qualities = pysam.qualitystring_to_array("I" * read_length)
            if rg_id:
                segment.set_tag("RG", rg_id)
            out.write(segment)
        for i in range(n_unmapped):
            out.write(_unmapped(header, f"u{i + 1}", random_sequence(read_length, rng), rg_id))
    if reference is not None:
        reference.close()
    return path


def write_unaligned_bam(
    path: Path,
    *,
    read_groups: Sequence[Mapping[str, str]] = ({"ID": "rg1", "SM": "S1", "PL": "ONT"},),
    n_reads: int = 20,
    length: tuple[int, int] = (2000, 30000),
    seed: int = 5,
) -> Path:
    """An unaligned long-read BAM (no ``@SQ``, every read unmapped), as ONT and PacBio deliver them."""
    rng = random.Random(seed)
    header = pysam.AlignmentHeader.from_dict(alignment_header((), read_groups, sort_order="unknown"))
    rg_id = read_groups[0]["ID"] if read_groups else None
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i in range(n_reads):
            out.write(_unmapped(header, f"long{i + 1}", random_sequence(rng.randint(*length), rng), rg_id))
    return path


def _unmapped(header: pysam.AlignmentHeader, name: str, sequence: str, rg_id: str | None) -> pysam.AlignedSegment:
    segment = pysam.AlignedSegment(header)
    segment.query_name = name
    segment.query_sequence = sequence
    segment.flag = 4
    segment.reference_id = -1
    segment.reference_start = -1
    segment.query_qualities = pysam.qualitystring_to_array("5" * len(sequence))
    if rg_id:
        segment.set_tag("RG", rg_id)
    return segment


# --- VCF / gVCF ----------------------------------------------------------------------------------------------

GVCF_META = (
    '##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">',
)
FORMAT_META = (
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
)


def vcf_line(
    chrom: str,
    pos: int,
    ref: str = "A",
    alt: str = "G",
    *,
    info: str = ".",
    genotypes: Sequence[str] = ("0/1:30:99",),
) -> str:
    return "\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", info, "GT:DP:GQ", *genotypes])


def reference_block(chrom: str, start: int, end: int, *, alt: str = "<NON_REF>", samples: int = 1) -> str:
    return vcf_line(chrom, start, "A", alt, info=f"END={end}", genotypes=("0/0:25:60",) * samples)


def vcf_text(
    lines: Iterable[str],
    *,
    contigs: Sequence[tuple[str, int | None]],
    samples: Sequence[str] = ("S1",),
    gvcf: bool = False,
) -> str:
    meta = ["##fileformat=VCFv4.2", *(GVCF_META if gvcf else GVCF_META[1:]), *FORMAT_META]
    for name, length in contigs:
        meta.append(f"##contig=<ID={name},length={length}>" if length else f"##contig=<ID={name}>")
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    return "\n".join([*meta, "\t".join(columns), *lines]) + "\n"


def write_vcf(
    path: Path,
    lines: Iterable[str],
    *,
    contigs: Sequence[tuple[str, int | None]] = (("chr1", 248956422), ("chr2", 242193529)),
    samples: Sequence[str] = ("S1",),
    gvcf: bool = False,
) -> Path:
    """A VCF; bgzip-compressed with pysam when the name ends with ``.gz``, plain text otherwise."""
    text = vcf_text(lines, contigs=contigs, samples=samples, gvcf=gvcf)
    if path.name.endswith(".gz"):
        plain = path.with_name(path.name[: -len(".gz")] + ".plain")
        plain.write_text(text)
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
    else:
        path.write_text(text)
    return path


def grch38_vcf_contigs() -> list[tuple[str, int | None]]:
    return [(c.name, c.length) for c in get_build("GRCh38").contigs]


def many_variants(chrom: str, n: int, *, start: int = 10_000, step: int = 37) -> list[str]:
    return [vcf_line(chrom, start + i * step) for i in range(n)]


# --- damage --------------------------------------------------------------------------------------------------


def truncate(path: Path, *, keep: float = 0.5, drop_bytes: int | None = None) -> Path:
    """Cut a file short in place: keep a fraction of its bytes, or drop the last ``drop_bytes`` bytes."""
    data = path.read_bytes()
    size = len(data) - drop_bytes if drop_bytes is not None else int(len(data) * keep)
    path.write_bytes(data[:size])
    return path
