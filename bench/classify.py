"""Benchmark: the national variant database — bulk import, national view, and the as-of lookup at 1M versions.

    python bench/classify.py --assertions 100000 --versions 1000000 [--keep]
    python bench/classify.py --lookups-on bench/out/classify-…/home      # re-time lookups on a kept instance
    python bench/classify.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Generates a synthetic GRCh38-shaped reference (the demo's LDLR/BRCA2/CYP2C19 windows) and one TSV export per
department (seven departments; each variant classified by one to five of them, mostly agreeing), then in the same run:

1. imports every file with ``genomdb classify import``'s code path (parse, normalise, VRS identifiers, ACMG
   combining, versions, conflict cases, crossings) and, as the peer, inserts the same rows into a bare SQLite table
   with ``executemany`` — the floor any import into SQLite pays;
2. computes the national view of every variant (VKGL consensus, ClinVar aggregate, differing criteria);
3. re-imports reclassified exports until ``--versions`` assertion versions are stored;
4. times the as-of lookup for one variant (``ClassificationDatabase.as_of``) at random moments of the history,
   next to the same indexed SQL run directly with sqlite3 (the peer), and prints p50/p99 and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

from genomdb.classification.database import ClassificationDatabase
from genomdb.config import Settings
from genomdb.demo.reference import RegionSequence, synthesize_region_sequence, write_reference
from genomdb.demo.regions import demo_regions
from genomdb.instance import Instance, init_instance

DEPARTMENTS = ("RH-KG", "RH-GM", "RSJ-KG", "RSD-KG-OUH", "RSD-KG-VEJ", "RM-KG", "RN-KG")
N_DEPARTMENTS_WEIGHTS = (0.35, 0.30, 0.20, 0.10, 0.05)
GROUP_WEIGHTS = {"P/LP": 0.25, "VUS": 0.45, "LB/B": 0.30}
AGREE = 0.9
CLASS_CRITERIA = {
    "Pathogenic": ("PVS1,PS4,PM2_Supporting", "PS3,PS4_Moderate,PM2_Supporting,PP1_Strong"),
    "Likely pathogenic": ("PVS1,PM2", "PS3,PM2_Supporting,PP3", "PM1,PM2,PM5,PP3"),
    "Uncertain significance": ("PM2_Supporting", "PM2_Supporting,PP3", ""),
    "Likely benign": ("BS1,BP4", "BP4,BP7"),
    "Benign": ("BA1", "BS1,BS2"),
}
CLASSES_BY_GROUP = {
    "P/LP": ("Pathogenic", "Likely pathogenic"),
    "VUS": ("Uncertain significance",),
    "LB/B": ("Likely benign", "Benign"),
}
GENE_OF = {
    "chr19": ("LDLR", "Familial hypercholesterolemia", "OMIM:143890"),
    "chr13": ("BRCA2", "Hereditary breast and ovarian cancer", "OMIM:612555"),
    "chr10": ("CYP2C19", "CYP2C19-related drug metabolism", ""),
}
HEADER = "variant\tclassification\tcondition\tcondition_id\tinheritance\tcriteria\tdate\tgene\tclassifier\tevidence\n"


def reference(out: Path, seed: int) -> tuple[Path, list[RegionSequence]]:
    rng = np.random.default_rng(seed)
    sequences = [synthesize_region_sequence(region, rng) for region in demo_regions()]
    fasta = out / "reference" / "GRCh38_bench.fa.gz"
    if not Path(f"{fasta}.gzi").exists():
        write_reference(fasta, sequences)
    return fasta, sequences


def variant_keys(sequences: list[RegionSequence], n: int, rng: random.Random) -> list[str]:
    """``n`` distinct SNVs whose REF is the reference base."""
    keys: set[str] = set()
    while len(keys) < n:
        region = rng.choice(sequences)
        pos = rng.randint(region.region.start_1based, region.region.end_1based)
        ref = region.base_at(pos)
        keys.add(f"{region.chrom}-{pos}-{ref}-{rng.choice([b for b in 'ACGT' if b != ref])}")
    return sorted(keys)


def exports(keys: list[str], n_assertions: int, rng: random.Random) -> dict[str, list[tuple[str, str, str]]]:
    """Per department: (variant, class, criteria) rows until ``n_assertions`` rows exist in all."""
    rows: dict[str, list[tuple[str, str, str]]] = {d: [] for d in DEPARTMENTS}
    total = 0
    for key in keys:
        group = rng.choices(list(GROUP_WEIGHTS), weights=list(GROUP_WEIGHTS.values()))[0]
        n_departments = rng.choices(range(1, 6), weights=N_DEPARTMENTS_WEIGHTS)[0]
        for department in rng.sample(DEPARTMENTS, n_departments):
            own = group if rng.random() < AGREE else rng.choice([g for g in GROUP_WEIGHTS if g != group])
            acmg_class = rng.choice(CLASSES_BY_GROUP[own])
            rows[department].append((key, acmg_class, rng.choice(CLASS_CRITERIA[acmg_class])))
            total += 1
            if total >= n_assertions:
                return rows
    return rows


def write_exports(folder: Path, rows: dict[str, list[tuple[str, str, str]]], round_number: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for department, department_rows in rows.items():
        path = folder / f"{department}-round{round_number}.tsv"
        with path.open("w") as out:
            out.write(HEADER)
            for key, acmg_class, criteria in department_rows:
                gene, condition, condition_id = GENE_OF[key.split("-")[0]]
                out.write(
                    f"{key}\t{acmg_class}\t{condition}\t{condition_id}\tAD\t{criteria}\t2024-0{1 + round_number % 9}-15"
                    f"\t{gene}\tbench\tround {round_number}\n"
                )
        paths[department] = path
    return paths


def reclassified(
    rows: dict[str, list[tuple[str, str, str]]], rng: random.Random
) -> dict[str, list[tuple[str, str, str]]]:
    """Every row with another class (so every row becomes a new version)."""
    changed: dict[str, list[tuple[str, str, str]]] = {}
    for department, department_rows in rows.items():
        changed[department] = []
        for key, acmg_class, _ in department_rows:
            other = rng.choice([c for c in CLASS_CRITERIA if c != acmg_class])
            changed[department].append((key, other, rng.choice(CLASS_CRITERIA[other])))
    return changed


def peer_insert(rows: dict[str, list[tuple[str, str, str]]], workdir: Path) -> float:
    """The floor: the same rows into a bare SQLite table (one transaction, executemany, no checks)."""
    path = workdir / "peer.sqlite"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE v (department TEXT, variant_key TEXT, class TEXT, criteria TEXT, recorded_at TEXT)")
    started = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO v VALUES (?, ?, ?, ?, datetime('now'))",
            ((d, k, c, cr) for d, department_rows in rows.items() for k, c, cr in department_rows),
        )
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def build(args: argparse.Namespace, rng: random.Random, workdir: Path) -> tuple[Settings, list[float]]:
    """Steps 1–3: import, national view, fill to ``--versions``; return the settings and the fill rounds' seconds."""
    fasta, sequences = reference(args.out, args.seed)
    settings = Settings(home=workdir / "home", database_url=args.database_url)
    init_instance(settings)
    keys = variant_keys(sequences, int(args.assertions / 2.2) + 1, rng)
    rows = exports(keys, args.assertions, rng)
    n_rows = sum(len(r) for r in rows.values())
    paths = write_exports(workdir / "exports", rows, 0)
    print(
        f"{n_rows:,} assertions about {len({k for r in rows.values() for k, _, _ in r}):,} variants "
        f"from {len(DEPARTMENTS)} departments; catalog {settings.resolved_database_url().split(':')[0]}"
    )
    with Instance.open(settings) as instance:
        instance.add_reference("GRCh38", fasta)
        with ClassificationDatabase(instance) as database:
            for contig in ("chr10", "chr13", "chr19"):  # refget digests are computed once per reference
                database.resolver.accession(contig)
            started = time.perf_counter()
            for department, path in paths.items():
                database.import_file(department, path)
            import_seconds = time.perf_counter() - started
            peer_seconds = peer_insert(rows, workdir)
            counts = database.counts()
            print(
                f"import: {import_seconds:.1f} s ({n_rows / import_seconds:,.0f} assertions/s); bare SQLite insert of "
                f"the same rows {peer_seconds:.2f} s; ratio {import_seconds / peer_seconds:.0f}x "
                f"[{counts['conflicts']:,} conflict cases, {counts['crossings']:,} crossings]"
            )
            started = time.perf_counter()
            categories: dict[str, int] = {}
            for view in database.national_views():
                name = view.overall.category.value if view.overall.category else "none"
                categories[name] = categories.get(name, 0) + 1
            view_seconds = time.perf_counter() - started
            print(f"national view of {sum(categories.values()):,} variants: {view_seconds:.1f} s  {categories}")
            fill_seconds: list[float] = []
            while database.counts()["versions"] < args.versions:
                rows = reclassified(rows, rng)
                paths = write_exports(workdir / "exports", rows, len(fill_seconds) + 1)
                started = time.perf_counter()
                for department, path in paths.items():
                    database.import_file(department, path)
                fill_seconds.append(time.perf_counter() - started)
                print(
                    f"  round {len(fill_seconds)}: {database.counts()['versions']:,} versions "
                    f"({fill_seconds[-1]:.1f} s)",
                    file=sys.stderr,
                )
    if fill_seconds:
        print(f"re-import of {n_rows:,} reclassified assertions: mean {statistics.mean(fill_seconds):.1f} s per round")
    return settings, fill_seconds


