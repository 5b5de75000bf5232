"""The demo cohort: people in families, spread over departments, with genomes simulated by msprime.

Founders' haplotypes come from a coalescent simulation under a human-like demography (Ne ≈ 10⁴ growing
exponentially to ≈ 10⁶ over the last 600 generations), one simulation per region. Trio children and sibling pairs
inherit their haplotypes from their parents by Mendelian transmission with crossovers; on chrX outside the
pseudoautosomal regions a son inherits his mother's X only and XY people carry one haplotype. Every allele is
written against the synthetic reference: REF is the reference base, and a small share of sites are turned into
short indels, mostly in homopolymers and tandem repeats, a few of them deliberately not left-aligned.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

import msprime
import numpy as np
import numpy.typing as npt
import tskit

from genomdb.catalog.seed import DANISH_DEPARTMENTS
from genomdb.demo.reference import RegionSequence
from genomdb.demo.regions import GenomicRegion
from genomdb.pseudonyms import DeclaredSex, parse_cpr

ANCESTRAL_POPULATION_SIZE = 10_000
PRESENT_POPULATION_SIZE = 1_000_000
GROWTH_GENERATIONS = 400
"""Exponential growth from 10⁴ to 10⁶ over the last ~400 generations: ~33% singletons at n=200 (with its
trios and siblings), ~45% at n=1000, against ~10-15% for a constant-size population."""
MUTATION_RATE = 1.25e-8
RECOMBINATION_RATE = 1e-8
CROSSOVERS_PER_MEIOSIS = 1.0
"""Mean crossovers per region per meiosis; far above the real ~0.01/Mb so that children show recombination."""

TRIO_FRACTION = 0.08
SIBLING_PAIR_FRACTION = 0.05
PLAIN_VCF_FRACTION = 0.10
RESEARCH_OPT_OUT_FRACTION = 0.04
INDEL_FRACTION = 0.10
INDEL_IN_REPEAT_FRACTION = 0.6
SHIFTED_INDEL_FRACTION = 0.25
"""Share of repeat indels written right-shifted instead of left-aligned, for the normaliser to fix."""

_DEPARTMENT_WEIGHTS = {
    "RH-KG": 0.22,
    "RH-GM": 0.10,
    "RSJ-KG": 0.12,
    "RSD-KG-OUH": 0.15,
    "RSD-KG-VEJ": 0.09,
    "RM-KG": 0.19,
    "RN-KG": 0.13,
}
_INDEL_LENGTHS = np.arange(1, 7)
_INDEL_LENGTH_WEIGHTS = np.array([0.45, 0.2, 0.12, 0.1, 0.07, 0.06])
_NUCLEOTIDES = "ACGT"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
AlleleMatrix = npt.NDArray[np.int8]


class Role(StrEnum):
    """A person's place in their family."""

    UNRELATED = "unrelated"
    MOTHER = "mother"
    FATHER = "father"
    CHILD = "child"
    SIBLING = "sibling"


CallFormat = Literal["gvcf", "vcf"]


@dataclass(frozen=True, slots=True)
class Person:
    """One individual of the demo cohort and the sample taken from them.

    ``genome_index`` indexes the simulation's genomes: cohort members first (equal to ``index``), then the
    unsampled parents of sibling pairs. ``mother_genome``/``father_genome`` are set for children and siblings.
    """

    index: int
    individual_id: str
    sample_id: str
    department: str
    role: Role
    family_id: str | None
    declared_sex: DeclaredSex
    birth_date: dt.date
    cpr: str = field(repr=False)
    collection_date: dt.date
    call_format: CallFormat
    research_opt_out: bool
    short_reads: bool
    long_reads: bool
    mother_genome: int | None = None
    father_genome: int | None = None
    relatives: tuple[tuple[str, int], ...] = ()
    """(relation, person index) pairs: what the other person is to this one (mother/father/sibling/child)."""
    chromosomal_sex: DeclaredSex | None = None
    """Set only for a deliberate mismatch: the sex of the simulated sex chromosomes, unlike the declared one."""
    does_not_want_to_know: bool = False
    """The person does not want to know of early-detection findings (stated in the manifest)."""

    @property
    def xy(self) -> bool:
        """The person's simulated genome has one X (and a Y)."""
        return (self.chromosomal_sex or self.declared_sex) is DeclaredSex.MALE


