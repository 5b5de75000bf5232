"""Check a large release against `bcftools +fill-tags` on random sites (the test does every site of a small cohort).

    python bench/frequency.py --individuals 5000            # builds the release first
    python bench/frequency_verify.py --individuals 5000 --sites 2000

For K random variants of the newest release, DuckDB writes the genotypes of every counted sample straight from the
variant-store batches as a multi-sample VCF — a passing call gives its genotype, a callable block without a call
gives hom-ref (haploid for XY outside the PARs), anything else is missing, so the genotype filters are applied as
missing calls — and `bcftools +fill-tags -d -t AC,AN,AC_Hom,AC_Hemi` counts them. Every site must match the
release's AC, AN, 2 × nhomalt and nhemi (nhemi is skipped at sites with a half-missing call, which bcftools counts
as hemizygous).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.config import Settings
from genomdb.frequency.inputs import harmonised_inputs
from genomdb.frequency.publish import open_release
from genomdb.frequency.strata import hemizygous_sql
from genomdb.instance import Instance

OUT = Path(__file__).parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    work = args.out / f"frequency-{args.individuals}-{args.seed}"
    if not (work / "home").exists():
        sys.exit(f"no release at {work}: run bench/frequency.py --individuals {args.individuals} first")
    started = time.perf_counter()
    with Instance.open(Settings(home=work / "home")) as instance:
        info, manifest = open_release(instance)
        batches, _ = harmonised_inputs(instance)
    counted = manifest.samples
    con = duckdb.connect()
    con.register(
        "counted_arrow",
        pa.table(
            {
                "sample_id": [s.sample_id for s in counted],
                "ord": list(range(len(counted))),
                "xy": [s.labels.sex == "XY" for s in counted],
            }
        ),
    )
    con.execute("CREATE TABLE counted AS SELECT * FROM counted_arrow")
    calls = ", ".join(f"'{b.calls_glob}'" for b in batches)
    blocks = ", ".join(f"'{b.blocks_glob}'" for b in batches)
    con.execute(
        f"""CREATE TABLE sites AS SELECT chrom, pos, ref, alt, ac_all, an_all, nhomalt_all, nhemi_all
            FROM read_parquet('{info.path / "variants.parquet"}') USING SAMPLE {args.sites} ROWS (reservoir, 7)
            ORDER BY chrom, pos, ref, alt"""
    )
    hemi = hemizygous_sql("s.chrom", "s.pos")
    con.execute(
        f"""CREATE TABLE genotypes AS
        WITH c AS (SELECT * FROM read_parquet([{calls}], hive_partitioning = true) WHERE passes),
             b AS (SELECT * FROM read_parquet([{blocks}], hive_partitioning = true)),
             grid AS (SELECT s.chrom, s.pos, s.ref, s.alt, k.sample_id, k.ord, k.xy AND {hemi} AS haploid
                      FROM sites AS s CROSS JOIN counted AS k),
             covered AS (SELECT g.chrom, g.pos, b.sample_id, max(b.callable_alleles) AS alleles
                         FROM (SELECT DISTINCT chrom, pos FROM sites) AS g
                         JOIN b ON b.chrom = g.chrom AND g.pos BETWEEN b.start_1based AND b.end_1based
                         JOIN counted AS k ON k.sample_id = b.sample_id
                         GROUP BY ALL)
        SELECT g.chrom, g.pos, g.ref, g.alt, g.ord,
               CASE
                 WHEN c.sample_id IS NOT NULL THEN
                   CASE WHEN c.alt_count = 2 THEN '1/1' WHEN c.called_alleles = 2 THEN '0/1'
                        WHEN g.haploid THEN '1' ELSE './1' END
                 WHEN v.alleles = 2 THEN '0/0'
                 WHEN v.alleles = 1 THEN CASE WHEN g.haploid THEN '0' ELSE './0' END
                 ELSE CASE WHEN g.haploid THEN '.' ELSE './.' END
               END AS gt
        FROM grid AS g
        LEFT JOIN c ON c.chrom = g.chrom AND c.pos = g.pos AND c.ref = g.ref AND c.alt = g.alt
                   AND c.sample_id = g.sample_id
        LEFT JOIN covered AS v ON v.chrom = g.chrom AND v.pos = g.pos AND v.sample_id = g.sample_id"""
    )
    lines = con.execute(
        """SELECT chrom || chr(9) || pos || chr(9) || '.' || chr(9) || ref || chr(9) || alt
                  || chr(9) || '.' || chr(9) || '.' || chr(9) || '.' || chr(9) || 'GT' || chr(9)
                  || string_agg(gt, chr(9) ORDER BY ord),
                  bool_or(gt = './1')
           FROM genotypes GROUP BY chrom, pos, ref, alt ORDER BY chrom, pos, ref, alt"""
    ).fetchall()
    contigs = sorted({line.split("\t", 1)[0] for line, _ in lines})
    vcf = work / "verify.vcf"
    with vcf.open("w") as handle:
        handle.write("##fileformat=VCFv4.2\n")
        handle.write("".join(f"##contig=<ID={c}>\n" for c in contigs))
        handle.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        names = "\t".join(f"S{s.sample_id:07d}" for s in counted)
        handle.write(f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{names}\n")
        handle.write("\n".join(line for line, _ in lines) + "\n")
    filled = subprocess.run(
        f"bcftools +fill-tags {vcf} -- -d -t AC,AN,AC_Hom,AC_Hemi "
        "| bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\t%AC_Hom\\t%AC_Hemi\\n'",
        shell=True,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    half_missing = {tuple(line.split("\t", 5)[:5]) for line, flag in lines if flag}
    expected = {
        (chrom, int(pos), ref, alt): (ac, an, hom, hemi)
        for chrom, pos, ref, alt, ac, an, hom, hemi in con.execute(
            "SELECT chrom, pos, ref, alt, ac_all, an_all, 2 * nhomalt_all, nhemi_all FROM sites"
        ).fetchall()
    }
    mismatches = 0
    for row in filled.splitlines():
        chrom, pos, ref, alt, ac, an, hom, hemi = row.split("\t")
        key = (chrom, int(pos), ref, alt)
        ours = expected[key]
        theirs = (int(ac), int(an), int(hom), int(hemi))
        same = ours[:3] == theirs[:3] and (ours[3] == theirs[3] or (chrom, pos, ".", ref, alt) in half_missing)
        if not same:
            mismatches += 1
            if mismatches <= 10:
                print(f"mismatch {key}: release {ours} vs bcftools {theirs}")
    print(
        f"{info.release_id}: {len(expected):,} random sites × {len(counted):,} samples compared with bcftools "
        f"+fill-tags: {mismatches} mismatch(es) ({time.perf_counter() - started:.0f} s)"
    )
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
