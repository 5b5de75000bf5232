"""Benchmark: `genomdb harmonize` of N demo individuals, next to `bcftools norm -m-any -f REF` of the same files.

    python bench/harmonize.py --individuals 1000

Generates (or reuses) a demo cohort with the chrX region under bench/out/, submits its gVCF/VCF files into a fresh
embedded instance (not timed), copies that instance so both runs start equal, then in the same run times
(1) Debian `bcftools view -Ou` over every file (the floor: decompress, parse, re-encode) and `bcftools norm
-m-any -f REF` (normalisation only: split, left-align, trim, written as uncompressed BCF to /dev/null), each on
1 process and on every core, and (2) `genomdb harmonize` of the same files on
1 worker and on every core: normalisation, genotype filters, hemizygous recoding, callable blocks, sample QC and
genetic sex, sorted Parquet batch with checksums, and catalog registration. Prints seconds, files/s and ratios,
with the machine's load average (1 min, the higher of before and after) beside every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from genomdb.config import Settings
from genomdb.demo.generate import generate_demo
from genomdb.demo.load import load_demo
from genomdb.harmonize.run import harmonize
from genomdb.ingest.manifest import FileFormat, parse_manifest
from genomdb.instance import Instance, init_instance


def call_files(manifests: tuple[Path, ...]) -> list[Path]:
    found = []
    for manifest in manifests:
        for entry in parse_manifest(manifest).files:
            if entry.format in (FileFormat.VCF, FileFormat.GVCF) and entry.path:
                found.append(manifest.parent / entry.path)
    return found


def time_bcftools_norm(paths: list[Path], reference: Path, *, processes: int) -> float:
    def norm(path: Path) -> None:
        command = ["bcftools", "norm", "-m-any", "-f", str(reference), "-Ou", "-o", "/dev/null", str(path)]
        subprocess.run(command, check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(norm, paths))
    return time.perf_counter() - started


def time_bcftools_view(paths: list[Path], *, processes: int) -> float:
    """The floor: `bcftools view -Ou` of the same files (decompress, parse, re-encode), as in bench/scale.py."""

    def view(path: Path) -> None:
        subprocess.run(["bcftools", "view", "-Ou", "-o", "/dev/null", str(path)], check=True, capture_output=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(view, paths))
    return time.perf_counter() - started


def load() -> float:
    return os.getloadavg()[0]


def time_harmonize(home: Path, *, workers: int) -> tuple[float, int, int]:
    with Instance.open(Settings(home=home)) as instance:
        started = time.perf_counter()
        outcome = harmonize(instance, workers=workers)
        seconds = time.perf_counter() - started
    assert outcome.batch_id is not None
    return seconds, outcome.n_calls, outcome.n_blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is not installed (apt-get install bcftools)")

    cohort_dir = args.out / f"cohort-x-{args.individuals}-{args.seed}"
    started = time.perf_counter()
    cohort = generate_demo(
        cohort_dir, n_individuals=args.individuals, seed=args.seed, n_read_samples=0, sex_chromosomes=True
    )
    files = call_files(cohort.manifest_paths)
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    print(
        f"demo cohort: {cohort.n_individuals} individuals, {len(files)} gVCF/VCF files, {total_mb:.1f} MB "
        f"({time.perf_counter() - started:.1f} s to generate)"
    )

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(dir=args.out) as workdir:
        first = Path(workdir) / "home-1"
        settings = Settings(home=first)
        init_instance(settings)
        started = time.perf_counter()
        with Instance.open(settings) as instance:
            load_demo(instance, cohort)
        print(f"submitted through data-in in {time.perf_counter() - started:.1f} s (not timed below)")
        second = Path(workdir) / "home-n"
        shutil.copytree(first, second)

        measured: list[tuple[str, float, float]] = []

        def measure(label: str, run: Callable[[], float]) -> float:
            load_before = load()
            seconds = run()
            measured.append((label, seconds, max(load_before, load())))
            return seconds

        view_1 = measure("bcftools view -Ou, 1 process", lambda: time_bcftools_view(files, processes=1))
        view_n = measure(f"bcftools view -Ou, {cores} processes", lambda: time_bcftools_view(files, processes=cores))
        peer_1 = measure(
            "bcftools norm -m-any, 1 process",
            lambda: time_bcftools_norm(files, cohort.reference_fasta, processes=1),
        )
        peer_n = measure(
            f"bcftools norm -m-any, {cores} processes",
            lambda: time_bcftools_norm(files, cohort.reference_fasta, processes=cores),
        )
        counts: list[tuple[int, int]] = []

        def harmonise(home: Path, workers: int) -> float:
            seconds, n_calls, n_blocks = time_harmonize(home, workers=workers)
            counts.append((n_calls, n_blocks))
            return seconds

        ours_1 = measure("genomdb harmonize, 1 worker", lambda: harmonise(first, 1))
        ours_n = measure(f"genomdb harmonize, {cores} workers (default)", lambda: harmonise(second, cores))

    n_calls, n_blocks = counts[0]
    print(f"batch: {n_calls:,} calls, {n_blocks:,} callable blocks")
    print(f"{'':46}{'seconds':>10}{'files/s':>10}{'load':>8}")
    for label, seconds, load_average in measured:
        print(f"{label:46}{seconds:10.2f}{len(files) / seconds:10.1f}{load_average:8.1f}")
    print(f"ratio like for like vs bcftools view -Ou, 1 core each:  {ours_1 / view_1:.2f}x (goal with release: <= 2x)")
    print(f"ratio like for like vs bcftools view -Ou, {cores} cores each: {ours_n / view_n:.2f}x")
    print(f"(not like for like: genomdb {cores} workers / bcftools norm 1 process: {ours_n / peer_1:.2f}x)")
    print(f"ratio like for like vs bcftools norm, 1 core each:      {ours_1 / peer_1:.2f}x")
    print(f"ratio like for like vs bcftools norm, {cores} cores each:     {ours_n / peer_n:.2f}x")


if __name__ == "__main__":
    main()
