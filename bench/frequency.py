"""Benchmark: harmonise + release for N demo individuals vs `bcftools merge` + `bcftools +fill-tags`, and incremental.

    python bench/frequency.py --individuals 1000
    python bench/frequency.py --individuals 5000

Generates (or reuses) the demo cohort under bench/out/cohort-x-N-SEED (the one bench/harmonize.py uses) and
submits it into a fresh embedded instance (not timed). Then, in the same run, each step in its own process so
that its peak memory (max RSS, from wait4) is its own:

1. peer: `bcftools merge --gvcf REF` of every gVCF/VCF piped into `bcftools +fill-tags -t AC,AN,AF,AC_Hom`,
   written as bgzipped VCF and tabix-indexed (the file bench/lookup.py queries);
2. ours: `genomdb harmonize` (normalise, filter, blocks, QC, one Parquet batch) and `genomdb release build`
   (per-batch partial + release tables + catalog registration);
3. incremental: the harmonised batch split into 95% and 5% of its samples (two batches, as two harmonisation runs
   would write them); a release of the 95%, then the next release adding the 5% incrementally, then a full
   rebuild of the same 100% (direct path, no partials) — and a check that the two 100% releases are identical.

Prints seconds, peak MB and ratios. Outputs stay in bench/out/frequency-N-SEED/ for bench/lookup.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"


def run_measured(command: list[str], *, timeout: float | None = None) -> tuple[float, float, str]:
    """Run a command; return wall seconds, peak RSS in MB (the process and its children) and its stdout.

    With ``timeout`` the command's process group is killed when it runs longer; seconds is then negative.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if timeout is not None and time.perf_counter() - started > timeout:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            return -(time.perf_counter() - started), usage.ru_maxrss / 1024, ""
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    output = process.stdout.read() if process.stdout is not None else ""
    errors = process.stderr.read() if process.stderr is not None else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({process.returncode}):\n{errors[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def step(name: str, *args: str) -> tuple[float, float, dict[str, Any]]:
    """Run one of this script's steps in a fresh Python process; its JSON line is the last of its stdout."""
    wall, peak, output = run_measured([sys.executable, __file__, "--step", name, *args])
    return wall, peak, json.loads(output.strip().splitlines()[-1])


# --- steps, each run in its own process ----------------------------------------------------------------------


def _open(home: str) -> Any:
    from genomdb.config import Settings
    from genomdb.instance import Instance

    return Instance.open(Settings(home=Path(home)))


def step_harmonize(home: str) -> dict[str, Any]:
    from genomdb.harmonize.run import harmonize

    with _open(home) as instance:
        started = time.perf_counter()
        outcome = harmonize(instance)
        return {
            "seconds": time.perf_counter() - started,
            "batch": outcome.batch_id,
            "calls": outcome.n_calls,
            "blocks": outcome.n_blocks,
        }


def step_release(home: str) -> dict[str, Any]:
    from genomdb.frequency.publish import build_release

    with _open(home) as instance:
        started = time.perf_counter()
        report = build_release(instance)
        return {
            "seconds": time.perf_counter() - started,
            "release": report.release.release_id,
            "path": str(report.release.path),
            "variants": report.release.n_variants,
            "samples": report.release.n_samples,
        }


def _split_inputs(home: str, work: str) -> tuple[list[Any], list[Any]]:
    """The harmonised batch split into two batch folders (95% / 5% of samples) and the cohort relabelled."""
    import dataclasses
    import hashlib

    import duckdb

    from genomdb.frequency.inputs import harmonised_inputs
    from genomdb.frequency.records import BatchSource

    with _open(home) as instance:
        batches, cohort = harmonised_inputs(instance)
    (source,) = batches
    ids = sorted(source.sample_ids)
    cut = int(len(ids) * 0.95)
    parts = {"B95": ids[:cut], "B05": ids[cut:]}
    out: list[BatchSource] = []
    root = Path(work) / "batches"
    con = duckdb.connect()
    for name, members in parts.items():
        folder = root / name
        tables = [t for t in ("calls", "blocks", "callable") if (source.path / t).is_dir()]
        if not (folder / "batch.json").exists() or not all((folder / t).is_dir() for t in tables):
            for table in tables:
                (folder / table).mkdir(parents=True, exist_ok=True)
                con.execute(
                    f"COPY (SELECT * FROM read_parquet('{source.path}/{table}/*/*.parquet', hive_partitioning=true) "
                    f"WHERE sample_id IN ({','.join(map(str, members))})) TO '{folder / table}' "
                    "(FORMAT parquet, PARTITION_BY (chrom), COMPRESSION zstd, OVERWRITE_OR_IGNORE)"
                )
            (folder / "batch.json").write_text(json.dumps({"batch_id": name, "sample_ids": members}))
        digest = hashlib.sha256((folder / "batch.json").read_bytes()).hexdigest()
        out.append(BatchSource(name, folder, digest, tuple(members), dict(source.filters)))
    batch_of = {sid: name for name, members in parts.items() for sid in members}
    relabelled = [dataclasses.replace(m, batch_id=batch_of[m.sample_id]) for m in cohort if m.sample_id in batch_of]
    return out, relabelled


def _assemble(work: str, name: str, batches: list[Any], cohort: list[Any], previous: str | None, full: bool) -> Any:
    import datetime as dt

    from genomdb.config import Settings
    from genomdb.frequency.manifest import write_manifest
    from genomdb.frequency.release import PreviousRelease, assemble_release, plan_release, release_document

    root = Path(work)
    shutil.rmtree(root / name, ignore_errors=True)
    parent = PreviousRelease.open(root / previous) if previous else None
    plan = plan_release(batches, cohort, parent, full=full)
    settings = Settings()  # GENOMDB_ENGINE / GENOMDB_SPARK_MASTER pick the engine (bench/scale.py sets them)
    assembled = assemble_release(
        plan,
        out_dir=root / name,
        partials_dir=root / "partials",
        work_dir=root / "work",
        engine=settings.engine,
        master=settings.spark_master,
    )
    sequence = {"r95": 1, "r100-incremental": 2, "r100-full": 3}[name]
    document = release_document(
        plan, assembled, release_id=f"GDB-FREQ-2026-11-R{sequence}", created=dt.datetime.now(dt.UTC)
    )
    write_manifest(root / name, document)
    return assembled


def step_incremental(home: str, work: str, which: str) -> dict[str, Any]:
    import genomdb.frequency.manifest
    import genomdb.frequency.release  # noqa: F401  (imported before the clock starts, as in a long-lived process)

    batches, cohort = _split_inputs(home, work)
    started = time.perf_counter()
    if which == "base":
        base = [m for m in cohort if m.batch_id == "B95"]
        assembled = _assemble(work, "r95", batches[:1], base, None, False)
    elif which == "incremental":
        assembled = _assemble(work, "r100-incremental", batches, cohort, "r95", False)
    else:
        assembled = _assemble(work, "r100-full", batches, cohort, None, True)
    return {"seconds": time.perf_counter() - started, "variants": assembled.tables.n_variants}


def step_compare(work: str) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from genomdb.frequency.release import folded_coverage

    root = Path(work)
    incremental, full = root / "r100-incremental", root / "r100-full"
    same = pq.read_table(incremental / "variants.parquet").equals(pq.read_table(full / "variants.parquet"))
    same = same and folded_coverage(incremental).equals(folded_coverage(full))
    return {"identical": same}


STEPS = {
    "harmonize": lambda a: step_harmonize(a[0]),
    "release": lambda a: step_release(a[0]),
    "incremental": lambda a: step_incremental(a[0], a[1], a[2]),
    "compare": lambda a: step_compare(a[0]),
}

# --- the benchmark -------------------------------------------------------------------------------------------


def prepare(individuals: int, seed: int, out: Path, *, reuse: bool = False) -> tuple[Any, Path, list[Path]]:
    """Generate the cohort and submit it into a fresh instance; with ``reuse``, restore the last submitted snapshot.

    Generation and submission of 5,000 individuals take tens of minutes and are not what is measured, so after a
    submission the instance home is kept as ``submitted/`` and ``--reuse-prepared`` starts from a copy of it.
    """
    import pickle

    from genomdb.config import Settings
    from genomdb.demo.generate import generate_demo
    from genomdb.demo.load import load_demo
    from genomdb.ingest.manifest import FileFormat, parse_manifest
    from genomdb.instance import Instance, init_instance

    work = out / f"frequency-{individuals}-{seed}"
    snapshot = work / "submitted"
    if reuse and (snapshot / "prepared.pkl").exists():
        cohort, files = pickle.loads((snapshot / "prepared.pkl").read_bytes())
        kept = {"submitted", "harmonized", "harmonize.json", "peer.json", "files.txt"}
        kept |= {"merged.vcf.gz", "merged.vcf.gz.tbi"}
        for target in work.iterdir():
            if target.name not in kept:
                shutil.rmtree(target) if target.is_dir() else target.unlink()
        shutil.copytree(snapshot / "home", work / "home", symlinks=True)
        print(f"reused the submitted instance of {cohort.n_individuals} individuals from {snapshot}")
        return cohort, work, files
    started = time.perf_counter()
    cohort = generate_demo(
        out / f"cohort-x-{individuals}-{seed}",
        n_individuals=individuals,
        seed=seed,
        n_read_samples=0,
        sex_chromosomes=True,
    )
    files = [
        manifest.parent / entry.path
        for manifest in cohort.manifest_paths
        for entry in parse_manifest(manifest).files
        if entry.format in (FileFormat.VCF, FileFormat.GVCF) and entry.path
    ]
    print(
        f"demo cohort: {cohort.n_individuals} individuals, {len(files)} gVCF/VCF files, "
        f"{sum(p.stat().st_size for p in files) / 1e6:.0f} MB ({time.perf_counter() - started:.0f} s)"
    )
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = Settings(home=work / "home")
    init_instance(settings)
    started = time.perf_counter()
    with Instance.open(settings) as instance:
        load_demo(instance, cohort)
    print(f"submitted through data-in in {time.perf_counter() - started:.0f} s (not timed below)")
    shutil.copytree(work / "home", snapshot / "home", symlinks=True)
    (snapshot / "prepared.pkl").write_bytes(pickle.dumps((cohort, files)))
    return cohort, work, files


def run_peer(cohort: Any, work: Path, files: list[Path], timeout: float | None) -> tuple[float, float]:
    listing = work / "files.txt"
    listing.write_text("\n".join(str(p) for p in files) + "\n")
    merged = work / "merged.vcf.gz"
    script = (
        f"set -o pipefail; bcftools merge --gvcf {cohort.reference_fasta} -l {listing} -Ou --threads 1 "
        f"| bcftools +fill-tags -Oz -o {merged} -- -t AC,AN,AF,AC_Hom && tabix -f -p vcf {merged}"
    )
    seconds, peak, _ = run_measured(["bash", "-c", script], timeout=timeout)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--skip-peer", action="store_true", help="do not run bcftools merge + fill-tags")
    parser.add_argument(
        "--peer-timeout", type=float, default=None, help="stop the peer after this many seconds (a lower bound)"
    )
    parser.add_argument(
        "--reuse-prepared", action="store_true", help="start from the instance an earlier run submitted (not timed)"
    )
    parser.add_argument(
        "--reuse-harmonized", action="store_true", help="with --reuse-prepared: also reuse the harmonised batch"
    )
    parser.add_argument("--prepare-only", action="store_true", help="generate and submit the cohort, then stop")
    parser.add_argument("--peer-only", action="store_true", help="prepare and run the peer, then stop")
    parser.add_argument(
        "--reuse-peer", action="store_true", help="report the peer figures an earlier run saved in peer.json"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.step:
        print(json.dumps(STEPS[args.step](rest)))
        return
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is not installed (apt-get install bcftools)")
    cohort, work, files = prepare(args.individuals, args.seed, args.out, reuse=args.reuse_prepared)
    if args.prepare_only:
        return
    home = str(work / "home")
    rows: list[tuple[str, float, float]] = []
    if not args.skip_peer:
        saved = work / "peer.json"
        if args.reuse_peer and saved.exists():
            peer = json.loads(saved.read_text())
            print(f"peer figures reused from {saved} (measured {peer['measured']} on the same files)")
        else:
            seconds, peak = run_peer(cohort, work, files, args.peer_timeout)
            peer = {"seconds": seconds, "peak": peak, "measured": time.strftime("%Y-%m-%d %H:%M")}
            saved.write_text(json.dumps(peer))
        unfinished = peer["seconds"] < 0
        peer_seconds, peer_peak = abs(peer["seconds"]), peer["peak"]
        label = "bcftools merge --gvcf | +fill-tags (peer)" + (" STOPPED" if unfinished else "")
        rows.append((label, peer_seconds, peer_peak))
        print(f"{label}: {peer_seconds:.1f} s, peak {peer_peak:.0f} MB")
    if args.peer_only:
        return
    saved_harmonize = work / "harmonize.json"
    if args.reuse_harmonized and saved_harmonize.exists() and (work / "harmonized" / "home").exists():
        shutil.rmtree(work / "home")
        shutil.copytree(work / "harmonized" / "home", work / "home", symlinks=True)
        h_peak, harmonised = json.loads(saved_harmonize.read_text())
        print(f"harmonised instance and figures reused from {work / 'harmonized'}")
    else:
        _, h_peak, harmonised = step("harmonize", home)
        shutil.rmtree(work / "harmonized", ignore_errors=True)
        shutil.copytree(work / "home", work / "harmonized" / "home", symlinks=True)
        saved_harmonize.write_text(json.dumps([h_peak, harmonised]))
    print(f"genomdb harmonize: {harmonised['seconds']:.1f} s, peak {h_peak:.0f} MB")
    _, r_peak, released = step("release", home)
    rows += [
        ("genomdb harmonize", harmonised["seconds"], h_peak),
        ("genomdb release build (first, with partial)", released["seconds"], r_peak),
    ]
    _, base_peak, base = step("incremental", home, str(work / "split"), "base")
    _, incr_peak, incremental = step("incremental", home, str(work / "split"), "incremental")
    _, full_peak, full = step("incremental", home, str(work / "split"), "full")
    _, _, compared = step("compare", str(work / "split"))
    rows += [
        ("release of 95% (partials)", base["seconds"], base_peak),
        ("next release +5% (incremental)", incremental["seconds"], incr_peak),
        ("full rebuild of 100% (direct)", full["seconds"], full_peak),
    ]
    print(
        f"batch: {harmonised['calls']:,} calls, {harmonised['blocks']:,} blocks; release {released['release']}: "
        f"{released['samples']:,} samples, {released['variants']:,} variants"
    )
    print(f"{'step':48}{'seconds':>10}{'peak MB':>10}")
    for label, seconds, peak in rows:
        print(f"{label:48}{seconds:10.2f}{peak:10.0f}")
    ours = harmonised["seconds"] + released["seconds"]
    if not args.skip_peer:
        bound, more = ("at most ", "more than ") if unfinished else ("", "")
        print(
            f"ratio genomdb (harmonize + release) / bcftools (merge + fill-tags): {bound}{ours / peer_seconds:.3f}x "
            f"({ours:.1f} s vs {more}{peer_seconds:.1f} s)"
        )
        print(f"ratio release build alone / bcftools: {released['seconds'] / peer_seconds:.4f}x")
    print(
        f"incremental (+5%) / full rebuild: {incremental['seconds'] / full['seconds']:.3f}x "
        f"({incremental['seconds']:.2f} s vs {full['seconds']:.2f} s); identical: {compared['identical']}"
    )
    print(f"outputs: {work} (merged.vcf.gz, home/frequency/releases/) for bench/lookup.py")
    summary = {
        "individuals": args.individuals,
        "harmonize_s": harmonised["seconds"],
        "release_s": released["seconds"],
        "peer_s": None if args.skip_peer else peer_seconds,
        "incremental_s": incremental["seconds"],
        "full_s": full["seconds"],
        "peaks_mb": {label: round(peak) for label, _, peak in rows},
        "identical": compared["identical"],
    }
    (work / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
