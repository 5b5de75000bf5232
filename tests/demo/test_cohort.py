from __future__ import annotations

import datetime as dt

import msprime
import numpy as np
import pytest

from genomdb.demo.cohort import (
    CohortPlan,
    RegionVariants,
    Role,
    plan_cohort,
    simulate_region,
    simulate_region_variants,
    singleton_fraction,
)
from genomdb.demo.reference import RegionSequence, synthesize_region_sequence
from genomdb.demo.regions import demo_regions
from genomdb.pseudonyms import DeclaredSex, parse_cpr

DEPARTMENTS = {"RH-KG", "RH-GM", "RSJ-KG", "RSD-KG-OUH", "RSD-KG-VEJ", "RM-KG", "RN-KG"}


def test_plan_has_families_valid_cprs_and_every_department() -> None:
    plan = plan_cohort(200, np.random.default_rng(1))
    people = plan.people
    assert len(people) == 200
    assert {p.department for p in people} == DEPARTMENTS
    assert len({p.cpr for p in people}) == 200
    assert len({p.sample_id for p in people}) == 200
    roles = [p.role for p in people]
    assert roles.count(Role.CHILD) >= 10 and roles.count(Role.SIBLING) >= 10
    for person in people:
        assert parse_cpr(person.cpr) == (person.birth_date, person.declared_sex)
        assert person.sample_id.startswith(person.department + "-S")
        for relation, other_index in person.relatives:
            other = people[other_index]
            assert other.department == person.department and other.family_id == person.family_id
            if relation in ("mother", "father"):
                assert other.declared_sex is (DeclaredSex.FEMALE if relation == "mother" else DeclaredSex.MALE)
                assert 20 <= person.birth_date.year - other.birth_date.year <= 40
                assert ("child", person.index) in other.relatives
            if relation == "sibling":
                assert ("sibling", person.index) in other.relatives
    assert 1 <= sum(p.research_opt_out for p in people) <= 20
    assert 10 <= sum(p.call_format == "vcf" for p in people) <= 30
    readers = [p for p in people if p.short_reads]
    assert len(readers) == 4 and any(p.role is Role.CHILD for p in readers)
    assert sum(p.long_reads for p in people) == 1
    assert all(p.collection_date >= p.birth_date and p.collection_date <= dt.date(2024, 12, 31) for p in people)


def test_plan_refuses_a_cohort_too_small_for_families() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        plan_cohort(4, np.random.default_rng(1))


LdlrCase = tuple[CohortPlan, RegionSequence, RegionVariants]


@pytest.fixture(scope="module")
def ldlr_variants() -> LdlrCase:
    region = demo_regions(200_000)[2]
    sequence = synthesize_region_sequence(region, np.random.default_rng(2))
    plan = plan_cohort(60, np.random.default_rng(2))
    return plan, sequence, simulate_region_variants(plan, region, sequence, seed=9)


def test_alleles_match_the_reference(ldlr_variants: LdlrCase) -> None:
    _, sequence, variants = ldlr_variants
    assert variants.n_sites > 200
    assert np.all(np.diff(variants.positions) > 0)
    for pos, alleles in zip(variants.positions.tolist(), variants.alleles, strict=True):
        ref = alleles[0]
        assert sequence.fetch(pos, pos + len(ref) - 1) == ref
        assert len(set(alleles)) == len(alleles)
        if len(ref) > 1 or any(len(a) > 1 for a in alleles):
            assert len(alleles) == 2 and alleles[1][0] == ref[0]
    assert any(len(a) > 2 for a in variants.alleles), "expected some multi-allelic sites"


def test_indels_are_left_aligned_except_a_few_right_shifted(ldlr_variants: LdlrCase) -> None:
    _, _, variants = ldlr_variants
    n_indels = n_shifted = 0
    for alleles, left_aligned in zip(variants.alleles, variants.left_aligned.tolist(), strict=True):
        ref, alt = alleles[0], alleles[-1]
        if len(ref) == len(alt):
            continue
        n_indels += 1
        changed = ref[1:] if len(ref) > len(alt) else alt[1:]
        assert 1 <= len(changed) <= 8
        # An anchored indel can move one base to the left exactly when its anchor equals its last changed base.
        assert (ref[0] != changed[-1]) == left_aligned
        n_shifted += not left_aligned
    assert 0.04 < n_indels / variants.n_sites < 0.15
    assert 1 <= n_shifted < n_indels / 2


def test_children_inherit_one_haplotype_from_each_parent(ldlr_variants: LdlrCase) -> None:
    plan, _, variants = ldlr_variants
    haplotypes = variants.haplotypes
    for child in plan.people:
        if child.role is not Role.CHILD:
            continue
        assert child.mother_genome is not None and child.father_genome is not None
        for h, parent in enumerate((child.mother_genome, child.father_genome)):
            from_parent = haplotypes[2 * child.index + h]
            parent_rows = haplotypes[2 * parent : 2 * parent + 2]
            assert np.all((from_parent == parent_rows[0]) | (from_parent == parent_rows[1]))


@pytest.mark.slow
def test_growing_population_gives_many_singletons_and_sites() -> None:
    region = demo_regions()[2]
    sequence = synthesize_region_sequence(region, np.random.default_rng(4))
    plan = plan_cohort(200, np.random.default_rng(4))
    variants = simulate_region_variants(plan, region, sequence, seed=21)
    fraction = singleton_fraction([variants])
    constant = simulate_region(region, 200, seed=21, demography=msprime.Demography.isolated_model([10_000]))
    ratio = variants.n_sites / constant.num_sites
    spectrum = constant.allele_frequency_spectrum(polarised=True, span_normalise=False)
    constant_fraction = spectrum[1] / spectrum[1:-1].sum()
    print(
        f"n=200, 1 Mb: {variants.n_sites} sites, {fraction:.1%} singletons; "
        f"constant Ne: {constant.num_sites} sites, {constant_fraction:.1%} singletons"
    )
    assert fraction >= 0.30
    assert fraction >= 2 * constant_fraction
    assert ratio >= 1.3
