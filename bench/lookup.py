"""Benchmark: single-variant look-up latency in a release vs the tabix-indexed merged VCF, in the same run.

    python bench/frequency.py --individuals 5000   # builds the release and merged.vcf.gz first
    python bench/lookup.py --individuals 5000

Draws 10,000 random variant keys (90% present in the release, 10% absent at covered positions) and times:

* genomdb ``FrequencyDatabase.lookup_variant`` in-process, public tier (parse, memory-mapped index, disclosure);
* the same keys with pysam ``VariantFile.fetch`` on the merged, tabix-indexed VCF (in-process; the fair peer);
* ``bcftools view -r chrom:pos | bcftools query`` on the same file as a user would run it (a subprocess per
  look-up; 300 keys, since each costs a process start).

Prints p50/p99/mean in milliseconds, ratios, and the peak memory of this process.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pysam

from genomdb.config import Settings
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.instance import Instance

OUT = Path(__file__).parent / "out"


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    p50 = ordered[len(ordered) // 2] / 1e6
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6
    return p50, p99, sum(ordered) / len(ordered) / 1e6


def draw_keys(release: Path, n: int, seed: int) -> list[tuple[str, int, str, str]]:
    table = pq.read_table(release / "variants.parquet", columns=["chrom", "pos", "ref", "alt"])
    rows = list(zip(*(table.column(c).to_pylist() for c in ("chrom", "pos", "ref", "alt")), strict=True))
    rng = random.Random(seed)
    keys = []
    for _ in range(n):
        chrom, pos, ref, alt = rng.choice(rows)
        if rng.random() < 0.1:
            alt = "ACGTTGCA"
        keys.append((chrom, pos, ref, alt))
    return keys


def time_ours(database: FrequencyDatabase, keys: list[tuple[str, int, str, str]]) -> list[int]:
    timings = []
    for chrom, pos, ref, alt in keys:
        started = time.perf_counter_ns()
        database.lookup_variant(f"{chrom}-{pos}-{ref}-{alt}")
        timings.append(time.perf_counter_ns() - started)
    return timings


def time_pysam(vcf: Path, keys: list[tuple[str, int, str, str]]) -> list[int]:
    timings = []
    with pysam.VariantFile(str(vcf)) as merged:
        for chrom, pos, ref, alt in keys:
            started = time.perf_counter_ns()
            for record in merged.fetch(chrom, pos - 1, pos):
                if record.pos == pos and record.ref == ref and alt in (record.alts or ()):
                    _ = (record.info.get("AC"), record.info.get("AN"))
                    break
            timings.append(time.perf_counter_ns() - started)
    return timings


def time_bcftools(vcf: Path, keys: list[tuple[str, int, str, str]]) -> list[int]:
    timings = []
    for chrom, pos, ref, alt in keys:
        started = time.perf_counter_ns()
        subprocess.run(
            f'bcftools view -r {chrom}:{pos} -i \'REF="{ref}" && ALT="{alt}"\' {vcf} -Ou '
            "| bcftools query -f '%AC\\t%AN\\n'",
            shell=True,
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter_ns() - started)
    return timings


def write_sites_vcf(release: Path, out: Path) -> Path:
    """The release's sites with AC/AN/AF (stratum all) as a bgzipped, tabix-indexed VCF: the peer file when no
    merged multi-sample VCF could be built. Without genotype columns it is the fastest case for tabix."""
    from genomdb.refdata.builds import get_build

    table = pq.read_table(release / "variants.parquet", columns=["chrom", "pos", "ref", "alt", "ac_all", "an_all"])
    chroms = set(table.column("chrom").to_pylist())
    header = pysam.VariantHeader()
    for contig in get_build("GRCh38").contigs:
        if contig.name in chroms:
            header.contigs.add(contig.name, length=contig.length)
    header.add_line('##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">')
    header.add_line('##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">')
    header.add_line('##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">')
    plain = out.with_suffix("")
    with plain.open("w") as handle:
        handle.write(str(header) + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for row in table.to_pylist():
            af = row["ac_all"] / row["an_all"] if row["an_all"] else 0.0
            handle.write(
                f"{row['chrom']}\t{row['pos']}\t.\t{row['ref']}\t{row['alt']}\t.\tPASS\t"
                f"AC={row['ac_all']};AN={row['an_all']};AF={af:.6g}\n"
            )
    pysam.tabix_index(str(plain), preset="vcf", force=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    work = args.out / f"frequency-{args.individuals}-{args.seed}"
    merged = work / "merged.vcf.gz"
    if not (work / "home").exists():
        sys.exit(f"no release at {work}: run bench/frequency.py --individuals {args.individuals} first")
    with Instance.open(Settings(home=work / "home")) as instance:
        started = time.perf_counter()
        database = FrequencyDatabase(instance)
        opened = time.perf_counter() - started
        keys = draw_keys(database.release.path, args.lookups, args.seed)
        time_ours(database, keys[:200])
        ours = percentiles(time_ours(database, keys))
        database.close()
    print(
        f"release {database.release_id}: {database.release.n_samples:,} samples, "
        f"{database.release.n_variants:,} variants; opened in {opened * 1e3:.1f} ms"
    )
    print(f"{'':52}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    print(
        f"{'genomdb lookup_variant (public tier), ' + str(len(keys)) + ' keys':52}" + "".join(f"{v:9.3f}" for v in ours)
    )
    peak_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not Path(f"{merged}.tbi").exists():
        print(
            f"no indexed {merged} (the peer of bench/frequency.py was skipped or stopped): the peer file is the "
            "release's sites as a tabix-indexed VCF (AC/AN/AF, no genotype columns: the fastest case for tabix)"
        )
        merged = write_sites_vcf(database.release.path, work / "sites.vcf.gz")
    if Path(f"{merged}.tbi").exists():
        peer = percentiles(time_pysam(merged, keys))
        print(f"{'pysam fetch on tabix-indexed ' + merged.name:52}" + "".join(f"{v:9.3f}" for v in peer))
        cli = percentiles(time_bcftools(merged, keys[:300]))
        print(f"{'bcftools view -r | query (subprocess), 300 keys':52}" + "".join(f"{v:9.3f}" for v in cli))
        print(f"ratio p99 genomdb / pysam tabix: {ours[1] / peer[1]:.3f}x; genomdb / bcftools: {ours[1] / cli[1]:.4f}x")
    else:
        print(f"(no indexed {merged}: the peer of bench/frequency.py was skipped or stopped)")
    verdict = "met" if ours[1] < 5 else "NOT met"
    print(f"target p99 < 5 ms: {verdict}; peak memory after genomdb look-ups {peak_ours:.0f} MB")


if __name__ == "__main__":
    main()
