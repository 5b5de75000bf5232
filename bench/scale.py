"""Benchmark: how harmonisation and frequency releases grow with the cohort, on DuckDB and on Spark, next to bcftools.

    python bench/scale.py --individuals 1000
    python bench/scale.py --individuals 200 1000 5000 20000 --peer-timeout 900

For each cohort size (demo cohorts with the chrX region; generated and submitted once, then restored from
bench/out/frequency-N-SEED/submitted/ as bench/frequency.py keeps it, so only the first run pays for generation),
in the same run and each step in its own process:

1. ``genomdb harmonize`` (all cores) — reused from an earlier run of this size with ``--reuse-harmonized``;
2. ``genomdb release build`` of the harmonised batch on DuckDB, and on Spark ``local[2]`` (``GENOMDB_ENGINE``), each
   on its own copy of the harmonised instance; the two releases' files must have the same sha256;
3. incremental +5% on each engine: the batch split 95% / 5%, a release of the 95%, the next adding the 5%, and a
   full rebuild of the 100% for the ratio;
4. the floor and the peer on the same gVCFs: ``bcftools view -Ou`` of every file (1 process, and one per core), and
   ``bcftools merge --gvcf REF | bcftools +fill-tags`` (stopped after ``--peer-timeout`` seconds: a lower bound).

Wall time includes process start on both sides (Python imports, the JVM for Spark). Peak memory is the largest sum
of the resident memory of the step's whole process tree (sampled every 50 ms from /proc), so Spark's JVM and
harmonisation's worker processes count; the release steps also record the CPU seconds of that tree (Spark/DuckDB
in CPU seconds is the steadier ratio when other work shares the cores). The load average is recorded at the start
and end of every size. Results accumulate in bench/out/scale-results.json (one entry per size, the newest run of
it), and the growth exponent b of ``seconds ≈ a · N^b`` is fitted over every size recorded there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import frequency as freq_bench

OUT = Path(__file__).parent / "out"
RESULTS = OUT / "scale-results.json"
ENGINES = ("duckdb", "spark")
PEER = "bcftools_merge_fill_tags"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int, cpu: dict[int, float] | None = None) -> float:
    """Resident memory of a process and all its descendants, in MB; ``cpu`` is updated with each one's CPU seconds."""
    tree = _children()
    total_kb = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            total_kb += int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE_KB
            if cpu is not None:
                fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
                cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            continue
    return total_kb / 1024


def run_tree(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    cpu: list[float] | None = None,
) -> tuple[float, float, str]:
    """Run a command; wall seconds (negative when stopped at ``timeout``), peak summed tree RSS in MB, stdout.

    ``cpu`` receives the CPU seconds (user + system) of the whole process tree, as last sampled for each process
    (a process's final 50 ms can be missed): on a loaded machine they compare engines better than wall time.
    """
    # files, not pipes: a step that prints more than a pipe holds (64 kB) would block while this loop only polls
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=out_file,
            stderr=err_file,
            text=True,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        peak = 0.0
        stopped = False
        seconds_by_pid: dict[int, float] = {}
        while process.poll() is None:
            peak = max(peak, tree_rss_mb(process.pid, seconds_by_pid))
            if timeout is not None and time.perf_counter() - started > timeout:
                os.killpg(process.pid, 9)
                stopped = True
                break
            time.sleep(0.05)
        process.wait()
        seconds = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        output, errors = out_file.read(), err_file.read()
    if cpu is not None:
        cpu.append(sum(seconds_by_pid.values()))
    if stopped:
        return -seconds, peak, ""
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({process.returncode}):\n{errors[-3000:]}")
    return seconds, peak, output


