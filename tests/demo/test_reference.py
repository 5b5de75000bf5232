from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pysam

from genomdb.demo import DemoCohort
from genomdb.demo.reference import FASTA_LINE_WIDTH, synthesize_region_sequence, write_reference
from genomdb.demo.regions import GRCH38_CONTIG_LENGTHS, REFERENCE_FLANK_BP, demo_regions


def test_reference_has_grch38_contigs_indexes_and_md5s(demo_cohort: DemoCohort) -> None:
    fasta = demo_cohort.reference_fasta
    assert fasta.name.endswith(".fa.gz")
    assert Path(f"{fasta}.fai").exists() and Path(f"{fasta}.gzi").exists()
    with pysam.FastaFile(str(fasta)) as reference:
        assert dict(zip(reference.references, reference.lengths, strict=True)) == GRCH38_CONTIG_LENGTHS
        chr19 = reference.fetch("chr19")
    assert hashlib.md5(chr19.upper().encode()).hexdigest() == demo_cohort.contig_md5["chr19"]
    assert set(demo_cohort.contig_md5) == set(GRCH38_CONTIG_LENGTHS)


def test_sequence_is_random_inside_regions_and_n_outside(demo_cohort: DemoCohort) -> None:
    with pysam.FastaFile(str(demo_cohort.reference_fasta)) as reference:
        for region in demo_cohort.regions:
            inside = reference.fetch(region.chrom, region.reference_start_1based - 1, region.reference_end_1based)
            assert set(inside) <= set("ACGT")
            gc = (inside.count("G") + inside.count("C")) / len(inside)
            assert 0.38 < gc < 0.44
            before = reference.fetch(
                region.chrom, region.reference_start_1based - 1_001, region.reference_start_1based - 1
            )
            after = reference.fetch(region.chrom, region.reference_end_1based, region.reference_end_1based + 1_000)
            assert set(before) == set(after) == {"N"}


def test_sequence_has_homopolymers_and_tandem_repeats() -> None:
    region = demo_regions(100_000)[0]
    sequence = synthesize_region_sequence(region, np.random.default_rng(3))
    assert len(sequence.bases) == region.length_bp + 2 * REFERENCE_FLANK_BP
    units = {len(tract.unit) for tract in sequence.repeats}
    assert units == {1, 2, 3, 4}
    assert len(sequence.repeats) > 100
    for tract in sequence.repeats[:50]:
        assert sequence.fetch(tract.start_1based, tract.end_1based) == tract.unit * tract.n_copies


def test_written_lines_and_md5_do_not_depend_on_chunking(tmp_path: Path) -> None:
    regions = demo_regions(100_000)
    sequences = [synthesize_region_sequence(region, np.random.default_rng(5)) for region in regions]
    written = write_reference(tmp_path / "ref.fa.gz", sequences)
    with pysam.FastaFile(str(written.fasta)) as reference:
        for sequence in sequences:
            fetched = reference.fetch(sequence.chrom, sequence.start_1based - 1, sequence.end_1based)
            assert fetched == sequence.bases.decode()
    fai = Path(f"{written.fasta}.fai").read_text().splitlines()
    assert [line.split("\t")[0] for line in fai] == list(GRCH38_CONTIG_LENGTHS)
    assert {tuple(line.split("\t")[3:5]) for line in fai} == {(str(FASTA_LINE_WIDTH), str(FASTA_LINE_WIDTH + 1))}
