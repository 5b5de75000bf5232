"""Persons with star alleles in an instance, for the PGx tests of runs, the REST service and the browser: a chr10
reference around CYP2C19 carrying the true GRCh38 base at every defining position, and harmonised samples."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from genomdb.demo.reference import synthesize_region_sequence, write_reference
from genomdb.demo.regions import Gene, GenomicRegion
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.vcf import defined_alleles
from tests.harmonize.kit import CallFileSpec, SmallReference, block, call, submit_calls

CYP2C19_STAR2_17 = (
    (94_761_900, "C", "T", "0/1"),  # rs12248560: *17
    (94_775_367, "A", "G", "0/1"),  # rs12769205: *2
    (94_781_859, "G", "A", "0/1"),  # rs4244285: *2
    (94_842_866, "A", "G", "1/1"),  # rs3758581: *1 background of both (*38 is the GRCh38 sequence)
)
"""A CYP2C19 *2/*17 person as PharmCAT's definitions spell it (GRCh38, 1-based)."""
WINDOW = (94_755_001, 94_860_000)
CHR10 = ("chr10", 133_797_422)


def cyp2c19_reference(folder: Path) -> SmallReference:
    """chr10 with synthetic sequence around CYP2C19 carrying the true GRCh38 base at every defining position."""
    gene = Gene("CYP2C19", "chr10", 94_762_681, 94_855_547)
    region = GenomicRegion("CYP2C19", "chr10", WINDOW[0] + 2_000, WINDOW[1] - 2_000, gene)
    sequence = synthesize_region_sequence(region, np.random.default_rng(3))
    bases = bytearray(sequence.bases)
    for (chrom, pos), (ref, _alts) in defined_alleles(PgxCaller.load().data).items():
        offset = pos - sequence.start_1based
        if chrom == "chr10" and offset >= 0 and offset + len(ref) <= len(bases) and set(ref) <= set("ACGT"):
            bases[offset : offset + len(ref)] = ref.encode()
    sequence = dataclasses.replace(sequence, bases=bytes(bases))
    written = write_reference(folder / "chr10.fa.gz", [sequence], contig_lengths={CHR10[0]: CHR10[1]})
    return SmallReference(written.fasta, {"chr10": sequence})


def star2_17_lines(reference: SmallReference, *, blocks: bool) -> list[str]:
    """*2/*17; as a gVCF with reference blocks over the rest of the window, or as a plain VCF."""
    lines = [call("chr10", pos, ref, alt, gt, gvcf=blocks) for pos, ref, alt, gt in CYP2C19_STAR2_17]
    if blocks:
        edges = [reference.sequences["chr10"].start_1based - 1, *(pos for pos, *_ in CYP2C19_STAR2_17)]
        ends = [*(pos for pos, *_ in CYP2C19_STAR2_17), reference.sequences["chr10"].end_1based + 1]
        lines += [block(reference, "chr10", a + 1, b - 1) for a, b in zip(edges, ends, strict=True) if b - a > 1]
    return lines


def harmonise_star2_17(
    instance: Instance, reference: SmallReference, folder: Path, *, department: str = "RH-KG"
) -> Instance:
    """Two harmonised samples of ``department``: WITH-BLOCKS (a *2/*17 gVCF) and CALLS-ONLY (the same calls as a
    plain VCF, another person)."""
    instance.add_reference("GRCh38", reference.fasta)
    specs = [
        CallFileSpec("WITH-BLOCKS", star2_17_lines(reference, blocks=True), person=0),
        CallFileSpec("CALLS-ONLY", star2_17_lines(reference, blocks=False), person=1, gvcf=False),
    ]
    submit_calls(instance, folder, specs, reference, department=department, contigs=[CHR10])
    assert harmonize(instance).n_samples == 2
    return instance
