"""Benchmark: start-up of the ``genomdb`` shell next to ``bcftools`` on the same machine, in the same run.

    python bench/cli.py                      # builds a 30-person demo instance under bench/out/cli-home first
    python bench/cli.py --home PATH --runs 21

Each measurement is a fresh process, as a user starts it from the shell (interpreter start and imports included):

* ``genomdb --help`` beside ``bcftools --help``;
* ``genomdb freq KEY`` (a single-variant look-up in the newest release, public tier) beside ``bcftools view -h``
  of a VCF of the same instance (open, read the header, print it).

Prints the median and the fastest wall time of N runs and the median CPU time (user + system of the child), the
machine's core count and its load average before and after, so a loaded machine is visible in the figures. Goals
on a quiet machine: ``--help`` under 0.3 s, a look-up under 0.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run; the command must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    timed(command, env)  # warm the page cache once
    samples = [timed(command, env) for _ in range(runs)]
    walls = [w for w, _ in samples]
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "cpu_median_s": statistics.median(c for _, c in samples),
    }


def ensure_home(home: Path, genomdb: str) -> None:
    if (home / "catalog.sqlite").exists():
        return
    print(f"building a 30-person demo instance in {home} (once) …", flush=True)
    subprocess.run([genomdb, "--home", str(home), "demo", "-n", "30"], check=True, stdout=subprocess.DEVNULL)


def pick_key(genomdb: str, env: dict[str, str]) -> str:
    found = subprocess.run(
        [genomdb, "freq", "--gene", "LDLR", "--tier", "registered", "--json", "--as", "steward"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    variants = json.loads(found.stdout)["variants"]
    if not variants:
        raise SystemExit("the instance's release has no variant in LDLR to look up")
    v = variants[len(variants) // 2]["variant"]
    return f"{v['chrom']}-{v['pos_1based']}-{v['ref']}-{v['alt']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=OUT / "cli-home", help="instance home with a release")
    parser.add_argument("--runs", type=int, default=11, help="runs per command (median reported)")
    args = parser.parse_args()

    genomdb = str(Path(sys.executable).parent / "genomdb")
    bcftools = shutil.which("bcftools")
    if bcftools is None:
        raise SystemExit("bcftools not found: the peer tool is needed for the comparison")
    ensure_home(args.home, genomdb)
    env = {**os.environ, "GENOMDB_HOME": str(args.home.resolve())}
    vcf = next(iter(sorted(args.home.rglob("*.vcf.gz"))), None)
    if vcf is None:
        raise SystemExit(f"no VCF under {args.home} for bcftools view -h")
    key = pick_key(genomdb, env)

    load_before = os.getloadavg()
    rows = [
        ("genomdb --help", measure([genomdb, "--help"], env, args.runs)),
        ("bcftools --help", measure([bcftools, "--help"], env, args.runs)),
        (f"genomdb freq {key}", measure([genomdb, "freq", key], env, args.runs)),
        ("bcftools view -h VCF", measure([bcftools, "view", "-h", str(vcf)], env, args.runs)),
    ]
    load_after = os.getloadavg()

    print(f"cores {os.cpu_count()}, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"{args.runs} runs each, fresh process per run (start-up and imports included)")
    print(f"{'command':44} {'median':>9} {'fastest':>9} {'CPU median':>11}")
    for name, figures in rows:
        print(
            f"{name:44} {figures['median_s']:8.3f}s {figures['min_s']:8.3f}s {figures['cpu_median_s']:10.3f}s",
        )
    help_ratio = rows[0][1]["median_s"] / rows[1][1]["median_s"]
    lookup_ratio = rows[2][1]["median_s"] / rows[3][1]["median_s"]
    print(f"ratio genomdb/bcftools: --help {help_ratio:.1f}×, look-up vs view -h {lookup_ratio:.1f}×")
    goals = {"--help < 0.3 s": rows[0][1]["median_s"] < 0.3, "look-up < 0.6 s": rows[2][1]["median_s"] < 0.6}
    print("goals (quiet machine): " + ", ".join(f"{g} {'met' if ok else 'NOT met'}" for g, ok in goals.items()))


if __name__ == "__main__":
    main()