def step(
    name: str, *args: str, engine: str = "duckdb", master: str = "local[2]", cpu: list[float] | None = None
) -> tuple[float, float, dict[str, Any]]:
    """One of bench/frequency.py's steps in its own process on ``engine``: wall, peak tree MB, its JSON line."""
    env = {"GENOMDB_ENGINE": engine, "GENOMDB_SPARK_MASTER": master, "SPARK_LOCAL_IP": "127.0.0.1"}
    wall, peak, output = run_tree([sys.executable, freq_bench.__file__, "--step", name, *args], env=env, cpu=cpu)
    return wall, peak, json.loads(output.strip().splitlines()[-1])


def bcftools_view(files: list[Path], processes: int) -> tuple[float, float, float]:
    """``bcftools view -Ou`` of every file to /dev/null, ``processes`` at a time (xargs -P): the parse floor."""
    listing = "\n".join(str(p) for p in files) + "\n"
    script = f"xargs -P {processes} -I{{}} bcftools view -Ou -o /dev/null {{}}"
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(["bash", "-c", script], stdin=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdin is not None
    process.stdin.write(listing)
    process.stdin.close()
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, tree_rss_mb(process.pid))
        time.sleep(0.05)
    if process.returncode != 0:
        raise SystemExit("bcftools view failed")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # bash waited for xargs, xargs for every bcftools
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return time.perf_counter() - started, peak, cpu


def _release_files(path: str) -> dict[str, str]:
    files: dict[str, str] = json.loads((Path(path) / "manifest.json").read_text())["files"]
    return files


def measure(individuals: int, args: argparse.Namespace, save: Any) -> dict[str, Any]:
    """Every figure of one cohort size; ``save(result)`` is called after each step, so a stopped run keeps them."""
    snapshot = args.out / f"frequency-{individuals}-{args.seed}" / "submitted" / "prepared.pkl"
    cohort, work, files = freq_bench.prepare(individuals, args.seed, args.out, reuse=snapshot.exists())
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    steps: dict[str, dict[str, float]] = {}
    result: dict[str, Any] = {"individuals": individuals, "measured": started, "cores": os.cpu_count(), "steps": steps}

    def record(name: str, seconds: float, wall: float, peak: float, cpu: list[float] | None = None) -> None:
        steps[name] = {"seconds": seconds, "wall": wall, "peak_mb": peak}
        if cpu:
            steps[name]["cpu"] = cpu[-1]
        result["load_average"] = {
            "start": [round(x, 2) for x in load_start],
            "now": [round(x, 2) for x in os.getloadavg()],
        }
        save(result)

    saved = work / "harmonize.json"
    if args.reuse_harmonized and saved.exists() and (work / "harmonized" / "home").exists():
        h_wall, h_peak, harmonised = json.loads(saved.read_text())
        result["harmonize_reused_from_earlier_run"] = True
    else:
        h_cpu: list[float] = []
        h_wall, h_peak, harmonised = step("harmonize", str(work / "home"), cpu=h_cpu)
        harmonised["cpu"] = h_cpu[-1] if h_cpu else None
        shutil.rmtree(work / "harmonized", ignore_errors=True)
        shutil.copytree(work / "home", work / "harmonized" / "home", symlinks=True)
        saved.write_text(json.dumps([h_wall, h_peak, harmonised]))
    result["batch"] = {"calls": harmonised["calls"], "blocks": harmonised["blocks"]}
    record("harmonize", harmonised["seconds"], h_wall, h_peak, [harmonised["cpu"]] if harmonised.get("cpu") else None)

    cores = os.cpu_count() or 1
    for processes in sorted({1, cores}):
        seconds, peak, view_cpu = bcftools_view(files, processes)
        record(f"bcftools_view_{processes}", seconds, seconds, peak, [view_cpu])
    releases: dict[str, str] = {}
    for engine in args.engines:
        home = work / f"home-{engine}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(work / "harmonized" / "home", home, symlinks=True)
        cpu: list[float] = []
        wall, peak, released = step("release", str(home), engine=engine, master=args.spark_master, cpu=cpu)
        releases[engine] = released["path"]
        result["release"] = {"samples": released["samples"], "variants": released["variants"]}
        record(f"release_{engine}", released["seconds"], wall, peak, cpu)
        if engine not in args.incremental_engines:
            continue
        split = work / f"split-{engine}"
        shutil.rmtree(split, ignore_errors=True)
        for which in ("base", "incremental", "full"):
            wall, peak, done = step(
                "incremental", str(home), str(split), which, engine=engine, master=args.spark_master
            )
            record(f"{which}_{engine}", done["seconds"], wall, peak)
        _, _, compared = step("compare", str(split))
        result[f"incremental_identical_{engine}"] = compared["identical"]
        save(result)
    if len(releases) == 2:
        result["engines_identical"] = _release_files(releases["duckdb"]) == _release_files(releases["spark"])
        save(result)

    unable = None if args.skip_peer else _allow_open_files(2 * len(files) + 64)  # merge opens every file + index
    if unable:
        result["peer_not_run"] = unable
        save(result)
    if not (args.skip_peer or unable):
        listing = work / "files.txt"
        listing.write_text("\n".join(str(p) for p in files) + "\n")
        merged = work / "merged.vcf.gz"
        script = (
            f"set -o pipefail; bcftools merge --gvcf {cohort.reference_fasta} -l {listing} -Ou --threads 1 "
            f"| bcftools +fill-tags -Oz -o {merged} -- -t AC,AN,AF,AC_Hom"
        )
        seconds, peak, _ = run_tree(["bash", "-c", script], timeout=args.peer_timeout)
        result["peer_stopped"] = seconds < 0
        record(PEER, abs(seconds), abs(seconds), peak)
    return result