@dataclass(frozen=True, eq=False)
class RegionVariants:
    """The cohort's true genotypes in one region.

    ``positions`` are 1-based and sorted; ``alleles[i][0]`` is the REF of site ``i`` (matching the synthetic
    reference) and ``haplotypes[2 * person + h, i]`` the allele index person ``person`` carries on haplotype
    ``h``. ``left_aligned[i]`` is False for the indels deliberately written right-shifted.
    """

    region: GenomicRegion
    positions: IntArray
    alleles: tuple[tuple[str, ...], ...]
    haplotypes: AlleleMatrix
    left_aligned: npt.NDArray[np.bool_]

    @property
    def n_sites(self) -> int:
        return int(self.positions.size)

    def allele_counts(self) -> IntArray:
        """Non-reference allele count per site over all cohort haplotypes."""
        return np.asarray((self.haplotypes > 0).sum(axis=0, dtype=np.int64))

    def ref_ends(self) -> IntArray:
        """Last reference base (1-based) each site's REF covers."""
        return self.positions + np.fromiter((len(a[0]) for a in self.alleles), np.int64, self.n_sites) - 1

    def n_indel_sites(self) -> int:
        return sum(1 for a in self.alleles if any(len(x) != len(a[0]) for x in a))


@dataclass(frozen=True, slots=True)
class CohortPlan:
    """Who is in the cohort; ``n_genomes`` counts the simulated genomes (cohort plus unsampled parents)."""

    people: tuple[Person, ...]
    n_genomes: int

    @property
    def founders(self) -> tuple[int, ...]:
        """Genome indices whose haplotypes come straight from the coalescent simulation."""
        inherited = {p.index for p in self.people if p.mother_genome is not None}
        return tuple(g for g in range(self.n_genomes) if g not in inherited)


def human_demography(
    *,
    ancestral_size: float = ANCESTRAL_POPULATION_SIZE,
    present_size: float = PRESENT_POPULATION_SIZE,
    growth_generations: float = GROWTH_GENERATIONS,
) -> msprime.Demography:
    """One population of constant ``ancestral_size`` that grows exponentially to ``present_size``."""
    demography = msprime.Demography()
    growth_rate = math.log(present_size / ancestral_size) / growth_generations
    demography.add_population(name="demo", initial_size=present_size, growth_rate=growth_rate)
    demography.add_population_parameters_change(
        time=growth_generations, initial_size=ancestral_size, growth_rate=0, population="demo"
    )
    return demography


def simulate_region(
    region: GenomicRegion, n_diploids: int, *, seed: int, demography: msprime.Demography | None = None
) -> tskit.TreeSequence:
    """Coalescent ancestry and JC69 mutations (discrete genome) for ``n_diploids`` people over one region."""
    ancestry = msprime.sim_ancestry(
        samples=n_diploids,
        demography=demography if demography is not None else human_demography(),
        sequence_length=region.length_bp,
        recombination_rate=RECOMBINATION_RATE,
        random_seed=seed,
    )
    return msprime.sim_mutations(ancestry, rate=MUTATION_RATE, random_seed=seed + 1)


# --- people and families -------------------------------------------------------------------------------


def _random_date(rng: np.random.Generator, year: int) -> dt.date:
    first = dt.date(year, 1, 1)
    n_days = (dt.date(year + 1, 1, 1) - first).days
    return first + dt.timedelta(days=int(rng.integers(n_days)))


