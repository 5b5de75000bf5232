"""Benchmark: validate + store a gVCF batch from the demo generator, next to `bcftools view` of the same files.

    python bench/ingest.py --individuals 1000

Generates (or reuses) a demo cohort under bench/out/, writes manifests restricted to the cohort's VCF/gVCF files,
then in the same run times (1) `bcftools view` over every file (decompress + parse + re-encode, the peer's cheapest
full read), one process per file, and (2) `genomdb submit` of the same files into a fresh embedded instance:
checksums, staging copy, validation, index handling, atomic commit and catalog registration. Prints seconds, MB/s
and the ratios, with the machine's load average (1 min, the higher of before and after) beside every figure.

Like for like, both sides start a process per unit of work: bcftools one per file, genomdb one `genomdb submit`
per manifest (as a department submits), each run as a department's submitter. The same submissions made by
`submit_manifest` in this process are printed beside it, marked as not like for like (no start-up, no access
check). On all cores, bcftools runs one file per core at a time; genomdb runs two ways: one submission at a time
with a validation worker per core, and one submission per core at a time with one worker each (departments submit
independently of one another), and both ratios are printed.
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
from typing import Any

import yaml

from genomdb.config import Settings
from genomdb.demo.generate import generate_demo
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance, init_instance

VARIANT_FORMATS = {"VCF", "GVCF"}


def variant_only_manifest(manifest: Path) -> tuple[Path, list[Path]]:
    """A copy of a demo manifest that keeps only its VCF/gVCF files (and the analyses producing them)."""
    doc: dict[str, Any] = yaml.safe_load(manifest.read_text())
    files = [f for f in doc["files"] if f["format"] in VARIANT_FORMATS]
    keep = {f["id"] for f in files}
    doc["files"] = files
    doc["runs"] = []
    analyses = []
    for analysis in doc["analyses"]:
        outputs = [ref for ref in analysis["outputs"] if ref in keep]
        if outputs:
            analyses.append({**analysis, "inputs": [], "outputs": outputs})
    doc["analyses"] = analyses
    target = manifest.with_name("manifest-variants.yaml")
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return target, [manifest.parent / f["path"] for f in files]


def time_bcftools(paths: list[Path], *, processes: int) -> float:
    def view(path: Path) -> None:
        subprocess.run(["bcftools", "view", "-Ou", "-o", "/dev/null", str(path)], check=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(view, paths))
    return time.perf_counter() - started


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def time_genomdb_cli(manifests: list[Path], reference: Path, workdir: Path, *, workers: int, at_once: int = 1) -> float:
    """`genomdb submit` of each manifest in its own process, as the department's submitter (set-up not timed);
    ``at_once`` submissions run at the same time, as departments submit independently of one another."""
    genomdb = str(Path(sys.executable).with_name("genomdb"))
    home = workdir / f"cli-{workers}-{at_once}"
    env = {**os.environ, "GENOMDB_HOME": str(home), "GENOMDB_INGEST_WORKERS": str(workers)}
    _run([genomdb, "init"], env)
    _run([genomdb, "users", "add", "bench-admin", "--role", "admin"], env)
    _run([genomdb, "reference", "add", "GRCh38", str(reference)], env)
    submitter: dict[Path, str] = {}
    for manifest in manifests:
        department = yaml.safe_load(manifest.read_text())["submitter"]["department"]
        user = f"bench-{department.lower()}"
        if user not in submitter.values():
            add = [genomdb, "users", "add", user, "--role", "submitter", "--department", department]
            _run([*add, "--as", "bench-admin"], env)
        submitter[manifest] = user
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        list(pool.map(lambda m: _run([genomdb, "submit", str(m), "--as", submitter[m]], env), manifests))
    seconds = time.perf_counter() - started
    shutil.rmtree(home, ignore_errors=True)
    return seconds


def time_genomdb(manifests: list[Path], reference: Path, workdir: Path, *, workers: int) -> float:
    settings = Settings(home=workdir / f"home-{workers}", ingest_workers=workers)
    init_instance(settings)
    with Instance.open(settings) as instance:
        instance.add_reference("GRCh38", reference)
        started = time.perf_counter()
        for manifest in manifests:
            outcome = submit_manifest(instance, manifest)
            assert outcome.status == "accepted" and not outcome.unchanged
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is not installed (apt-get install bcftools)")

    cohort_dir = args.out / f"cohort-{args.individuals}-{args.seed}"
    started = time.perf_counter()
    cohort = generate_demo(cohort_dir, n_individuals=args.individuals, seed=args.seed)
    print(
        f"demo cohort: {cohort.n_individuals} individuals, {cohort.n_samples} samples "
        f"({time.perf_counter() - started:.1f} s to generate)"
    )

    manifests, files = [], []
    for manifest in cohort.manifest_paths:
        restricted, paths = variant_only_manifest(manifest)
        manifests.append(restricted)
        files.extend(paths)
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"batch: {len(files)} VCF/gVCF files, {total_mb:.1f} MB compressed")

    cores = os.cpu_count() or 1
    measured: list[tuple[str, float, float]] = []

    def measure(label: str, run: Callable[[], float]) -> float:
        load_before = os.getloadavg()[0]
        seconds = run()
        measured.append((label, seconds, max(load_before, os.getloadavg()[0])))
        return seconds

    peer_1 = measure("bcftools view, 1 process", lambda: time_bcftools(files, processes=1))
    peer_n = measure(f"bcftools view, {cores} processes", lambda: time_bcftools(files, processes=cores))
    n = len(manifests)
    with tempfile.TemporaryDirectory(dir=args.out) as workdir:
        reference, work = cohort.reference_fasta, Path(workdir)
        ours_1 = measure(
            f"genomdb submit, {n} processes, 1 worker", lambda: time_genomdb_cli(manifests, reference, work, workers=1)
        )
        ours_n = measure(
            f"genomdb submit, {n} processes, {cores} workers",
            lambda: time_genomdb_cli(manifests, reference, work, workers=cores),
        )
        ours_at_once = measure(
            f"genomdb submit, {n} processes, {cores} at once",
            lambda: time_genomdb_cli(manifests, reference, work, workers=1, at_once=cores),
        )
        inner_1 = measure(
            "submit_manifest in-process, 1 worker", lambda: time_genomdb(manifests, reference, work, workers=1)
        )
        inner_n = measure(
            f"submit_manifest in-process, {cores} workers",
            lambda: time_genomdb(manifests, reference, work, workers=cores),
        )

    print(f"{'':46}{'seconds':>10}{'MB/s':>10}{'load':>8}")
    for label, seconds, load_average in measured:
        print(f"{label:46}{seconds:10.2f}{total_mb / seconds:10.1f}{load_average:8.1f}")
    print(f"ratio like for like, 1 core each:          {ours_1 / peer_1:.2f}x (goal <= 1.5x)")
    print(
        f"ratio like for like, {cores} cores each:          {ours_n / peer_n:.2f}x one submission at a time on "
        f"{cores} workers; {ours_at_once / peer_n:.2f}x {cores} submissions at a time on 1 worker each, as bcftools "
        f"runs {cores} files at a time (goal <= 1.5x)"
    )
    print(
        f"(not like for like, no process start-up for genomdb: {inner_1 / peer_1:.2f}x on 1 core, "
        f"{inner_n / peer_n:.2f}x on {cores}; genomdb {cores} workers / bcftools 1 process: {ours_n / peer_1:.2f}x)"
    )


if __name__ == "__main__":
    main()
