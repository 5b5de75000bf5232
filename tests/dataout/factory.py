"""Dense read data for data-out tests: reads simulated at 30× from a reference window, written as BAM and as CRAM
with small containers (so that regions map to several containers and BGZF blocks), plus VCF/gVCF records."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pysam

from tests.ingest import formats_factory as ff

READ_LENGTH = 150


def _mutate(sequence: str, rng: random.Random, rate: float = 0.005) -> str:
    bases = list(sequence)
    for i in range(len(bases)):
        if rng.random() < rate:
            bases[i] = rng.choice([b for b in "ACGT" if b != bases[i]])
    return "".join(bases)


def write_reads(
    reference: Path,
    folder: Path,
    *,
    sample_id: str,
    chrom: str,
    start_1based: int,
    end_1based: int,
    depth: float = 30.0,
    seed: int = 1,
    seqs_per_slice: int = 250,
) -> tuple[Path, Path]:
    """Single-end reads over a window, coordinate-sorted, as ``{sample_id}.bam`` and ``{sample_id}.cram`` (indexed)."""
    rng = random.Random(seed)
    fasta = pysam.FastaFile(str(reference))
    window = fasta.fetch(chrom, start_1based - 1, end_1based).upper()
    header = ["@HD\tVN:1.6\tSO:coordinate"]
    header += [f"@SQ\tSN:{name}\tLN:{length}" for name, length in zip(fasta.references, fasta.lengths, strict=True)]
    header.append(f"@RG\tID:{sample_id}-RUN1\tSM:{sample_id}\tPL:ILLUMINA\tLB:{sample_id}-LIB1")
    header.append("@PG\tID:sim\tPN:simulator\tVN:1\tCL:simulate --sample " + sample_id)
    fasta.close()
    n_reads = int(depth * len(window) / READ_LENGTH)
    offsets = sorted(rng.randrange(0, len(window) - READ_LENGTH) for _ in range(n_reads))
    lines = []
    for i, offset in enumerate(offsets):
        sequence = _mutate(window[offset : offset + READ_LENGTH], rng)
        quality = "".join(chr(33 + rng.randint(20, 40)) for _ in range(READ_LENGTH))
        flag = 16 if rng.random() < 0.5 else 0
        lines.append(
            f"r{seed}_{i}\t{flag}\t{chrom}\t{start_1based + offset}\t60\t{READ_LENGTH}M\t*\t0\t0\t{sequence}\t"
            f"{quality}\tRG:Z:{sample_id}-RUN1"
        )
    folder.mkdir(parents=True, exist_ok=True)
    sam = folder / f"{sample_id}.sam"
    sam.write_text("\n".join(header + lines) + "\n")
    bam, cram = folder / f"{sample_id}.bam", folder / f"{sample_id}.cram"
    subprocess.run(["samtools", "view", "-b", "-o", str(bam), str(sam)], check=True)
    subprocess.run(
        [
            "samtools",
            "view",
            "-C",
            "-T",
            str(reference),
            "--output-fmt-option",
            f"seqs_per_slice={seqs_per_slice}",
            "-o",
            str(cram),
            str(sam),
        ],
        check=True,
    )
    for path in (bam, cram):
        subprocess.run(["samtools", "index", str(path)], check=True)
    sam.unlink()
    return bam, cram


def write_calls(
    reference: Path,
    path: Path,
    *,
    sample_id: str,
    chrom: str,
    start_1based: int,
    end_1based: int,
    gvcf: bool,
    step: int = 97,
    seed: int = 2,
) -> Path:
    """A VCF (or gVCF with reference blocks between the variants) over a window; REF bases from the reference."""
    rng = random.Random(seed)
    fasta = pysam.FastaFile(str(reference))
    contigs: Sequence[tuple[str, int | None]] = list(zip(fasta.references, fasta.lengths, strict=True))
    lines = []
    previous_end = start_1based - 1
    for position in range(start_1based + 50, end_1based - 50, step):
        ref = fasta.fetch(chrom, position - 1, position).upper()
        alt = rng.choice([b for b in "ACGT" if b != ref])
        if gvcf and position - 1 > previous_end + 1:
            block_ref = fasta.fetch(chrom, previous_end, previous_end + 1).upper()
            block = ff.reference_block(chrom, previous_end + 1, position - 1)
            lines.append(block.replace("\tA\t", f"\t{block_ref}\t", 1))
        genotype = rng.choice(("0/1:30:99", "1/1:28:90"))
        lines.append(ff.vcf_line(chrom, position, ref, f"{alt},<NON_REF>" if gvcf else alt, genotypes=(genotype,)))
        previous_end = position
    fasta.close()
    ff.write_vcf(path, lines, contigs=contigs, samples=(sample_id,), gvcf=gvcf)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def offline_cold_policy(folder: Path) -> Path:
    """The packaged tier policy with an offline cold tier (an archive that restores first): deliveries of cold
    files wait for a thaw."""
    import importlib.resources

    import yaml

    source = importlib.resources.files("genomdb.storage") / "tiering" / "default.yaml"
    policy = yaml.safe_load(source.read_text(encoding="utf-8"))
    policy["tiers"]["cold"]["online"] = False
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "offline-cold.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path