def _cpr_number(birth_date: dt.date, sex: DeclaredSex, rng: np.random.Generator, taken: set[str]) -> str:
    """A valid CPR-like number: real date, a 7th digit that gives the right century, parity for sex."""
    year = birth_date.year
    two_digit = year % 100
    if 1900 <= year <= 1999:
        sevenths = [0, 1, 2, 3] + ([4, 9] if two_digit >= 37 else [])
    elif 2000 <= year <= 2036:
        sevenths = [4, 9, 5, 6, 7, 8]
    elif 2037 <= year <= 2057:
        sevenths = [5, 6, 7, 8]
    else:
        raise ValueError("the demo only makes CPR numbers for people born 1900-2057")
    last_digits = [1, 3, 5, 7, 9] if sex is DeclaredSex.MALE else [0, 2, 4, 6, 8]
    while True:
        seventh = sevenths[int(rng.integers(len(sevenths)))]
        middle = int(rng.integers(100))
        last = last_digits[int(rng.integers(5))]
        cpr = f"{birth_date:%d%m}{two_digit:02d}-{seventh}{middle:02d}{last}"
        if cpr in taken:
            continue
        if parse_cpr(cpr) != (birth_date, sex):
            raise AssertionError("generated CPR number does not encode its birth date and sex")
        taken.add(cpr)
        return cpr


@dataclass(slots=True)
class _Draft:
    role: Role
    sex: DeclaredSex
    birth_date: dt.date
    family: int | None
    mother: int | None = None  # draft index, or a negative id of an unsampled parent
    father: int | None = None
    relatives: list[tuple[str, int]] = field(default_factory=list)


def _random_sex(rng: np.random.Generator) -> DeclaredSex:
    return DeclaredSex.MALE if rng.random() < 0.5 else DeclaredSex.FEMALE


def _family_units(n_individuals: int, rng: np.random.Generator) -> list[list[_Draft]]:
    """Trios, sibling pairs (parents not sampled) and unrelated people, drafted in an order to be shuffled."""
    n_trios = max(1, round(TRIO_FRACTION * n_individuals))
    n_pairs = max(1, round(SIBLING_PAIR_FRACTION * n_individuals))
    n_unrelated = n_individuals - 3 * n_trios - 2 * n_pairs
    if n_unrelated < 0:
        raise ValueError("the demo cohort needs at least 10 individuals")
    units: list[list[_Draft]] = []
    family = 0
    for _ in range(n_trios):
        child_year = int(rng.integers(1985, 2023))
        mother_year = child_year - int(rng.integers(20, 41))
        father_year = child_year - int(rng.integers(20, 41))
        units.append(
            [
                _Draft(Role.MOTHER, DeclaredSex.FEMALE, _random_date(rng, mother_year), family),
                _Draft(Role.FATHER, DeclaredSex.MALE, _random_date(rng, father_year), family),
                _Draft(Role.CHILD, _random_sex(rng), _random_date(rng, child_year), family),
            ]
        )
        family += 1
    for _ in range(n_pairs):
        first_year = int(rng.integers(1960, 2016))
        second_year = min(2023, first_year + int(rng.integers(1, 9)))
        units.append(
            [
                _Draft(Role.SIBLING, _random_sex(rng), _random_date(rng, first_year), family),
                _Draft(Role.SIBLING, _random_sex(rng), _random_date(rng, second_year), family),
            ]
        )
        family += 1
    for _ in range(n_unrelated):
        units.append([_Draft(Role.UNRELATED, _random_sex(rng), _random_date(rng, int(rng.integers(1935, 2016))), None)])
    return units


def _assign_departments(n_units: int, rng: np.random.Generator) -> list[str]:
    codes = [d.code for d in DANISH_DEPARTMENTS]
    weights = np.array([_DEPARTMENT_WEIGHTS.get(code, 1.0 / len(codes)) for code in codes])
    weights /= weights.sum()
    chosen = [codes[i % len(codes)] for i in range(min(n_units, len(codes)))]
    chosen += [codes[i] for i in rng.choice(len(codes), size=max(0, n_units - len(codes)), p=weights)]
    return chosen


