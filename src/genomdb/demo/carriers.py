"""Early-detection carriers planted in the demo cohort's families, at real ClinVar P/LP positions.

The demo reference is synthetic, so each planted variant keeps its real GRCh38 position and writes the synthetic
base there as REF (the real ALT, or another base when the synthetic REF happens to be the real ALT); a deletion is
written left-aligned on the synthetic sequence. The variants (ClinGen FH VCEP / ClinVar P/LP):

* LDLR NM_000527.5:c.81C>G p.(Cys27Trp), chr19:11100236 — Pathogenic (FH VCEP);
* LDLR NM_000527.5:c.1775G>A p.(Gly592Glu), chr19:11116928 — Pathogenic (FH VCEP);
* BRCA2 NM_000059.4:c.5946del p.(Ser1982ArgfsTer22) ("6174delT"), deleting chr13:32340301 — Pathogenic, a
  truncating founder variant.

Carriers follow Mendel: a trio's mother and her child (maternal haplotype) carry c.81C>G; one of a sibling pair
carries c.1775G>A, as does one unrelated person who does not want to know (never listed); a trio's father and
his child (paternal haplotype) carry the BRCA2 deletion. Families where someone opted out of research are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from genomdb.demo.cohort import CohortPlan, Person, RegionVariants, Role, _make_indel
from genomdb.demo.reference import RegionSequence


@dataclass(frozen=True, slots=True)
class PlantedVariant:
    gene: str
    chrom: str
    pos_1based: int
    """Real GRCh38 position (for a deletion: the anchor base before the deleted one)."""
    real_ref: str
    real_alt: str
    hgvs: str


PLANTED: tuple[PlantedVariant, ...] = (
    PlantedVariant("LDLR", "chr19", 11_100_236, "C", "G", "NM_000527.5:c.81C>G p.(Cys27Trp)"),
    PlantedVariant("LDLR", "chr19", 11_116_928, "G", "A", "NM_000527.5:c.1775G>A p.(Gly592Glu)"),
    PlantedVariant("BRCA2", "chr13", 32_340_300, "GT", "G", "NM_000059.4:c.5946del p.(Ser1982ArgfsTer22)"),
)


@dataclass(frozen=True, slots=True)
class Planting:
    """Who carries which planted variant: (variant index, person index, haplotype 0 maternal / 1 paternal)."""

    carriers: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True, slots=True)
class PlantedKey:
    """A planted variant as written into the demo's files: its key on the demo reference."""

    key: str
    gene: str
    hgvs: str


def _families(people: Sequence[Person], role: Role) -> list[list[Person]]:
    """Families with a member of ``role`` (MOTHER: trios, SIBLING: sibling pairs), none opted out of research."""
    by_family: dict[str, list[Person]] = {}
    for person in people:
        if person.family_id is not None:
            by_family.setdefault(person.family_id, []).append(person)
    return [
        sorted(members, key=lambda p: p.index)
        for _, members in sorted(by_family.items())
        if any(p.role is role for p in members) and not any(p.research_opt_out for p in members)
    ]


def plan_planting(plan: CohortPlan) -> tuple[CohortPlan, Planting]:
    """Choose the carriers (and the one person who does not want to know); the plan gets that person's flag."""
    people = list(plan.people)
    trios = [f for f in _families(people, Role.MOTHER) if len(f) == 3]
    pairs = [f for f in _families(people, Role.SIBLING) if len(f) == 2]
    carriers: list[tuple[int, int, int]] = []
    if trios:
        mother = next(p for p in trios[0] if p.role is Role.MOTHER)
        child = next(p for p in trios[0] if p.role is Role.CHILD)
        carriers += [(0, mother.index, 0), (0, child.index, 0)]
        last = trios[-1]
        father = next(p for p in last if p.role is Role.FATHER)
        child = next(p for p in last if p.role is Role.CHILD)
        carriers += [(2, father.index, 0), (2, child.index, 1)]
    if pairs:
        carriers.append((1, pairs[0][0].index, 0))
    unrelated = [p for p in people if p.role is Role.UNRELATED and not p.research_opt_out and p.call_format == "gvcf"]
    if unrelated:
        chosen = unrelated[0]
        people[chosen.index] = replace(chosen, does_not_want_to_know=True)
        carriers.append((1, chosen.index, 0))
    return replace(plan, people=tuple(people)), Planting(tuple(carriers))


def plant_carriers(
    variants: RegionVariants, sequence: RegionSequence, planting: Planting
) -> tuple[RegionVariants, list[PlantedKey]]:
    """The region's genotypes with the planted variants of this region added (overlapping sites removed)."""
    region = variants.region
    positions = variants.positions.copy()
    alleles = list(variants.alleles)
    haplotypes = variants.haplotypes.copy()
    left_aligned = variants.left_aligned.copy()
    written: list[PlantedKey] = []
    for number, planted in enumerate(PLANTED):
        holders = [(person, hap) for v, person, hap in planting.carriers if v == number]
        if not holders or not region.contains(planted.chrom, planted.pos_1based):
            continue
        if len(planted.real_ref) == 1:
            ref = sequence.base_at(planted.pos_1based)
            alt = planted.real_alt if planted.real_alt != ref else next(b for b in "ACGT" if b != ref)
            pos, span = planted.pos_1based, (planted.pos_1based, planted.pos_1based)
        else:
            indel = _make_indel(sequence, planted.pos_1based, deleted=len(planted.real_ref) - 1, shifted=False)
            pos, ref, alt, span = indel.pos_1based, indel.ref, indel.alt, (indel.span_start, indel.span_end)
        ends = positions + np.fromiter((len(a[0]) for a in alleles), np.int64, len(alleles)) - 1
        keep = (ends < span[0] - 1) | (positions > span[1] + 1)
        positions, haplotypes, left_aligned = positions[keep], haplotypes[:, keep], left_aligned[keep]
        alleles = [a for a, k in zip(alleles, keep, strict=True) if k]
        column = np.zeros((haplotypes.shape[0], 1), dtype=haplotypes.dtype)
        for person, hap in holders:
            column[2 * person + hap, 0] = 1
        at = int(np.searchsorted(positions, pos))
        positions = np.insert(positions, at, pos)
        alleles.insert(at, (ref, alt))
        haplotypes = np.concatenate([haplotypes[:, :at], column, haplotypes[:, at:]], axis=1)
        left_aligned = np.insert(left_aligned, at, True)
        written.append(PlantedKey(f"{planted.chrom}-{pos}-{ref}-{alt}", planted.gene, planted.hgvs))
    planted_variants = RegionVariants(region, positions, tuple(alleles), np.ascontiguousarray(haplotypes), left_aligned)
    return planted_variants, written
