"""Benchmark: kinship and polygenic scores from the variant store next to plink2 on the same variants, and the
carrier look-up.

    python bench/screening.py --individuals 1000
    python bench/screening.py --individuals 1000 5000

Cohorts are bench/scale.py's (demo cohorts with the chrX region, generated, submitted and harmonised once and kept
under bench/out/frequency-N-SEED/harmonized/home; the first run of a size pays for that, untimed). In the same run,
each step in its own process (Python start-up and imports on our side, process start-up on plink2's), all on the
same cores (DuckDB, BLAS and plink2 ``--threads`` each given ``--threads``):

0. ``panel``: the genotype panel of the cohort's batches built from the store (once per batch set; later runs
   reuse it), timed on its own; the later steps read it.
1. ``kinship``: KING-robust for every pair, end to end through the CLI (``genomdb screen kinship --pairs --tsv``:
   start-up, the audited access check of every sample, candidate SNVs from the panel, MAF ≥ 0.05 and call-rate
   filters, all-pairs estimate, flags, output) and in a bare Python process (``cohort_kinship``, whose related
   pairs are compared with plink2's), against ``plink2 --make-king-table`` (all pairs, table written for the pairs
   of third degree or closer, as our related-pair list) on our PLINK export of exactly the variants used. The
   export is written in a step of its own, untimed.
2. ``prs``: a scoring file of ``--scoring-variants`` of the cohort's SNVs (PGS Catalog format 2.0) matched and scored
   end to end through the CLI (``genomdb screen prs … --json``: parse with pgscatalog.core, match, genotypes, scores,
   percentiles), against ``plink2 --score … no-mean-imputation`` on a .bed of the matched variants; the CLI's
   scores are compared person by person.
3. ``carriers``: ``VariantStore.carriers`` for ``--lookups`` variant keys in one process; no peer reads per-sample
   Parquet, so only our time is printed (bench/lookup.py compares look-ups with bcftools on a merged VCF).

Peak memory is the largest sum of resident memory over a step's whole process tree (bench/scale.py's sampler).
The machine's load average is printed at the start and end; CPU seconds (user + system, every thread, from the
kernel's accounting of finished children) compare the two sides better than wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import scale

import frequency as freq_bench

OUT = Path(__file__).parent / "out"


def _open(home: str) -> Any:
    from genomdb.config import Settings
    from genomdb.instance import Instance

    return Instance.open(Settings(home=Path(home)))


def _samples(instance: Any) -> list[Any]:
    from genomdb.screening.relatedness import assessed_samples

    return assessed_samples(instance)


def step_kinship(home: str, pairs_path: str) -> dict[str, Any]:
    from genomdb.screening.kinship import cohort_kinship
    from genomdb.variants.store import VariantStore

    started = time.perf_counter()
    with _open(home) as instance:
        result = cohort_kinship(VariantStore.of(instance), _samples(instance))
    related = result.related(3)
    keys = [s.sample_key for s in result.samples]
    pairs = {
        " ".join(sorted((keys[result.first[i]], keys[result.second[i]]))): float(result.kinship[i])
        for i in related.tolist()
    }
    Path(pairs_path).write_text(json.dumps(pairs))  # a file: a pipe's buffer would stall the step
    return {
        "seconds": time.perf_counter() - started,
        "samples": len(result.samples),
        "variants": result.n_sites,
        "pairs": int(result.first.size),
    }


def step_panel(home: str) -> dict[str, Any]:
    """The genotype panel of the cohort's batches, built afresh (a previous one is removed first)."""
    from genomdb.screening.panel import genotype_panel, panels_root

    with _open(home) as instance:
        from genomdb.variants.store import VariantStore

        store = VariantStore.of(instance)
        batch_ids = sorted({s.batch_id for s in _samples(instance)})
        shutil.rmtree(panels_root(store.home), ignore_errors=True)
        started = time.perf_counter()
        panel = genotype_panel(store, batch_ids)
        seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in panel.path.iterdir())
    return {"seconds": seconds, "sites": panel.sites.num_rows, "samples": panel.n_samples, "bytes": size}


def step_kinship_bed(prefix: str) -> dict[str, Any]:
    """The estimator alone, from our own .bed export (what plink2 reads): the compute without the store."""
    import numpy as np

    from genomdb.screening.kinship import GenotypeMatrix, king_robust
    from genomdb.screening.plink import read_bed_dosages

    started = time.perf_counter()
    samples, variants, dosages = read_bed_dosages(Path(prefix))
    pos = np.zeros(len(variants), dtype=np.int64)
    matrix = GenotypeMatrix(tuple(samples), ("",) * len(variants), pos, (), (), dosages)  # type: ignore[arg-type]
    result = king_robust(matrix)
    return {"seconds": time.perf_counter() - started, "pairs": int(result.first.size)}