def plan_cohort(
    n_individuals: int, rng: np.random.Generator, *, n_read_samples: int = 4, n_sex_mismatches: int = 0
) -> CohortPlan:
    """Draft the cohort: families and unrelated people, their departments, ids, CPR numbers and data types.

    Read data goes to one trio first (child, mother, father) and then to unrelated people; the last of them also
    gets an ONT long-read run. About 10% of unrelated people are delivered as plain VCFs instead of gVCFs.
    ``n_sex_mismatches`` unrelated gVCF people (the last ones) get a CPR number declaring the other sex than their
    simulated chromosomes have, as a data-entry error the sample QC must find.
    """
    units = _family_units(n_individuals, rng)
    order = rng.permutation(len(units))
    units = [units[i] for i in order]
    departments = _assign_departments(len(units), rng)
    department_order = {d.code: i for i, d in enumerate(DANISH_DEPARTMENTS)}
    placed = sorted(zip(departments, units, strict=True), key=lambda item: department_order[item[0]])

    drafts: list[_Draft] = []
    draft_department: list[str] = []
    n_unsampled_parents = 0
    for department, unit in placed:
        base = len(drafts)
        if unit[0].role is Role.MOTHER:
            mother, father, child = base, base + 1, base + 2
            unit[2].mother, unit[2].father = mother, father
            unit[2].relatives += [("mother", mother), ("father", father)]
            unit[0].relatives.append(("child", child))
            unit[1].relatives.append(("child", child))
        elif unit[0].role is Role.SIBLING:
            n_unsampled_parents += 2
            for offset, draft in enumerate(unit):
                draft.mother, draft.father = -(n_unsampled_parents - 1), -n_unsampled_parents
                draft.relatives.append(("sibling", base + 1 - offset))
        drafts.extend(unit)
        draft_department.extend([department] * len(unit))

    n_people = len(drafts)
    opt_out = set(
        rng.choice(n_people, size=max(1, round(RESEARCH_OPT_OUT_FRACTION * n_people)), replace=False).tolist()
    )
    unrelated = [i for i, d in enumerate(drafts) if d.role is Role.UNRELATED]
    trio_children = [i for i, d in enumerate(drafts) if d.role is Role.CHILD]
    readers: list[int] = []
    if trio_children:
        child = trio_children[0]
        readers += [child, *(p for p in (drafts[child].mother, drafts[child].father) if p is not None)]
    readers += unrelated[: max(0, n_read_samples - len(readers))]
    readers = readers[:n_read_samples]
    long_reader = readers[-1] if readers else None
    vcf_candidates = [i for i in unrelated if i not in readers]
    n_vcf = min(len(vcf_candidates), round(PLAIN_VCF_FRACTION * n_people))
    plain_vcf = set(rng.choice(vcf_candidates, size=n_vcf, replace=False).tolist()) if n_vcf else set()

    def genome(ref: int | None) -> int | None:
        if ref is None:
            return None
        return ref if ref >= 0 else n_people - ref - 1

    taken: set[str] = set()
    counters: dict[str, int] = {}
    people: list[Person] = []
    for index, (draft, department) in enumerate(zip(drafts, draft_department, strict=True)):
        counters[department] = counters.get(department, 0) + 1
        number = counters[department]
        earliest = max(dt.date(2019, 1, 1), draft.birth_date + dt.timedelta(days=30))
        collection = earliest + dt.timedelta(days=int(rng.integers(max(1, (dt.date(2024, 12, 31) - earliest).days))))
        people.append(
            Person(
                index=index,
                individual_id=f"{department}-I{number:04d}",
                sample_id=f"{department}-S{number:04d}",
                department=department,
                role=draft.role,
                family_id=f"F{draft.family:04d}" if draft.family is not None else None,
                declared_sex=draft.sex,
                birth_date=draft.birth_date,
                cpr=_cpr_number(draft.birth_date, draft.sex, rng, taken),
                collection_date=collection,
                call_format="vcf" if index in plain_vcf else "gvcf",
                research_opt_out=index in opt_out,
                short_reads=index in readers,
                long_reads=index == long_reader,
                mother_genome=genome(draft.mother),
                father_genome=genome(draft.father),
                relatives=tuple(draft.relatives),
            )
        )
    mismatched = [p.index for p in people if p.role is Role.UNRELATED and p.call_format == "gvcf" and not p.short_reads]
    for index in mismatched[::-1][:n_sex_mismatches]:
        person = people[index]
        declared = DeclaredSex.FEMALE if person.declared_sex is DeclaredSex.MALE else DeclaredSex.MALE
        people[index] = replace(
            person,
            declared_sex=declared,
            cpr=_cpr_number(person.birth_date, declared, rng, taken),
            chromosomal_sex=person.declared_sex,
        )
    return CohortPlan(tuple(people), n_people + n_unsampled_parents)


