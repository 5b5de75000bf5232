"""PLINK 1 binary filesets (.bed/.bim/.fam) of a genotype matrix, so that peer tools read exactly our variants.

SNP-major .bed: three magic bytes, then per variant ``ceil(n/4)`` bytes, two bits per sample, first sample in
the lowest bits: 00 homozygous A1, 01 missing, 10 heterozygous, 11 homozygous A2. A1 is the alt allele, A2 the
reference (so an alt dosage of 2 is 00). Every sample is its own family (FID = IID), sex and phenotype unknown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from genomdb.screening.kinship import GenotypeMatrix
from genomdb.screening.panel import BED_MAGIC, pack_bed_rows, unpack_bed_rows


def chromosome_code(chrom: str) -> str:
    """PLINK's chromosome code of a GRCh38 contig name (``chr19`` → ``19``)."""
    return chrom.removeprefix("chr")


def write_bed(matrix: GenotypeMatrix, prefix: Path) -> Path:
    """Write ``prefix``.bed/.bim/.fam; returns the .bed path. Sample ids are the sample keys."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    bed = prefix.with_suffix(".bed")
    bed.write_bytes(BED_MAGIC + pack_bed_rows(np.ascontiguousarray(matrix.dosages.T)).tobytes())
    ids = matrix.site_ids()
    with prefix.with_suffix(".bim").open("w", encoding="ascii") as bim:
        for chrom, pos, variant_id, ref, alt in zip(
            matrix.chrom, matrix.pos.tolist(), ids, matrix.ref, matrix.alt, strict=True
        ):
            bim.write(f"{chromosome_code(chrom)}\t{variant_id}\t0\t{pos}\t{alt}\t{ref}\n")
    with prefix.with_suffix(".fam").open("w", encoding="ascii") as fam:
        for sample in matrix.samples:
            fam.write(f"{sample.sample_key}\t{sample.sample_key}\t0\t0\t0\t-9\n")
    return bed


def read_bed_dosages(prefix: Path) -> tuple[list[str], list[str], npt.NDArray[np.int8]]:
    """Sample ids (.fam IID), variant ids (.bim) and alt dosages (samples × variants, -1 missing) of a fileset
    :func:`write_bed` wrote (A1 = alt)."""
    samples = [line.split()[1] for line in prefix.with_suffix(".fam").read_text(encoding="ascii").splitlines()]
    variants = [line.split()[1] for line in prefix.with_suffix(".bim").read_text(encoding="ascii").splitlines()]
    data = np.frombuffer(prefix.with_suffix(".bed").read_bytes(), dtype=np.uint8)
    if data[:3].tobytes() != BED_MAGIC:
        raise ValueError(f"{prefix.with_suffix('.bed')} is not a SNP-major PLINK 1 .bed")
    packed = data[3:].reshape(len(variants), -(-len(samples) // 4))
    return samples, variants, np.ascontiguousarray(unpack_bed_rows(packed, len(samples)).T)
