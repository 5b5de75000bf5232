"""Read a VCF or gVCF (pysam) into per-position PGx evidence.

Only GRCh38 with ``chr`` contig names is accepted. Records at an allele-defining position are explicit calls; a
gVCF reference block (``END=``) that starts before a defining position and covers it is reference with evidence when
it passes the genotype filters (FILTER PASS or ``.``, every GT allele 0, GQ ≥ ``min_block_gq`` when GQ is given,
depth > 0 when DP or MIN_DP is given). An unnormalised indel at a defining position is refused.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genomdb.errors import InvalidInput, Problem
from genomdb.pgx.definitions import PgxData
from genomdb.pgx.evidence import (
    GenotypeCall,
    PersonEvidence,
    ReferenceBlock,
    Sex,
    build_person_evidence,
)
from genomdb.pseudonyms import parse_cpr

GRCH37_CHR1_LENGTH = 249_250_621
GRCH38_CHR1_LENGTH = 248_956_422
_CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
_PLAIN_CONTIG = re.compile(r"^(?:[1-9]|1\d|2[0-2]|X|Y|MT?)$")


def defined_alleles(data: PgxData) -> dict[tuple[str, int], tuple[str, frozenset[str]]]:
    """(chrom, position) → (definition REF, definition ALTs): PharmCAT's own spelling of each defining position."""
    cached: dict[tuple[str, int], tuple[str, frozenset[str]]] | None = data.cache.get("defined_alleles")
    if cached is not None:
        return cached
    out: dict[tuple[str, int], tuple[str, frozenset[str]]] = {}
    for definition in data.definitions.values():
        for variant in definition.variants:
            out[(variant.chromosome, variant.position)] = (variant.ref, frozenset(variant.alts))
    data.cache["defined_alleles"] = out
    return out


def defining_positions(data: PgxData) -> dict[str, list[int]]:
    """chrom → sorted positions the matcher reads (allele-defining plus extra positions of interest)."""
    cached: dict[str, list[int]] | None = data.cache.get("defining_positions")
    if cached is not None:
        return cached
    by_chrom: dict[str, set[int]] = {}
    for gene, definition in data.definitions.items():
        for variant in definition.variants:
            by_chrom.setdefault(variant.chromosome, set()).add(variant.position)
        exemption = data.exemptions.get(gene)
        if exemption:
            for variant in exemption.extraPositions:
                by_chrom.setdefault(variant.chromosome, set()).add(variant.position)
    out = {chrom: sorted(positions) for chrom, positions in by_chrom.items()}
    data.cache["defining_positions"] = out
    return out


def _looks_like_cpr(text: str) -> bool:
    for match in _CPR_LIKE.finditer(text):
        try:
            parse_cpr(match.group())
        except ValueError:
            continue
        return True
    return False


def safe_sample_label(name: str, index: int) -> str:
    """A sample name fit for output: a name that contains a CPR number is withheld."""
    return f"sample #{index + 1} (name withheld)" if _looks_like_cpr(name) else name


def _check_build(path: Path, header: Any) -> None:
    problems: list[Problem] = []
    for record in header.records:
        if record.key == "reference" and record.value and re.search(r"GRCh37|hg19|b37|hs37", str(record.value)):
            problems.append(
                Problem(str(path), "reference build is GRCh37", location="header ##reference", expected="GRCh38")
            )
    for name in header.contigs:
        contig = header.contigs[name]
        if _PLAIN_CONTIG.match(name):
            problems.append(
                Problem(
                    str(path),
                    "contig named without the chr prefix (GRCh37/Ensembl style)",
                    location=f"header ##contig=<ID={name}>",
                    field="CHROM",
                    expected=f"chr{name if name != 'MT' else 'M'}",
                    found=name,
                )
            )
            break
        if name == "chr1" and contig.length == GRCH37_CHR1_LENGTH:
            problems.append(
                Problem(
                    str(path),
                    "chr1 has the GRCh37 length",
                    location="header ##contig=<ID=chr1>",
                    field="length",
                    expected=str(GRCH38_CHR1_LENGTH),
                    found=str(contig.length),
                )
            )
    if problems:
        raise InvalidInput(f"{path} is not a GRCh38 VCF with chr contig names", problems)


def _is_symbolic(allele: str) -> bool:
    return allele.startswith("<") or allele in ("*", ".")


def _unnormalised(ref: str, alts: tuple[str, ...]) -> bool:
    """True when a record with an indel could still be trimmed (not parsimonious), as ``bcftools norm`` would."""
    concrete = [a for a in alts if not _is_symbolic(a)]
    if not concrete or all(len(a) == len(ref) == 1 for a in concrete):
        return False
    alleles = [ref, *concrete]
    if all(len(a) == len(ref) for a in alleles):
        return False
    if all(len(a) >= 2 for a in alleles) and len({a[-1] for a in alleles}) == 1:
        return True
    return all(len(a) >= 2 for a in alleles) and len({a[:2] for a in alleles}) == 1


def _reference_block(record: Any, sample: Any, min_block_gq: int) -> bool:
    if record.stop <= record.pos:
        return False
    if any(not _is_symbolic(alt) for alt in record.alts or ()):
        return False
    filters = list(record.filter.keys())
    if filters and filters != ["PASS"]:
        return False
    gt = sample.get("GT")
    if not gt or any(allele != 0 for allele in gt):
        return False
    fmt = record.format.keys()
    if "GQ" in fmt:
        gq = sample.get("GQ")
        if gq is None or gq < min_block_gq:
            return False
    for depth_key in ("MIN_DP", "DP"):
        if depth_key in fmt:
            depth = sample.get(depth_key)
            if depth is None or depth <= 0:
                return False
            break
    return True