# --- genomes -------------------------------------------------------------------------------------------


def _founder_alleles(
    ts: tskit.TreeSequence, region: GenomicRegion, sequence: RegionSequence
) -> tuple[IntArray, list[tuple[str, ...]], AlleleMatrix]:
    """Site positions, alleles re-expressed against the reference base, and a (haplotype × site) matrix."""
    n_sites = ts.num_sites
    positions = np.empty(n_sites, dtype=np.int64)
    by_site = np.empty((n_sites, ts.num_samples), dtype=np.int8)
    alleles: list[tuple[str, ...]] = []
    for i, variant in enumerate(ts.variants()):
        pos = region.start_1based + int(variant.site.position)
        positions[i] = pos
        ref = sequence.base_at(pos)
        ancestral = variant.alleles[0]
        swap = {ancestral: ref, ref: ancestral}
        alleles.append(tuple(swap.get(a, a) for a in variant.alleles if a is not None))
        by_site[i] = variant.genotypes
    return positions, alleles, np.ascontiguousarray(by_site.T)


def _deletion_shifts(seq: bytes, first: int, length: int) -> tuple[int, int]:
    """Leftmost and rightmost 0-based start of an equivalent deletion of ``seq[first:first+length]``."""
    left = first
    while left - 1 >= 1 and seq[left - 1] == seq[left + length - 1]:
        left -= 1
    right = first
    while right + length < len(seq) and seq[right] == seq[right + length]:
        right += 1
    return left, right


def _insertion_shifts(seq: bytes, before: int, inserted: bytes) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """Leftmost and rightmost equivalent placement (insert-before index, inserted bases) of an insertion."""
    left, left_bases = before, inserted
    while left - 1 >= 1 and seq[left - 1] == left_bases[-1]:
        left_bases = left_bases[-1:] + left_bases[:-1]
        left -= 1
    right, right_bases = before, inserted
    while right < len(seq) and seq[right] == right_bases[0]:
        right_bases = right_bases[1:] + right_bases[:1]
        right += 1
    return (left, left_bases), (right, right_bases)


@dataclass(frozen=True, slots=True)
class _Indel:
    pos_1based: int
    ref: str
    alt: str
    span_start: int  # 1-based, inclusive: every base any equivalent representation touches
    span_end: int
    left_aligned: bool


def _make_indel(
    sequence: RegionSequence, anchor_1based: int, *, deleted: int = 0, inserted: bytes = b"", shifted: bool
) -> _Indel:
    """An indel right after ``anchor_1based`` deleting ``deleted`` bases or inserting ``inserted``.

    The representation is left-aligned, or right-shifted as far as it goes when ``shifted``; the span covers
    every base any equivalent representation touches.
    """
    seq = sequence.bases
    offset = sequence.start_1based
    first = anchor_1based - offset + 1
    if deleted:
        left, right = _deletion_shifts(seq, first, deleted)
        start = right if shifted else left
        ref = seq[start - 1 : start + deleted].decode("ascii")
        return _Indel(offset + start - 1, ref, ref[0], offset + left - 1, offset + right + deleted, left == start)
    (left, left_bases), (right, right_bases) = _insertion_shifts(seq, first, inserted)
    start, inserted = (right, right_bases) if shifted else (left, left_bases)
    anchor = seq[start - 1 : start].decode("ascii")
    return _Indel(
        offset + start - 1, anchor, anchor + inserted.decode("ascii"), offset + left - 1, offset + right, left == start
    )