def _allow_open_files(needed: int) -> str | None:
    """Raise this process's open-file limit (the peer inherits it) to ``needed``; why it cannot be, or None."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError) as error:
        return (
            f"bcftools merge needs {needed:,} open files (every gVCF and its index) and the limit is {soft:,} "
            f"(hard {hard:,}), which this process may not raise ({error})"
        )
    return None


def fit_exponent(points: list[tuple[int, float]]) -> float | None:
    """b of ``seconds ≈ a · N^b``, least squares on logarithms; None with fewer than two sizes."""
    points = [(n, s) for n, s in points if s > 0]
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else None


def report(result: dict[str, Any]) -> None:
    n = result["individuals"]
    steps = result["steps"]
    load = result["load_average"]
    print(
        f"\n== {n:,} individuals ({result['measured']}, {result['cores']} cores, load average "
        f"{load['start'][0]:.1f} at start, {load['now'][0]:.1f} at end) =="
    )
    print(
        f"batch {result['batch']['calls']:,} calls / {result['batch']['blocks']:,} blocks; release "
        f"{result['release']['samples']:,} samples, {result['release']['variants']:,} variants"
    )
    print(f"{'step':34}{'in-step s':>11}{'wall s':>9}{'ms/genome':>11}{'peak MB':>9}{'CPU s':>8}")
    for name, figures in steps.items():
        cpu = f"{figures['cpu']:8.1f}" if "cpu" in figures else ""
        print(
            f"{name:34}{figures['seconds']:11.2f}{figures['wall']:9.2f}"
            f"{1000 * figures['wall'] / n:11.2f}{figures['peak_mb']:9.0f}{cpu}"
        )

    def wall(name: str) -> float | None:
        return steps[name]["wall"] if name in steps else None

    ours = (wall("harmonize") or 0) + (wall("release_duckdb") or 0)
    view_n = wall(f"bcftools_view_{result['cores']}")
    view_1 = wall("bcftools_view_1")
    if view_n:
        print(f"harmonise + release (DuckDB, all cores) / bcftools view -Ou (all cores): {ours / view_n:.2f}x")
    if view_1:
        print(f"  (flattering: the same over bcftools view -Ou on 1 process: {ours / view_1:.2f}x)")
    cpu_ours = [steps[n].get("cpu") for n in ("harmonize", "release_duckdb") if n in steps]
    cpu_view = steps.get("bcftools_view_1", {}).get("cpu")
    if cpu_view and cpu_ours and all(cpu_ours):
        print(
            f"  CPU seconds (process trees): harmonise + release {sum(cpu_ours):.1f} / bcftools view -Ou "
            f"{cpu_view:.1f} = {sum(cpu_ours) / cpu_view:.2f}x (steadier than wall time under load)"
        )
    peer = wall(PEER)
    if peer:
        bound = "at most " if result.get("peer_stopped") else ""
        print(f"harmonise + release / bcftools merge + fill-tags (1 process + 1): {bound}{ours / peer:.3f}x")
    if result.get("peer_not_run"):
        print(f"the peer route did not run: {result['peer_not_run']}")
    for engine in ENGINES:
        incr, full = wall(f"incremental_{engine}"), wall(f"full_{engine}")
        if incr and full:
            print(
                f"{engine}: incremental +5% / full rebuild {incr / full:.3f}x (wall: process start, opening the "
                "instance and reading the cohort included, as for `genomdb release build`); "
                f"the build alone (in-step) "
                f"{steps[f'incremental_{engine}']['seconds'] / steps[f'full_{engine}']['seconds']:.3f}x; "
                f"identical: {result.get(f'incremental_identical_{engine}')}"
            )
    if "release_spark" in steps and "release_duckdb" in steps:
        spark, duck = steps["release_spark"], steps["release_duckdb"]
        print(
            f"Spark local[2] / DuckDB release build: {spark['wall'] / duck['wall']:.2f}x wall "
            f"({spark['seconds'] / duck['seconds']:.2f}x in-step); same files: {result.get('engines_identical')}"
        )
        if "cpu" in spark and "cpu" in duck:
            print(
                f"  CPU seconds of the process trees (JVM included): {spark['cpu']:.1f} / {duck['cpu']:.1f} = "
                f"{spark['cpu'] / duck['cpu']:.2f}x (steadier than wall time under load)"
            )


def report_growth(results: dict[str, Any]) -> None:
    sizes = sorted(results.values(), key=lambda r: r["individuals"])
    if len(sizes) < 2:
        print("\ngrowth: one size recorded; run more sizes to fit the exponent")
        return
    names = sorted({name for r in sizes for name in r["steps"]})
    listed = ", ".join(f"{r['individuals']:,}" for r in sizes)
    print(f"\ngrowth over {listed} individuals: seconds ≈ a · N^b")
    for name in names:
        # a peer stopped at the timeout gives a lower bound, not a point of its curve
        measured = [r for r in sizes if name in r["steps"] and not (name == PEER and r.get("peer_stopped"))]
        points = [(r["individuals"], r["steps"][name]["wall"]) for r in measured]
        memory = [(r["individuals"], r["steps"][name]["peak_mb"]) for r in measured]
        b, m = fit_exponent(points), fit_exponent(memory)
        if b is not None and m is not None:
            print(f"  {name:34} time b = {b:5.2f}   peak memory b = {m:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument(
        "--incremental-engines", nargs="*", choices=ENGINES, default=list(ENGINES), help="engines of the +5%% steps"
    )
    parser.add_argument("--skip-peer", action="store_true", help="do not run bcftools merge + fill-tags")
    parser.add_argument("--peer-timeout", type=float, default=900.0, help="stop the peer after this many seconds")
    parser.add_argument("--reuse-harmonized", action="store_true", help="reuse an earlier run's harmonised batch")
    args = parser.parse_args()
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is not installed (apt-get install bcftools)")
    results_path = args.out / RESULTS.name
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    for individuals in args.individuals:

        def save(result: dict[str, Any], key: str = str(individuals)) -> None:
            results[key] = result
            results_path.write_text(json.dumps(results, indent=1))

        report(measure(individuals, args, save))
    report_growth(results)


if __name__ == "__main__":
    main()