def _records(vcf: Any, positions: dict[str, list[int]]) -> Iterator[Any]:
    """Records near the defining positions: by index when there is one, otherwise one pass over the file."""
    try:
        has_index = vcf.index is not None
    except (AttributeError, ValueError):
        has_index = False
    if has_index:
        contigs = set(vcf.index)  # the index knows every contig with records, with or without header lines
        for chrom, chrom_positions in sorted(positions.items()):
            if chrom not in contigs:
                continue
            # one fetch per gene-sized cluster; fetch also returns blocks that start before the first position
            for first, last in _clusters(chrom_positions):
                yield from vcf.fetch(chrom, first - 1, last)
        return
    yield from vcf


def _clusters(sorted_positions: list[int], max_gap: int = 200_000) -> Iterator[tuple[int, int]]:
    """Runs of positions no further apart than ``max_gap`` (pharmacogenes lie far apart on one chromosome)."""
    start = previous = sorted_positions[0]
    for pos in sorted_positions[1:]:
        if pos - previous > max_gap:
            yield start, previous
            start = pos
        previous = pos
    yield start, previous


def read_vcf_evidence(
    path: Path,
    *,
    data: PgxData,
    sample: str | None = None,
    sex: Sex | None = None,
    min_block_gq: int = 20,
) -> PersonEvidence:
    """Evidence of one sample of a VCF/gVCF at every allele-defining position (explicit records and blocks)."""
    import pysam

    path = Path(path)
    try:
        vcf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"cannot read {path} as VCF", [Problem(str(path), str(exc), expected="VCF or gVCF")]
        ) from exc
    with vcf:
        _check_build(path, vcf.header)
        samples = list(vcf.header.samples)
        if not samples:
            raise InvalidInput(
                f"{path} has no sample columns", [Problem(str(path), "no sample", location="#CHROM header")]
            )
        if sample is None:
            if len(samples) > 1:
                raise InvalidInput(
                    f"{path} holds {len(samples)} samples; choose one with --sample",
                    [
                        Problem(
                            str(path),
                            "multi-sample VCF without a chosen sample",
                            location="#CHROM header",
                            field="--sample",
                            expected="one of the file's sample names",
                            found=f"{len(samples)} samples",
                        )
                    ],
                )
            sample_index = 0
        else:
            if sample not in samples:
                raise InvalidInput(
                    f"{path} has no sample of that name",
                    [Problem(str(path), "sample not in file", location="#CHROM header", field="--sample")],
                )
            sample_index = samples.index(sample)
        label = safe_sample_label(samples[sample_index], sample_index)
        positions = defining_positions(data)
        wanted = {(chrom, pos) for chrom, chrom_positions in positions.items() for pos in chrom_positions}
        spelled = defined_alleles(data)
        calls: list[GenotypeCall] = []
        blocks: list[ReferenceBlock] = []
        problems: list[Problem] = []
        for number, record in enumerate(_records(vcf, positions), start=1):
            chrom = record.chrom
            if _PLAIN_CONTIG.match(chrom):
                raise InvalidInput(
                    f"{path} uses contig names without the chr prefix",
                    [
                        Problem(
                            str(path),
                            "contig named without the chr prefix (GRCh37/Ensembl style)",
                            location=f"record {number} ({chrom}:{record.pos})",
                            field="CHROM",
                            expected=f"chr{chrom}",
                            found=chrom,
                        )
                    ],
                )
            chrom_positions = positions.get(chrom)
            if not chrom_positions:
                continue
            call_sample = record.samples[sample_index]
            alts = tuple(record.alts or ())
            if (chrom, record.pos) in wanted:
                as_defined = spelled.get((chrom, record.pos))
                pharmcat_spelling = (
                    as_defined is not None
                    and record.ref == as_defined[0]
                    and all(_is_symbolic(alt) or alt in as_defined[1] for alt in alts)
                )
                if not pharmcat_spelling and _unnormalised(record.ref, alts):
                    problems.append(
                        Problem(
                            str(path),
                            "unnormalised indel at an allele-defining position",
                            location=f"record {number} ({chrom}:{record.pos})",
                            field="REF/ALT",
                            expected="left-aligned, parsimonious alleles (bcftools norm -m- -f GRCh38.fa)",
                            found=f"{record.ref}>{','.join(alts)}",
                        )
                    )
                    continue
                gt = call_sample.get("GT") or ()
                phase_set = None
                if "PS" in record.format:
                    ps_value = call_sample.get("PS")
                    phase_set = None if ps_value is None else str(ps_value)
                calls.append(
                    GenotypeCall(
                        chrom,
                        record.pos,
                        record.ref,
                        alts,
                        tuple(gt),
                        phased=bool(call_sample.phased),
                        phase_set=phase_set,
                    )
                )
                continue
            if record.stop > record.pos and _reference_block(record, call_sample, min_block_gq):
                lo = bisect.bisect_right(chrom_positions, record.pos)
                hi = bisect.bisect_right(chrom_positions, record.stop)
                if hi > lo:
                    ploidy = len(call_sample.get("GT") or (0, 0))
                    blocks.append(ReferenceBlock(chrom, record.pos + 1, record.stop, ploidy=ploidy))
        if problems:
            raise InvalidInput(f"{path} cannot be used for PGx calling", problems)
    return build_person_evidence(label, calls, blocks, defining_positions=wanted, sex=sex, origin=str(path))
