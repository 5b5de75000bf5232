"""Star alleles in the demo cohort: the synthetic reference carries the true GRCh38 base at every PGx defining
position inside the simulated regions, and founders carry named alleles at realistic frequencies, so that families
inherit them and ``genomdb pgx run`` calls them.

The bases and the alleles come from the packaged PharmCAT definitions (their reference alleles and named-allele
cells), nothing from a download. In the default regions that is CYP2C19 (``*2``, ``*3``, ``*17`` on the ``*1``
background) and CYP2C9 (``*2``, ``*3``); an allele is planted only when every position it differs from the
reference at lies inside the simulated region. Simulated (msprime) sites near a defining position are dropped, so
that no random variant turns a defining position into undocumented variation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from genomdb.demo.cohort import AlleleMatrix, BoolArray, IntArray, Planter, RegionVariants
from genomdb.demo.reference import RegionSequence
from genomdb.demo.regions import GenomicRegion
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.evidence import GenotypeCall
from genomdb.pgx.matcher import GeneModel

FOUNDER_FREQUENCIES: dict[str, tuple[tuple[str, float], ...]] = {
    "CYP2C19": (("*2", 0.147), ("*3", 0.004), ("*17", 0.215)),
    "CYP2C9": (("*2", 0.127), ("*3", 0.076)),
}
"""Allele frequencies in founders (European frequencies of CPIC's frequency tables, rounded); the rest of each
gene's haplotypes is the gene's common allele (:data:`BACKGROUND`)."""
BACKGROUND = {"CYP2C19": "*1", "CYP2C9": "*1"}
"""The allele every other founder haplotype carries (CYP2C19 ``*1`` differs from GRCh38, which is ``*38``)."""
CLEAR_FLANK_BP = 12
"""Simulated sites whose REF comes this close to a defining position are dropped."""


@dataclass(frozen=True, slots=True)
class PlantedSite:
    chrom: str
    pos_1based: int
    alleles: tuple[str, ...]
    """REF first, then the ALTs the planted alleles use."""


@dataclass(frozen=True)
class PlantedGene:
    """A gene whose named alleles are planted: each allele as the allele index it carries at each site."""

    gene: str
    sites: tuple[PlantedSite, ...]
    allele_codes: Mapping[str, tuple[int, ...]]
    """allele name → allele index per site (0 = reference)"""
    frequencies: tuple[tuple[str, float], ...]
    background: str


def _concrete(model: GeneModel, name: str) -> dict[int, str]:
    """Position → base a named allele has where it differs from the reference (concrete bases only)."""
    haplotype = next(h for h in model.haplotypes if h.name == name)
    out: dict[int, str] = {}
    for index, allowed in haplotype.special.items():
        locus = model.loci[index]
        bases = sorted(a for a in allowed if a != locus.ref and len(a) == len(locus.ref) and set(a) <= set("ACGT"))
        if not bases:
            raise ValueError(f"{model.gene} {name} has no concrete allele at {locus.position}")
        out[locus.position] = bases[0]
    return out


class DemoPgx:
    """What the demo plants, derived once from the PGx definitions for the demo's regions."""

    def __init__(self, regions: Sequence[GenomicRegion], caller: PgxCaller | None = None) -> None:
        caller = caller or PgxCaller.load()
        self.regions = tuple(regions)
        self.bases: dict[tuple[str, int], str] = {}
        for model in caller.models.values():
            for locus in (*model.loci, *model.extra_loci):
                if set(locus.ref) <= set("ACGT") and any(
                    r.chrom == locus.chromosome
                    and r.reference_start_1based <= locus.position
                    and locus.position + len(locus.ref) - 1 <= r.reference_end_1based
                    for r in self.regions
                ):
                    for offset, base in enumerate(locus.ref):
                        self.bases[(locus.chromosome, locus.position + offset)] = base
        self.genes: list[PlantedGene] = []
        for gene, frequencies in FOUNDER_FREQUENCIES.items():
            model = caller.models[gene]
            region = next((r for r in self.regions if r.chrom == model.chromosome), None)
            if region is None:
                continue
            names = [BACKGROUND[gene], *(name for name, _ in frequencies)]
            concrete = {name: _concrete(model, name) for name in names}
            inside = {n for n, at in concrete.items() if all(region.contains(model.chromosome, p) for p in at)}
            if BACKGROUND[gene] not in inside:
                continue
            kept = tuple((name, f) for name, f in frequencies if name in inside)
            positions = sorted({p for name in (BACKGROUND[gene], *(n for n, _ in kept)) for p in concrete[name]})
            reference = {locus.position: locus.ref for locus in model.loci}
            sites = []
            for position in positions:
                alts = sorted({at[position] for name, at in concrete.items() if name in inside and position in at})
                sites.append(PlantedSite(model.chromosome, position, (reference[position], *alts)))
            codes = {
                name: tuple(site.alleles.index(concrete[name].get(site.pos_1based, site.alleles[0])) for site in sites)
                for name in (BACKGROUND[gene], *(n for n, _ in kept))
            }
            self.genes.append(PlantedGene(gene, tuple(sites), codes, kept, BACKGROUND[gene]))
        self.defining: dict[str, list[int]] = {}
        for model in caller.models.values():
            for locus in (*model.loci, *model.extra_loci):
                self.defining.setdefault(locus.chromosome, []).append(locus.position)

    def patch(self, sequence: RegionSequence) -> RegionSequence:
        """The region's synthetic sequence with the true GRCh38 base at every defining position inside it."""
        bases = bytearray(sequence.bases)
        for (chrom, pos), base in self.bases.items():
            offset = pos - sequence.start_1based
            if chrom == sequence.chrom and 0 <= offset < len(bases):
                bases[offset] = ord(base)
        return dataclasses.replace(sequence, bases=bytes(bases))

    def planter(self, region: GenomicRegion, rng: np.random.Generator) -> Planter | None:
        """The founder-site hook of one region (None when nothing is planted or cleared there)."""
        genes = [g for g in self.genes if g.sites and g.sites[0].chrom == region.chrom]
        defining = np.array(
            sorted(p for p in self.defining.get(region.chrom, []) if region.contains(region.chrom, p)), np.int64
        )
        if not genes and defining.size == 0:
            return None

        def plant(
            positions: IntArray, alleles: list[tuple[str, ...]], haplotypes: AlleleMatrix, left_aligned: BoolArray
        ) -> tuple[IntArray, list[tuple[str, ...]], AlleleMatrix, BoolArray]:
            ends = positions + np.fromiter((len(a[0]) for a in alleles), np.int64, len(alleles)) - 1
            keep = np.ones(positions.size, dtype=np.bool_)
            if defining.size:
                first = np.searchsorted(defining, positions - CLEAR_FLANK_BP, side="left")
                last = np.searchsorted(defining, ends + CLEAR_FLANK_BP, side="right")
                keep = last <= first
            kept_alleles = [a for a, k in zip(alleles, keep, strict=True) if k]
            new_positions, new_alleles, columns = [], [], []
            n_haplotypes = haplotypes.shape[0]
            for gene in genes:
                names = [gene.background, *(name for name, _ in gene.frequencies)]
                weights = [1.0 - sum(f for _, f in gene.frequencies), *(f for _, f in gene.frequencies)]
                drawn = rng.choice(len(names), size=n_haplotypes, p=np.array(weights))
                codes = np.array([gene.allele_codes[name] for name in names], dtype=np.int8)
                for s, site in enumerate(gene.sites):
                    new_positions.append(site.pos_1based)
                    new_alleles.append(site.alleles)
                    columns.append(codes[drawn, s])
            if not new_positions:
                return positions[keep], kept_alleles, haplotypes[:, keep], left_aligned[keep]
            return (
                np.concatenate([positions[keep], np.array(new_positions, np.int64)]),
                kept_alleles + new_alleles,
                np.concatenate([haplotypes[:, keep], np.stack(columns, axis=1)], axis=1).astype(np.int8),
                np.concatenate([left_aligned[keep], np.ones(len(new_positions), np.bool_)]),
            )

        return plant

    def truth(self, variants: RegionVariants, person_index: int) -> list[GenotypeCall]:
        """One person's true genotypes at the sites planted in a region (an empty list where none is planted)."""
        chrom = variants.region.chrom
        planted = sorted({s.pos_1based for g in self.genes for s in g.sites if s.chrom == chrom})
        rows = variants.haplotypes[2 * person_index : 2 * person_index + 2]
        calls = []
        for index in np.flatnonzero(np.isin(variants.positions, planted)):
            site = variants.alleles[index]
            genotype = (int(rows[0, index]), int(rows[1, index]))
            calls.append(GenotypeCall(chrom, int(variants.positions[index]), site[0], tuple(site[1:]), genotype))
        return calls
