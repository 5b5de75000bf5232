from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pysam

from genomdb.demo import DemoCohort
from genomdb.ingest.manifest import FileFormat, Manifest, parse_manifest


def _manifests(cohort: DemoCohort) -> list[tuple[Path, Manifest]]:
    return [(path.parent, parse_manifest(path)) for path in cohort.manifest_paths]


def _fastq(path: Path) -> list[tuple[str, str, str]]:
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    assert len(lines) % 4 == 0
    records = []
    for i in range(0, len(lines), 4):
        header, seq, plus, quality = lines[i : i + 4]
        assert header.startswith("@") and plus == "+" and len(seq) == len(quality)
        records.append((header[1:].split(" ")[0], seq, quality))
    return records


def test_crams_decode_against_the_reference(demo_cohort: DemoCohort) -> None:
    reference = str(demo_cohort.reference_fasta)
    n_crams = 0
    for folder, manifest in _manifests(demo_cohort):
        for entry in manifest.files:
            if entry.format is not FileFormat.CRAM:
                continue
            n_crams += 1
            path = folder / str(entry.path)
            assert subprocess.run(["samtools", "quickcheck", str(path)]).returncode == 0
            decoded = subprocess.run(
                ["samtools", "view", "-c", "-T", reference, str(path)], capture_output=True, text=True
            )
            assert decoded.returncode == 0 and int(decoded.stdout) > 1_000, decoded.stderr
            assert Path(f"{path}.crai").exists()
            analysis = next(a for a in manifest.analyses if entry.id in a.outputs)
            with pysam.AlignmentFile(str(path), "rc", reference_filename=reference) as cram:
                header = cram.header.to_dict()
                assert header["HD"]["SO"] == "coordinate"
                assert {sq["SN"]: sq["M5"] for sq in header["SQ"]} == demo_cohort.contig_md5
                assert [rg["SM"] for rg in header["RG"]] == list(analysis.samples)
                assert {rg["PL"] for rg in header["RG"]} == {"ILLUMINA"}
                previous = -1
                for read in cram.fetch("chr19"):
                    assert read.reference_start >= previous
                    previous = read.reference_start
                    assert read.is_paired and read.is_proper_pair and read.get_tag("RG") == header["RG"][0]["ID"]
    assert n_crams == 4


def test_cram_reads_carry_the_samples_variants(demo_cohort: DemoCohort) -> None:
    """Few mismatches beyond sequencing errors: reads come from the sample's own haplotypes."""
    reference = str(demo_cohort.reference_fasta)
    folder, manifest = next(
        (f, m) for f, m in _manifests(demo_cohort) if any(x.format is FileFormat.CRAM for x in m.files)
    )
    entry = next(x for x in manifest.files if x.format is FileFormat.CRAM)
    stats = subprocess.run(
        ["samtools", "stats", "--reference", reference, str(folder / str(entry.path))], capture_output=True, text=True
    ).stdout
    error_rate = next(float(line.split("\t")[2]) for line in stats.splitlines() if line.startswith("SN\terror rate:"))
    assert 0.0005 < error_rate < 0.01


def test_paired_fastqs_have_equal_reads_and_phred33_qualities(demo_cohort: DemoCohort) -> None:
    n_pairs = 0
    for folder, manifest in _manifests(demo_cohort):
        files = {entry.id: entry for entry in manifest.files}
        for entry in manifest.files:
            if entry.format is not FileFormat.FASTQ or entry.mate is None or entry.id > entry.mate:
                continue
            first = _fastq(folder / str(entry.path))
            second = _fastq(folder / str(files[entry.mate].path))
            assert len(first) == len(second) > 1_000
            assert [r[0] for r in first] == [r[0] for r in second]
            for _, seq, quality in first[:200] + second[:200]:
                assert len(seq) == 150 and set(seq) <= set("ACGTN")
                assert {ord(q) - 33 for q in quality} <= {2, 12, 23, 37}
            n_pairs += 1
    assert n_pairs == 4


def test_one_ont_run_has_long_reads(demo_cohort: DemoCohort) -> None:
    long_files = []
    for folder, manifest in _manifests(demo_cohort):
        runs = {run.id: run for run in manifest.runs}
        for entry in manifest.files:
            if entry.run is not None and runs[entry.run].platform.value == "ONT":
                assert runs[entry.run].instrument == "PromethION"
                long_files.append(folder / str(entry.path))
    assert len(long_files) == 1
    reads = _fastq(long_files[0])
    assert len(reads) >= 10
    assert all(4_500 <= len(seq) <= 32_000 for _, seq, _ in reads)
    assert all(3 <= ord(q) - 33 <= 40 for _, _, quality in reads[:5] for q in quality)
