"""Benchmark: PGx concordance with PharmCAT per gene, the speed of ``genomdb pgx call``, and the batch.

    python bench/pgx.py [--shared ../shared] [--repeat 5] [--batch 1000] [--workers 2]
    python bench/pgx.py --prepare-only --batch 1000      # build the cohort instance only (not timed)

Concordance: every (test VCF → diplotypes) pair of PharmCAT's Java tests (``derived/PharmCAT_static_vcf_expected_calls
.tsv``, rows without non-default arguments, called with the tests' ``topCandidateOnly=false``), every gene of
PharmCAT's two example VCFs against their ``.match.json``, PharmCAT's DPYD HapB3 table and its NAT2 table (the
oracles of ``tests/pgx/oracles.py``); printed per source and gene, then per gene, as matches / total.

Speed: ``genomdb pgx call FILE --json`` as a user runs it (a new process per call, start-up and data loading
included) on the example VCFs, and the same calls in one process (data loaded once, as a batch run would).
PharmCAT itself (Java) is not installed on this machine, so it is not run side by side; its outputs stored in
``../shared`` are the oracle of the concordance, and the only speed figure printed beside ours is PharmCAT's
published one (~0.7 s per sample for its VCF preprocessing alone, as the issue quotes), labelled as such.

Batch (``--batch N``, default 1000): a demo cohort of N individuals (chrX region, star alleles planted) generated,
submitted and harmonised once into bench/out/pgx-N-SEED/ (kept and reused; not timed), then ``genomdb pgx run --all
--redo --workers W`` as a new process: wall time with process start-up, persons per second, and the peak of the
summed resident memory of the whole process tree (the command and its worker processes, sampled every 50 ms from
/proc). The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.vcf import read_vcf_evidence

PHARMCAT_PUBLISHED_S_PER_SAMPLE = 0.7
OUT = Path(__file__).parent / "out"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def concordance(shared: Path, caller: PgxCaller) -> dict[tuple[str, str], list[int]]:
    """(source, gene) → [matches, total] over every PharmCAT oracle in ../shared (tests/pgx/oracles.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pgx.oracles import all_cases

    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for case in all_cases(shared, caller):
        table[(case.source, case.gene)][1] += 1
        table[(case.source, case.gene)][0] += case.agrees
    return dict(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    parser.add_argument("--repeat", type=int, default=5, help="calls per example VCF")
    parser.add_argument("--batch", type=int, default=1000, help="individuals of the batch cohort (0: no batch)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pgx run --workers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--prepare-only", action="store_true", help="build the batch cohort instance and stop")
    parser.add_argument("--batch-only", action="store_true", help="only the batch (no concordance, no pgx call)")
    args = parser.parse_args()
    if args.prepare_only:
        prepare_batch(args.batch, args.seed)
        return
    if args.batch_only:
        batch(args.batch, args.seed, args.workers)
        return
    examples = args.shared / "pgx-data" / "PharmGKB_PharmCAT" / "docs" / "examples"
    vcfs = [examples / "pharmcat.example.vcf", examples / "pharmcat.example2.vcf"]

    start = time.perf_counter()
    caller = PgxCaller.load()
    load_s = time.perf_counter() - start
    table = concordance(args.shared, caller)
    print("concordance with PharmCAT (its stored outputs and test tables; calls compared exactly)")
    per_gene: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    print(f"{'source':20} {'gene':10} {'matches':>8} {'total':>6}")
    for (source, gene), (matches, total) in sorted(table.items()):
        print(f"{source:20} {gene:10} {matches:8d} {total:6d}")
        per_gene[gene][0] += matches
        per_gene[gene][1] += total
    print()
    print(f"{'gene':10} {'matches':>8} {'total':>6}")
    for gene, (matches, total) in sorted(per_gene.items()):
        print(f"{gene:10} {matches:8d} {total:6d}")
    print(f"{'all':10} {sum(m for m, _ in per_gene.values()):8d} {sum(t for _, t in per_gene.values()):6d}")

    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "pgx", "call"]
    n_calls = 0
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for _ in range(args.repeat):
        for vcf in vcfs:
            subprocess.run([*command, str(vcf), "--json"], env=env, capture_output=True, check=True)
            n_calls += 1
    cli_s = (time.perf_counter() - start) / n_calls
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu_s = (children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime) / n_calls
    child_rss_mb = children.ru_maxrss / 1024

    start = time.perf_counter()
    cpu_start = time.process_time()
    n_in_process = 0
    for _ in range(args.repeat * 10):
        for vcf in vcfs:
            caller.call_person_both(read_vcf_evidence(vcf, data=caller.data))
            n_in_process += 1
    in_process_s = (time.perf_counter() - start) / n_in_process
    in_process_cpu_s = (time.process_time() - cpu_start) / n_in_process
    print()
    print(f"data load (once per process): {load_s:.2f} s")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (CPU times are steadier)")
    print(
        f"genomdb pgx call (new process each): {cli_s:.2f} s wall, {cli_cpu_s:.2f} s CPU per call "
        f"= {1 / cli_cpu_s:.1f} calls per CPU-second; peak RSS of one call {child_rss_mb:.0f} MB"
    )
    print(
        f"in one process (data loaded once; VCF read, both calls, phenotypes, recommendations): "
        f"{in_process_s * 1000:.1f} ms wall, {in_process_cpu_s * 1000:.1f} ms CPU per person "
        f"= {1 / in_process_cpu_s:.1f} persons per CPU-second"
    )
    print(
        f"PharmCAT, published figure (not run here): ~{PHARMCAT_PUBLISHED_S_PER_SAMPLE} s per sample for preprocessing "
        f"alone; ratio to our per-process call (CPU) {PHARMCAT_PUBLISHED_S_PER_SAMPLE / cli_cpu_s:.2f}x, "
        f"to our in-process call (CPU) {PHARMCAT_PUBLISHED_S_PER_SAMPLE / in_process_cpu_s:.0f}x"
    )

    if args.batch:
        batch(args.batch, args.seed, args.workers)


def prepare_batch(individuals: int, seed: int) -> Path:
    """The harmonised instance of a demo cohort of ``individuals`` (built once, then reused): its home."""
    from genomdb.config import Settings
    from genomdb.demo.generate import generate_demo
    from genomdb.demo.load import load_demo
    from genomdb.harmonize.run import harmonize
    from genomdb.instance import Instance, init_instance

    work = OUT / f"pgx-{individuals}-{seed}"
    home = work / "home"
    if (work / "harmonised").exists():
        return home
    shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    cohort = generate_demo(
        work / "cohort", n_individuals=individuals, seed=seed, n_read_samples=0, sex_chromosomes=True
    )
    settings = Settings(home=home)
    init_instance(settings)
    with Instance.open(settings) as instance:
        load_demo(instance, cohort)
        outcome = harmonize(instance)
    (work / "harmonised").write_text(f"{outcome.batch_id}\n")
    print(f"prepared {individuals} individuals in {work} ({time.perf_counter() - started:.0f} s, not timed below)")
    return home


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds (user + system) so far of a process and its descendants, by pid, in ``seen``."""
    sys.path.insert(0, str(Path(__file__).parent))
    from scale import _children

    tree = _children()
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seen[pid] = max(seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)


def run_measured(command: list[str]) -> tuple[float, float, float, str]:
    """Run a command: wall seconds, peak summed RSS of its process tree (MB), CPU seconds of the whole tree (each
    process's last sample, every 50 ms: a worker's last 50 ms may be missed), stdout."""
    sys.path.insert(0, str(Path(__file__).parent))
    from scale import tree_rss_mb

    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    cpu: dict[int, float] = {}
    while process.poll() is None:
        peak = max(peak, tree_rss_mb(process.pid))
        _tree_cpu(process.pid, cpu)
        time.sleep(0.05)
    output, errors = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{command[-6:]} failed ({process.returncode}):\n{errors[-3000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu[process.pid] = max(cpu.get(process.pid, 0.0), children.ru_utime + children.ru_stime)
    return wall, peak, sum(cpu.values()), output


def batch(individuals: int, seed: int, workers: int) -> None:
    home = prepare_batch(individuals, seed)
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "--home", str(home)]
    load_before = os.getloadavg()
    wall, peak_mb, cpu_s, output = run_measured(
        [*command, "pgx", "run", "--all", "--redo", "--workers", str(workers), "--as", "steward"]
    )
    load_after = os.getloadavg()
    summary = " ".join(output[output.rindex("✓") :].split())
    n = int(summary.split(" sample(s)")[0].rsplit(" ", 1)[-1])
    print()
    print(f"batch: genomdb pgx run --all --redo --workers {workers} over {n} harmonised demo samples")
    print(f"  {summary}")
    print(
        f"  {wall:.1f} s wall including process start-up = {n / wall:.1f} persons/s (goal >= 20); peak memory "
        f"summed over the process tree {peak_mb:.0f} MB"
    )
    print(f"  CPU of the whole process tree {cpu_s:.1f} s = {n / cpu_s:.1f} persons per CPU-second (start-up included)")
    print(
        f"  PharmCAT, published figure (not run here): ~{PHARMCAT_PUBLISHED_S_PER_SAMPLE} s per sample for "
        f"preprocessing alone = {1 / PHARMCAT_PUBLISHED_S_PER_SAMPLE:.1f} persons/s per core; ours "
        f"{n / wall / max(1, workers):.1f} persons/s per worker"
    )
    print(
        f"  load average before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} cores "
        "(the machine is shared)"
    )


if __name__ == "__main__":
    main()
