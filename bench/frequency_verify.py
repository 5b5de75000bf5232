"""Check a large release against bcftools on the counted samples' own gVCFs (the test does a 40-individual cohort).

    python bench/frequency.py --individuals 1000            # builds the release first
    python bench/frequency_verify.py --individuals 1000 --variants 5000 --positions 2000

Nothing of genomdb's harmonisation or release takes part on the bcftools side (tests/frequency/gvcf_oracle.py):
each counted sample's submitted file is normalised (``bcftools norm -m-any -f REF``), its genotypes failing the
filters are set missing (``+setGT``), all are merged with ``bcftools merge --gvcf REF -m all``, split again and
counted by ``+fill-tags`` (AC, AN, AC_Hom, AC_Hemi). Every compared variant must match the release's AC, AN,
2 × nhomalt and nhemi; AN at random positions between variants and at the bases beside every compared variant,
summed from the samples' own filtered records, must match the release's callable-AN track. A duplicated or
missing callable block shows up as an AN off by the sample's ploidy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
REPOSITORY = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--individuals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variants", type=int, default=0, help="compare this many random variants (0: all)")
    parser.add_argument("--positions", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0, help="bcftools pipelines at once (0: one per core)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    work = args.out / f"frequency-{args.individuals}-{args.seed}"
    if not (work / "home").exists():
        sys.exit(f"no release at {work}: run bench/frequency.py --individuals {args.individuals} first")
    sys.path.insert(0, str(REPOSITORY))  # the bcftools route lives with the tests that use it on a small cohort
    from tests.frequency.gvcf_oracle import compare_release

    from genomdb.config import Settings
    from genomdb.instance import Instance

    scratch = work / "verify"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    started = time.perf_counter()
    with Instance.open(Settings(home=work / "home")) as instance:
        comparison = compare_release(
            instance,
            scratch,
            max_variants=args.variants or None,
            n_positions=args.positions,
            workers=args.workers or os.cpu_count() or 1,
        )
    for mismatch in comparison.mismatches[:20]:
        print(f"mismatch {mismatch.what}: release {mismatch.release} vs bcftools {mismatch.bcftools}")
    print(
        f"{comparison.release_id}: {comparison.n_variants:,} variants (AC, AN, 2×nhomalt, nhemi) and AN at "
        f"{comparison.n_positions:,} positions × {comparison.n_samples:,} samples compared with bcftools on the "
        f"source gVCFs: {len(comparison.mismatches)} mismatch(es) ({time.perf_counter() - started:.0f} s)"
    )
    shutil.rmtree(scratch, ignore_errors=True)
    if comparison.mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