def _inject_indels(
    positions: IntArray,
    alleles: list[tuple[str, ...]],
    sequence: RegionSequence,
    region: GenomicRegion,
    rng: np.random.Generator,
) -> npt.NDArray[np.bool_]:
    """Turn a share of biallelic sites into indels in place; return which sites are left-aligned."""
    left_aligned = np.ones(positions.size, dtype=np.bool_)
    occupied = np.zeros(len(sequence.bases) + 1, dtype=np.bool_)
    occupied[positions - sequence.start_1based] = True
    repeat_starts = np.array([t.start_1based for t in sequence.repeats], dtype=np.int64)
    used_repeats: set[int] = set()
    chosen = [i for i in range(positions.size) if len(alleles[i]) == 2 and rng.random() < INDEL_FRACTION]
    for i in chosen:
        pos = int(positions[i])
        occupied[pos - sequence.start_1based] = False
        candidates: list[_Indel] = []
        if rng.random() < INDEL_IN_REPEAT_FRACTION and repeat_starts.size:
            nearest = int(np.searchsorted(repeat_starts, pos))
            for j in (nearest, nearest - 1, nearest + 1, nearest - 2, nearest + 2):
                if 0 <= j < repeat_starts.size and j not in used_repeats:
                    tract = sequence.repeats[j]
                    n_units = 2 if tract.n_copies >= 4 and len(tract.unit) <= 3 and rng.random() < 0.2 else 1
                    unit = tract.unit.encode("ascii") * n_units
                    shifted = rng.random() < SHIFTED_INDEL_FRACTION
                    anchor = tract.start_1based - 1
                    if rng.random() < 0.55:
                        candidates.append(_make_indel(sequence, anchor, deleted=len(unit), shifted=shifted))
                    else:
                        candidates.append(_make_indel(sequence, anchor, inserted=unit, shifted=shifted))
                    used_repeats.add(j)
                    break
        if not candidates:
            length = int(rng.choice(_INDEL_LENGTHS, p=_INDEL_LENGTH_WEIGHTS))
            if rng.random() < 0.5:
                candidates.append(_make_indel(sequence, pos, deleted=length, shifted=False))
            else:
                inserted = bytes(rng.choice(list(b"ACGT"), size=length).astype(np.uint8))
                candidates.append(_make_indel(sequence, pos, inserted=inserted, shifted=False))
        indel = candidates[0]
        lo = indel.span_start - 1 - sequence.start_1based
        hi = indel.span_end + 1 - sequence.start_1based
        inside = region.start_1based < indel.span_start and indel.span_end < region.end_1based
        if inside and not occupied[lo : hi + 1].any():
            occupied[lo : hi + 1] = True
            positions[i] = indel.pos_1based
            alleles[i] = (indel.ref, indel.alt)
            left_aligned[i] = indel.left_aligned
        else:
            occupied[pos - sequence.start_1based] = True
    return left_aligned


def _transmit(
    parent: AlleleMatrix, positions: IntArray, region: GenomicRegion, rng: np.random.Generator
) -> AlleleMatrix:
    """One gamete from a parent's two haplotypes (rows), with Poisson-many uniformly placed crossovers."""
    n_crossovers = int(rng.poisson(CROSSOVERS_PER_MEIOSIS))
    breakpoints = np.sort(rng.integers(region.start_1based, region.end_1based + 1, size=n_crossovers))
    first = int(rng.integers(2))
    which = (first + np.searchsorted(breakpoints, positions, side="right")) % 2
    gamete: AlleleMatrix = np.where(which == 0, parent[0], parent[1]).astype(np.int8)
    return gamete