def measure_lookups(settings: Settings, n_lookups: int, rng: random.Random) -> None:
    """Step 4: the as-of lookup of one variant at random moments of the stored history, and the bare SQL."""
    with Instance.open(settings) as instance, ClassificationDatabase(instance) as database:
        with instance.db.engine.connect() as connection:
            keys = [
                row[0] for row in connection.execute(text("SELECT DISTINCT variant_key FROM classification_assertions"))
            ]
            first, last = connection.execute(
                text("SELECT min(recorded_at), max(recorded_at) FROM classification_versions")
            ).one()
        n_versions = database.counts()["versions"]
        history_start, history_end = _moment(first), _moment(last)
        sample = rng.sample(sorted(keys), min(n_lookups, len(keys)))
        span = (history_end - history_start).total_seconds()
        moments = [history_start + dt.timedelta(seconds=rng.random() * span) for _ in sample]
        for key, moment in zip(sample[:50], moments[:50], strict=True):  # warm caches and the connection pool
            database.as_of(moment, variant=key)
        latencies = []
        cpu = []
        found = 0
        for key, moment in zip(sample, moments, strict=True):
            started, started_cpu = time.perf_counter(), time.thread_time()
            found += len(database.as_of(moment, variant=key))
            cpu.append((time.thread_time() - started_cpu) * 1000)
            latencies.append((time.perf_counter() - started) * 1000)
    peer = peer_lookups(settings, sample, moments)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(
        f"as-of lookup, one variant, {n_versions:,} versions stored: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(latencies):.2f} ms ({found / len(sample):.1f} assertions per answer, {len(sample):,} lookups); "
        f"CPU time p50 {percentile(cpu, 50):.2f} ms, p99 {percentile(cpu, 99):.2f} ms"
    )
    if peer is not None:
        peer_p50, peer_p99 = percentile(peer, 50), percentile(peer, 99)
        print(
            f"  peer (the same SQL through sqlite3, no genomdb): p50 {peer_p50:.3f} ms, p99 {peer_p99:.3f} ms; "
            f"ratio p50 {p50 / peer_p50:.1f}x, p99 {p99 / peer_p99:.1f}x"
        )
    print(f"p99 {'<' if p99 < 5 else '≥'} 5 ms target; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def _moment(value: object) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assertions", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=1_000_000, help="fill to this many versions for as-of")
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="catalog URL (default: SQLite in the bench home)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    parser.add_argument("--keep", action="store_true", help="keep the bench instance (its path is printed)")
    parser.add_argument(
        "--lookups-on", type=Path, default=None, help="only time as-of lookups on a kept bench instance home"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.lookups_on is not None:
        measure_lookups(Settings(home=args.lookups_on, database_url=args.database_url), args.lookups, rng)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="classify-", dir=args.out))
    settings, _ = build(args, rng, workdir)
    measure_lookups(settings, args.lookups, rng)
    if args.keep:
        print(f"kept: --lookups-on {settings.resolved_home()}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def peer_lookups(settings: Settings, keys: list[str], moments: list[dt.datetime]) -> list[float] | None:
    """The as-of SQL alone, on the same SQLite file and index (None on PostgreSQL)."""
    url = settings.resolved_database_url()
    if not url.startswith("sqlite:///"):
        return None
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    sql = (
        "SELECT v.*, a.assertion_id FROM classification_versions v "
        "JOIN classification_assertions a ON a.id = v.assertion_pk "
        "JOIN (SELECT assertion_pk, max(version) AS version FROM classification_versions "
        "      WHERE variant_key = ? AND recorded_at <= ? GROUP BY assertion_pk) m "
        "ON m.assertion_pk = v.assertion_pk AND m.version = v.version"
    )
    latencies = []
    for key, moment in zip(keys, moments, strict=True):
        bound = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        started = time.perf_counter()
        con.execute(sql, (key, bound)).fetchall()
        latencies.append((time.perf_counter() - started) * 1000)
    con.close()
    return latencies


if __name__ == "__main__":
    main()
