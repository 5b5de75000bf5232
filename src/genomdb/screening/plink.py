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

_MAGIC = bytes([0x6C, 0x1B, 0x01])
_CODE = np.array([0b11, 0b10, 0b00, 0b01], dtype=np.uint8)
"""Two-bit code per alt dosage 0, 1, 2, and (index 3) missing."""


def chromosome_code(chrom: str) -> str:
    """PLINK's chromosome code of a GRCh38 contig name (``chr19`` → ``19``)."""
    return chrom.removeprefix("chr")


def write_bed(matrix: GenotypeMatrix, prefix: Path) -> Path:
    """Write ``prefix``.bed/.bim/.fam; returns the .bed path. Sample ids are the sample keys."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    n_samples = len(matrix.samples)
    codes = _CODE[np.where(matrix.dosages < 0, 3, matrix.dosages).astype(np.intp)].T  # variants × samples
    padded = np.zeros((codes.shape[0], -(-n_samples // 4) * 4), dtype=np.uint8)
    padded[:, :n_samples] = codes
    groups = padded.reshape(codes.shape[0], -1, 4)
    packed = groups[:, :, 0] | (groups[:, :, 1] << 2) | (groups[:, :, 2] << 4) | (groups[:, :, 3] << 6)
    bed = prefix.with_suffix(".bed")
    bed.write_bytes(_MAGIC + packed.astype(np.uint8).tobytes())
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
    if data[:3].tobytes() != _MAGIC:
        raise ValueError(f"{prefix.with_suffix('.bed')} is not a SNP-major PLINK 1 .bed")
    packed = data[3:].reshape(len(variants), -(-len(samples) // 4))
    dosage_of_code = np.array([2, -1, 1, 0], dtype=np.int8)
    byte_values = np.arange(256, dtype=np.uint8)
    four_of_byte = np.stack([dosage_of_code[(byte_values >> shift) & 0b11] for shift in (0, 2, 4, 6)], axis=1)
    dosages = four_of_byte[packed].reshape(len(variants), -1)[:, : len(samples)]
    return samples, variants, np.ascontiguousarray(dosages.T)