def _drop_unused_alleles(
    positions: IntArray, alleles: list[tuple[str, ...]], haplotypes: AlleleMatrix, left_aligned: npt.NDArray[np.bool_]
) -> tuple[IntArray, tuple[tuple[str, ...], ...], AlleleMatrix, npt.NDArray[np.bool_]]:
    """Remove alleles nobody in the cohort carries, and sites left without any non-reference allele."""
    max_alleles = max((len(a) for a in alleles), default=1)
    used = np.stack([(haplotypes == k).any(axis=0) for k in range(max_alleles)])
    keep: BoolArray = np.asarray(used[1:].any(axis=0), dtype=np.bool_)
    for i in np.flatnonzero(keep):
        n = len(alleles[i])
        if used[1:n, i].all():
            continue
        kept = [k for k in range(n) if k == 0 or used[k, i]]
        lookup = np.zeros(max_alleles, dtype=np.int8)
        lookup[kept] = np.arange(len(kept), dtype=np.int8)
        haplotypes[:, i] = lookup[haplotypes[:, i]]
        alleles[i] = tuple(alleles[i][k] for k in kept)
    return (
        positions[keep],
        tuple(alleles[i] for i in np.flatnonzero(keep)),
        np.ascontiguousarray(haplotypes[:, keep]),
        left_aligned[keep],
    )


def _xy_genomes(plan: CohortPlan) -> BoolArray:
    """Which simulated genomes have one X: cohort members by chromosomal sex, unsampled fathers of siblings."""
    xy = np.zeros(plan.n_genomes, dtype=np.bool_)
    for person in plan.people:
        xy[person.index] = person.xy
        if person.father_genome is not None and person.father_genome >= len(plan.people):
            xy[person.father_genome] = True
    return xy


FounderSites = tuple[IntArray, list[tuple[str, ...]], AlleleMatrix, BoolArray]
Planter = Callable[[IntArray, list[tuple[str, ...]], AlleleMatrix, BoolArray], FounderSites]
"""A hook that changes founders' sites before inheritance (the demo plants PGx star alleles with one)."""


def simulate_region_variants(
    plan: CohortPlan, region: GenomicRegion, sequence: RegionSequence, *, seed: int, plant: Planter | None = None
) -> RegionVariants:
    """The cohort's genotypes in one region: founders from msprime, children by Mendelian transmission.

    In an X-linked region XY genomes carry their X as the first haplotype and nothing (reference) as the second;
    a son inherits a recombined maternal X, a daughter her father's only X.
    """
    founders = plan.founders
    ts = simulate_region(region, len(founders), seed=seed)
    positions, alleles, founder_haplotypes = _founder_alleles(ts, region, sequence)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    left_aligned = _inject_indels(positions, alleles, sequence, region, rng)
    if plant is not None:
        positions, alleles, founder_haplotypes, left_aligned = plant(
            positions, alleles, founder_haplotypes, left_aligned
        )
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    alleles = [alleles[i] for i in order]
    left_aligned = left_aligned[order]
    founder_haplotypes = founder_haplotypes[:, order]

    xy = _xy_genomes(plan) if region.x_linked else np.zeros(plan.n_genomes, dtype=np.bool_)
    genomes = np.zeros((2 * plan.n_genomes, positions.size), dtype=np.int8)
    for k, genome in enumerate(founders):
        genomes[2 * genome : 2 * genome + 2] = founder_haplotypes[2 * k : 2 * k + 2]
        if xy[genome]:
            genomes[2 * genome + 1] = 0
    for person in plan.people:
        if person.mother_genome is None or person.father_genome is None:
            continue
        mother = genomes[2 * person.mother_genome : 2 * person.mother_genome + 2]
        father = genomes[2 * person.father_genome : 2 * person.father_genome + 2]
        genomes[2 * person.index] = _transmit(mother, positions, region, rng)
        if not region.x_linked:
            genomes[2 * person.index + 1] = _transmit(father, positions, region, rng)
        elif not xy[person.index]:
            genomes[2 * person.index + 1] = father[0]
    cohort = genomes[: 2 * len(plan.people)]
    positions, kept_alleles, cohort, left_aligned = _drop_unused_alleles(positions, alleles, cohort, left_aligned)
    return RegionVariants(region, positions, kept_alleles, cohort, left_aligned)


def singleton_fraction(variants: Sequence[RegionVariants]) -> float:
    """Share of variable sites whose non-reference alleles occur exactly once in the cohort."""
    counts = np.concatenate([v.allele_counts() for v in variants])
    return float((counts == 1).mean()) if counts.size else 0.0
