"""A release against bcftools on the counted samples' own gVCFs (tests/frequency/gvcf_oracle.py): every variant's
AC, AN, 2 × nhomalt and nhemi, and AN at positions between variants and beside every variant, must agree. Unlike
a check against genomdb's own batch, this catches harmonisation errors such as a duplicated callable block."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest
from tests.frequency.gvcf_oracle import AdjFilters, compare_release, filtered_samples, release_sources, variant_counts

from genomdb.config import Settings
from genomdb.demo import generate_demo
from genomdb.demo.load import load_demo
from genomdb.frequency.publish import build_release, open_release
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance, init_instance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools is not installed"),
]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A 40-individual demo cohort with chrX, submitted, harmonised on two workers and released."""
    root = tmp_path_factory.mktemp("source-gvcfs")
    cohort = generate_demo(
        root / "cohort", n_individuals=40, seed=3, region_length_bp=100_000, n_read_samples=0, sex_chromosomes=True
    )
    settings = Settings(home=root / "home")
    init_instance(settings)
    with Instance.open(settings) as instance:
        load_demo(instance, cohort)
        harmonize(instance, workers=2)
        build_release(instance)
    return settings


def test_release_equals_bcftools_on_the_source_gvcfs(released: Settings, tmp_path: Path) -> None:
    with Instance.open(released) as instance:
        comparison = compare_release(instance, tmp_path, n_positions=1_500)
    assert comparison.n_samples >= 30 and comparison.n_variants > 500 and comparison.n_positions > 2_000
    assert comparison.mismatches == (), comparison.mismatches[:10]
    with Instance.open(released) as instance:
        sampled = compare_release(instance, tmp_path / "sampled", max_variants=150, n_positions=100)
    assert 150 <= sampled.n_variants < comparison.n_variants and sampled.mismatches == ()


def test_the_route_sees_the_genotype_filters(released: Settings, tmp_path: Path) -> None:
    """Without the filters bcftools counts differently at some variants: the comparison is not vacuous."""
    with Instance.open(released) as instance:
        _, manifest = open_release(instance)
        reference = instance.require_reference("GRCh38")
        with ExitStack() as stack:
            sources = release_sources(instance, manifest, tmp_path, stack)
            strict = filtered_samples(sources, reference, tmp_path / "strict", AdjFilters(), workers=2)
            lax = filtered_samples(sources, reference, tmp_path / "lax", AdjFilters(0, 0, 0.0), workers=2)
            with_filters = variant_counts(strict, reference, tmp_path / "strict")
            without = variant_counts(lax, reference, tmp_path / "lax")
    differing = [key for key in with_filters if without.get(key) != with_filters[key]]
    assert len(differing) > 10
    assert all(without[key].allele_number >= with_filters[key].allele_number for key in with_filters)