def step_export(home: str, work: str, n_variants: str) -> dict[str, Any]:
    """Untimed: the PLINK export of the kinship variants, a scoring file, and the .bed of its matched variants."""
    import numpy as np

    from genomdb.access.records import Actor, Role
    from genomdb.access.users import add_user
    from genomdb.errors import Conflict
    from genomdb.screening.kinship import KinshipPolicy, common_snv_genotypes, read_genotypes
    from genomdb.screening.pgs import read_scoring_file
    from genomdb.screening.plink import write_bed
    from genomdb.screening.prs import PrsPolicy, match_scoring_file, used_variants
    from genomdb.variants.store import VariantStore, connect_duckdb

    out = Path(work)
    with _open(home) as instance:
        for name, role, actor in (("admin", Role.ADMIN, None), ("steward", Role.STEWARD, Actor("admin", Role.ADMIN))):
            with contextlib.suppress(Conflict):  # an earlier run made it
                add_user(instance, actor, name, role=role, department=None)
        store = VariantStore.of(instance)
        samples = _samples(instance)
        matrix, _ = common_snv_genotypes(store, samples, KinshipPolicy())
        write_bed(matrix, out / "kinship")
        con = connect_duckdb(threads=1)
        rows = con.execute(
            f"SELECT chrom, pos, ref, alt FROM read_parquet({store.calls_glob()!r}, hive_partitioning = true) "
            "WHERE length(ref) = 1 AND length(alt) = 1 AND chrom <> 'chrX' GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        con.close()
        chosen = sorted(np.random.default_rng(5).choice(len(rows), min(int(n_variants), len(rows)), replace=False))
        weights = np.random.default_rng(6).normal(0, 0.01, len(chosen))
        lines = ["###PGS CATALOG SCORING FILE", "#format_version=2.0", "#pgs_id=PGS900002", "#pgs_name=BENCH"]
        lines += ["#trait_reported=Breast cancer", "#genome_build=GRCh38"]
        lines += [
            "#HmPOS_build=GRCh38",
            "chr_name\tchr_position\thm_chr\thm_pos\teffect_allele\tother_allele\teffect_weight",
        ]
        for index, weight in zip(chosen, weights, strict=True):
            chrom, pos, ref, alt = rows[index]
            contig = chrom.removeprefix("chr")
            lines.append(f"{contig}\t{pos}\t{contig}\t{pos}\t{alt}\t{ref}\t{weight:.6f}")
        (out / "score.txt").write_text("\n".join(lines) + "\n")
        scoring = read_scoring_file(out / "score.txt")
        matches = match_scoring_file(store, samples, scoring, PrsPolicy(keep_ambiguous=True))
        scored = read_genotypes(store, samples, used_variants(matches))
        write_bed(scored, out / "prs")
        used = [m for m in matches if m.used]
        weights_file = ["ID\tALLELE\tWEIGHT"]
        for variant_id, match in zip(scored.site_ids(), used, strict=True):
            _, _, ref, alt = variant_id.split(":")
            weights_file.append(f"{variant_id}\t{alt if match.effect_is_alt else ref}\t{match.variant.effect_weight!r}")
        (out / "weights.tsv").write_text("\n".join(weights_file) + "\n")
        variant_keys = [m.variant_key for m in used[:: max(1, len(used) // 50)]]
    return {"kinship_variants": int(matrix.pos.size), "scored_variants": len(used), "keys": variant_keys}


def step_carriers(home: str, keys_json: str) -> dict[str, Any]:
    from genomdb.variants.store import VariantStore

    keys = json.loads(keys_json)
    with _open(home) as instance:
        store = VariantStore.of(instance)
        started = time.perf_counter()
        found = sum(len(store.carriers(key)) for key in keys)
    return {"seconds": time.perf_counter() - started, "lookups": len(keys), "carriers": found}


def step_synthetic_bed(prefix: str, n_samples: str, n_variants: str) -> dict[str, Any]:
    """Untimed: a .bed of random genotypes (allele frequencies 0.05–0.5, 2% missing) for the estimator alone at a
    size whose cohort is not generated; half the samples are children of pairs of the other half (first degree)."""
    import numpy as np

    from genomdb.screening.panel import BED_MAGIC, pack_bed_rows

    rng = np.random.default_rng(11)
    n, m = int(n_samples), int(n_variants)
    frequency = rng.uniform(0.05, 0.5, m)
    founders = n - n // 2
    haplotypes = rng.random((founders, 2, m)) < frequency
    mothers, fathers = rng.integers(0, founders, n // 2), rng.integers(0, founders, n // 2)
    pick = rng.integers(0, 2, (n // 2, 2, m))
    children = np.stack(
        [
            np.take_along_axis(haplotypes[mothers], pick[:, :1], axis=1)[:, 0],
            np.take_along_axis(haplotypes[fathers], pick[:, 1:], axis=1)[:, 0],
        ],
        axis=1,
    )
    dosages = np.concatenate([haplotypes, children]).sum(axis=1).astype(np.int8)
    dosages[rng.random((n, m)) < 0.02] = -1
    out = Path(prefix)
    out.with_suffix(".bed").write_bytes(BED_MAGIC + pack_bed_rows(np.ascontiguousarray(dosages.T)).tobytes())
    out.with_suffix(".bim").write_text("".join(f"1\tv{k}\t0\t{1000 * (k + 1)}\tG\tA\n" for k in range(m)))
    out.with_suffix(".fam").write_text("".join(f"SYN{i:06d}\tSYN{i:06d}\t0\t0\t0\t-9\n" for i in range(n)))
    return {"samples": n, "variants": m}


def step_startup() -> dict[str, Any]:
    """Nothing but the imports ``genomdb screen kinship`` needs: the floor of any Python process doing it."""
    import importlib

    for module in ("genomdb.cli.app", "genomdb.cli.screen_genetics_cmd", "genomdb.instance",
                   "genomdb.screening.relatedness", "genomdb.screening.panel", "pyarrow.parquet"):  # fmt: skip
        importlib.import_module(module)
    return {}


STEPS = {
    "startup": lambda a: step_startup(),
    "synthetic-bed": lambda a: step_synthetic_bed(a[0], a[1], a[2]),
    "panel": lambda a: step_panel(a[0]),
    "kinship": lambda a: step_kinship(a[0], a[1]),
    "kinship-bed": lambda a: step_kinship_bed(a[0]),
    "export": lambda a: step_export(a[0], a[1], a[2]),
    "carriers": lambda a: step_carriers(a[0], a[1]),
}


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, threads included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def step(name: str, *args: str, threads: int) -> tuple[float, float, dict[str, Any]]:
    env = {"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    before = _children_cpu()
    wall, peak, output = scale.run_tree([sys.executable, __file__, "--step", name, *args], env=env)
    return wall, peak, {**json.loads(output.strip().splitlines()[-1]), "cpu": _children_cpu() - before}


def harmonised_home(individuals: int, seed: int, out: Path) -> Path:
    """bench/scale.py's harmonised instance of this size, prepared (untimed) when missing."""
    work = out / f"frequency-{individuals}-{seed}"
    home = work / "harmonized" / "home"
    if home.exists():
        return home
    snapshot = work / "submitted" / "prepared.pkl"
    _, work, _ = freq_bench.prepare(individuals, seed, out, reuse=snapshot.exists())
    scale.step("harmonize", str(work / "home"))
    shutil.rmtree(work / "harmonized", ignore_errors=True)
    shutil.copytree(work / "home", home, symlinks=True)
    return home


def cli(home: Path, output: Path, *args: str, threads: int) -> tuple[float, float, float, str]:
    """``genomdb --home HOME ARGS`` as a user runs it (its own process): wall seconds, peak MB, CPU seconds and
    stdout, which goes to ``output`` (a file: a pipe's buffer would stall the process)."""
    env = {"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads), "COLUMNS": "200"}
    program = "from genomdb.cli.app import main; main()"
    command = [sys.executable, "-c", program, "--home", str(home), *args]
    shell = ["sh", "-c", 'exec "$@" > "$0"', str(output), *command]  # exec: no extra process
    before = _children_cpu()
    wall, peak, _ = scale.run_tree(shell, env=env)
    return wall, peak, _children_cpu() - before, output.read_text()


def plink2(*args: str, threads: int) -> tuple[float, float, float]:
    """plink2 run on ``threads`` threads: wall seconds, peak MB, CPU seconds."""
    before = _children_cpu()
    wall, peak, _ = scale.run_tree(["plink2", "--threads", str(threads), *args])
    return wall, peak, _children_cpu() - before


def _read(path: Path) -> list[dict[str, str]]:
    lines = path.read_text().splitlines()
    names = lines[0].lstrip("#").split("\t")
    return [dict(zip(names, line.split("\t"), strict=True)) for line in lines[1:]]


def measure(individuals: int, args: argparse.Namespace) -> None:
    home = harmonised_home(individuals, args.seed, args.out)
    work = args.out / f"screening-{individuals}-{args.seed}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    g_wall, g_peak, panel = step("panel", str(home), threads=args.threads)
    i_wall, i_peak, startup = step("startup", threads=args.threads)
    _, _, exported = step("export", str(home), str(work), str(args.scoring_variants), threads=args.threads)
    c_kin_wall, c_kin_peak, c_kin_cpu, c_kin = cli(
        home, work / "cli.kin.tsv", "screen", "kinship", "--pairs", "--tsv", "--as", "steward", threads=args.threads
    )
    n_cli_related = len(c_kin.splitlines()) - 1  # a header, then one related pair of persons per line

    k_wall, k_peak, ours = step("kinship", str(home), str(work / "ours.kin.json"), threads=args.threads)
    p_wall, p_peak, p_cpu = plink2(
        "--bfile", str(work / "kinship"), "--make-king-table", "--king-table-filter", "0.0442",
        "--out", str(work / "kinship"), threads=args.threads,
    )  # fmt: skip
    b_wall, b_peak, from_bed = step("kinship-bed", str(work / "kinship"), threads=args.threads)
    peer_pairs = {" ".join(sorted((r["IID1"], r["IID2"]))): float(r["KINSHIP"]) for r in _read(work / "kinship.kin0")}
    ours_pairs: dict[str, float] = json.loads((work / "ours.kin.json").read_text())
    shared = set(peer_pairs) & set(ours_pairs)
    near_threshold = {
        p for p in set(peer_pairs) ^ set(ours_pairs) if abs(peer_pairs.get(p, ours_pairs.get(p, 0)) - 0.0442) < 1e-5
    }
    kinship_agree = (set(peer_pairs) ^ set(ours_pairs)) <= near_threshold and all(
        abs(peer_pairs[p] - ours_pairs[p]) <= 0.005 for p in shared
    )

    s_wall, s_peak, s_cpu, printed = cli(
        home, work / "cli.prs.json", "screen", "prs", str(work / "score.txt"), "--keep-ambiguous", "--json",
        "--as", "steward", threads=args.threads,
    )  # fmt: skip
    listing = json.loads(printed)
    scored = {"match_rate": listing["match_rate"]}
    our_scores: dict[str, float] = {s["sample"]: s["score"] for s in listing["scores"]}
    q_wall, q_peak, q_cpu = plink2(
        "--bfile", str(work / "prs"), "--score", str(work / "weights.tsv"), "1", "2", "3", "header",
        "cols=+scoresums", "no-mean-imputation", "--out", str(work / "prs"), threads=args.threads,
    )  # fmt: skip
    peer_scores = {r["IID"]: float(r["SCORE1_SUM"]) for r in _read(work / "prs.sscore")}
    score_diff = max(abs(peer_scores[k] - v) for k, v in our_scores.items())

    c_wall, c_peak, carriers = step("carriers", str(home), json.dumps(exported["keys"]), threads=args.threads)
    load_end = os.getloadavg()
    print(
        f"\n== {individuals:,} individuals ({started}, {os.cpu_count()} cores, {args.threads} threads each side; "
        f"load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end) =="
    )
    print(f"{'step':46}{'wall s':>9}{'CPU s':>8}{'in-step s':>11}{'peak MB':>9}")

    def line(name: str, wall: float, cpu: float, peak: float, in_step: float | None = None) -> None:
        print(f"{name:46}{wall:9.2f}{cpu:8.2f}{'' if in_step is None else f'{in_step:.2f}':>11}{peak:9.0f}")

    line("genomdb genotype panel (store → panel, once)", g_wall, panel["cpu"], g_peak, panel["seconds"])
    line("Python start-up + the imports kinship needs", i_wall, startup["cpu"], i_peak)
    line("genomdb screen kinship (CLI, end to end)", c_kin_wall, c_kin_cpu, c_kin_peak)
    line("genomdb kinship (Python, panel → all pairs)", k_wall, ours["cpu"], k_peak, ours["seconds"])
    line("genomdb kinship estimator alone (.bed → pairs)", b_wall, from_bed["cpu"], b_peak, from_bed["seconds"])
    line("plink2 --make-king-table (.bed → all pairs)", p_wall, p_cpu, p_peak)
    line("genomdb screen prs (CLI, end to end)", s_wall, s_cpu, s_peak)
    line("plink2 --score (.bed → scores)", q_wall, q_cpu, q_peak)
    line(f"genomdb carriers, {carriers['lookups']} look-ups in one process", c_wall, carriers["cpu"], c_peak,
         carriers["seconds"])  # fmt: skip
    print(
        f"panel: {panel['sites']:,} autosomal SNV alleles × {panel['samples']:,} samples, "
        f"{panel['bytes'] / 1e6:.1f} MB on disk"
    )
    print(
        f"kinship: {ours['samples']} samples, {ours['variants']:,} variants, {ours['pairs']:,} pairs; "
        f"CLI / plink2 = {c_kin_wall / p_wall:.2f}x wall, {c_kin_cpu / max(p_cpu, 0.01):.2f}x CPU, "
        f"{c_kin_peak / max(p_peak, 1):.2f}x peak memory "
        f"({n_cli_related:,} related pairs of persons listed as TSV); "
        f"Python process / plink2 = {k_wall / p_wall:.2f}x wall, {k_peak / max(p_peak, 1):.2f}x peak memory; "
        f"related pairs {len(ours_pairs)} vs {len(peer_pairs)}, agree within 0.005: {kinship_agree}; the "
        f"estimator alone from the same .bed: {b_wall / p_wall:.2f}x wall, {from_bed['seconds']:.2f} s in-step"
    )
    print(
        f"prs: {exported['scored_variants']:,} variants scored (match rate {scored['match_rate']:.3f}); "
        f"CLI / plink2 = {s_wall / q_wall:.2f}x wall, {s_cpu / max(q_cpu, 0.01):.2f}x CPU, "
        f"{s_peak / max(q_peak, 1):.2f}x peak memory; "
        f"largest score difference {score_diff:.2e}"
    )
    print(
        f"carriers: {carriers['seconds'] / max(1, carriers['lookups']) * 1000:.1f} ms per look-up in one process "
        f"({carriers['carriers']} carriers found); no peer reads the per-sample store (see bench/lookup.py)"
    )


def measure_estimator(individuals: int, args: argparse.Namespace) -> None:
    """The estimator alone on a synthetic .bed of this size, beside plink2 on the same file."""
    work = args.out / f"screening-synthetic-{individuals}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    step("synthetic-bed", str(work / "cohort"), str(individuals), str(args.synthetic_variants), threads=args.threads)
    load_start = os.getloadavg()
    b_wall, b_peak, ours = step("kinship-bed", str(work / "cohort"), threads=args.threads)
    p_wall, p_peak, p_cpu = plink2(
        "--bfile", str(work / "cohort"), "--make-king-table", "--king-table-filter", "0.0442",
        "--out", str(work / "cohort"), threads=args.threads,
    )  # fmt: skip
    load_end = os.getloadavg()
    print(
        f"\n== estimator alone, synthetic .bed: {individuals:,} samples × {args.synthetic_variants:,} variants, "
        f"{ours['pairs']:,} pairs ({os.cpu_count()} cores, {args.threads} threads each side; load average "
        f"{load_start[0]:.1f} at start, {load_end[0]:.1f} at end) =="
    )
    print(f"genomdb (.bed → all pairs, Python process): {b_wall:.2f} s wall, {ours['cpu']:.2f} CPU s, "
          f"{ours['seconds']:.2f} s in-step, {b_peak:.0f} MB; plink2 --make-king-table: {p_wall:.2f} s, "
          f"{p_cpu:.2f} CPU s, {p_peak:.0f} MB; ratio {b_wall / p_wall:.2f}x wall, "
          f"{ours['cpu'] / max(p_cpu, 0.01):.2f}x CPU, {b_peak / max(p_peak, 1):.2f}x peak memory")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, nargs="*", default=[1000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scoring-variants", type=int, default=10_000)
    parser.add_argument(
        "--estimator-only", type=int, nargs="*", default=[], help="also time the estimator alone on synthetic .beds"
    )
    parser.add_argument("--synthetic-variants", type=int, default=2000)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.step:
        print(json.dumps(STEPS[args.step](rest)))
        return
    if shutil.which("plink2") is None:
        sys.exit("plink2 is not installed (apt-get install plink2)")
    for individuals in args.individuals:
        measure(individuals, args)
    for individuals in args.estimator_only:
        measure_estimator(individuals, args)


if __name__ == "__main__":
    main()
