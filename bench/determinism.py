"""Check: `genomdb harmonize` of the same N-individual input, run R times, writes byte-identical batches.

    python bench/determinism.py --individuals 1000 --runs 5

Issue 11 saw 2 runs of 5 at 1,000 individuals write a duplicated one-base callable block at a split multi-allelic
site. This repeats that experiment at full size: the cohort is generated and submitted once (cached under
bench/out/ as bench/frequency.py keeps it), each run starts from its own copy of the submitted instance and is a
separate `genomdb harmonize` process on every core; then every batch part's sha256 (from its batch manifest, and
re-hashed from the bytes) is compared with the first run's. Any difference is printed by part and fails the check.
Prints the load average, since the runs share the machine; load changes timing, never the bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import frequency as freq_bench
from genomdb.config import Settings
from genomdb.demo.users import STEWARD, ensure_demo_users
from genomdb.instance import Instance

OUT = Path(__file__).parent / "out"


def _parts(home: Path) -> dict[str, str]:
    """Path below the batch → sha256 re-hashed from the part's bytes (checked against the batch manifest)."""
    (batch,) = list((home / "variants" / "batches").iterdir())
    declared = {p["path"]: p["sha256"] for p in json.loads((batch / "batch.json").read_text())["parts"]}
    found = {}
    for path, sha in declared.items():
        digest = hashlib.sha256((batch / path).read_bytes()).hexdigest()
        if digest != sha:
            raise SystemExit(f"{batch / path}: bytes hash to {digest}, the batch manifest says {sha}")
        found[path] = digest
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    _cohort, work, _files = freq_bench.prepare(args.individuals, args.seed, args.out, reuse=True)
    source = work / "submitted" / "home"
    reference: dict[str, str] | None = None
    differing = 0
    for run in range(1, args.runs + 1):
        home = work / f"determinism-{run}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(source, home, symlinks=True)
        with Instance.open(Settings(home=home)) as instance:
            ensure_demo_users(instance)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from genomdb.cli.app import main; main()",
                "--home",
                str(home),
                "harmonize",
                "--as",
                STEWARD,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"run {run}: genomdb harmonize failed:\n{done.stderr[-3000:]}")
        parts = _parts(home)
        seconds = time.perf_counter() - started
        if reference is None:
            reference = parts
            verdict = f"{len(parts)} parts (the reference)"
        else:
            changed = sorted(p for p in reference.keys() | parts.keys() if reference.get(p) != parts.get(p))
            differing += bool(changed)
            verdict = "byte-identical to run 1" if not changed else f"{len(changed)} part(s) differ: {changed}"
        print(f"run {run}: {seconds:.0f} s, load {os.getloadavg()[0]:.1f}: {verdict}")
        if run > 1:
            shutil.rmtree(home)
    shutil.rmtree(work / "determinism-1", ignore_errors=True)
    print(f"{args.runs - differing} of {args.runs} runs byte-identical (n={args.individuals})")
    if differing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
