"""DPYD: variants per strand instead of star-allele diplotypes (PharmCAT's gene-definition exception).

Phased or effectively phased data (at most one heterozygous position) lists the variants on each strand
(``[a + b]/c``, ``Reference`` for a strand without any); the phenotype uses the lowest-function variant of each strand.
Unphased data lists every variant found (twice when homozygous) and the phenotype uses the two lowest-function ones.
HapB3 is called from the intronic rs75017182 when it has evidence, from the exonic rs56038477 otherwise, with a
warning whenever the two disagree or the intronic one is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from genomdb.pgx.matcher import (
    DiplotypeCall,
    GeneModel,
    Haplotype,
    HaplotypeCall,
    SampleGenotypes,
    natural_key,
)

HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
HAPB3_INTRONIC = 97579893  # rs75017182, c.1129-5923C>G
HAPB3_EXONIC = 97573863  # rs56038477, c.1236G>A
REFERENCE = "Reference"
#: the DPYD variants DPWG has recommendations for (PharmCAT's Gene-Definition-Exceptions, DPWG section)
DPWG_VARIANTS = frozenset({HAPB3, "c.2846A>T", "c.1905+1G>A (*2A)", "c.1679T>G (*13)"})


@dataclass(frozen=True)
class DpydCall:
    diplotypes: tuple[DiplotypeCall, ...]
    haplotype_matches: tuple[str, ...]
    lookup_alleles: tuple[str, ...]
    warnings: tuple[str, ...]


def _strand_name(names: list[str]) -> str:
    if not names:
        return REFERENCE
    if len(names) == 1:
        return names[0]
    return "[" + " + ".join(sorted(names, key=natural_key)) + "]"


def dpyd_order_key(name: str) -> tuple[int, int, tuple[tuple[int, int, str], ...]]:
    """PharmCAT's DPYD order: Reference first, then by number of variants on the strand, then by name."""
    n_variants = name.count(" + ") + 1 if name.startswith("[") else 1
    return (0 if name == REFERENCE else 1, n_variants, natural_key(name))


def _single_variant_alleles(model: GeneModel) -> list[Haplotype]:
    """Every named variant except those decided by the HapB3 rule (both HapB3 positions)."""
    hapb3_positions = {model.index_of.get(HAPB3_INTRONIC), model.index_of.get(HAPB3_EXONIC)}
    return [h for h in model.haplotypes if not h.is_reference and h.special and not set(h.special) <= hapb3_positions]


def _strand_variants(model: GeneModel, sample: SampleGenotypes, strand: int, warnings: list[str]) -> list[str]:
    """Named variants carried by one strand (0 or 1) of phased/effectively phased data."""
    ref = model.reference_alleles
    found: list[str] = []
    index_of = model.index_of
    for haplotype in _single_variant_alleles(model):
        positions = list(haplotype.special)
        if not positions:
            continue
        if any(sample.genotypes[i] is None for i in positions):
            continue
        if all(haplotype.allows(i, _strand_allele(sample, i, strand), ref) for i in positions):
            found.append(haplotype.name)
    hapb3 = _hapb3_on_strand(model, sample, strand, index_of, warnings)
    if hapb3:
        found.append(HAPB3)
    return found


def _strand_score(model: GeneModel, sample: SampleGenotypes, names: list[str]) -> int:
    """Reference scores its positions with evidence; a strand with variants scores its variants' cells."""
    present = {i for i, genotype in enumerate(sample.genotypes) if genotype is not None}
    by_name = {h.name: h for h in model.haplotypes}
    if not names:
        reference = next(h for h in model.haplotypes if h.is_reference)
        return len(reference.defined & present)
    return sum(len(by_name[name].defined & present) for name in names if name in by_name)


def _strand_allele(sample: SampleGenotypes, index: int, strand: int) -> str:
    genotype = sample.genotypes[index]
    assert genotype is not None
    return genotype[min(strand, len(genotype) - 1)]


def _hapb3_on_strand(
    model: GeneModel, sample: SampleGenotypes, strand: int, index_of: Mapping[int, int], warnings: list[str]
) -> bool:
    hapb3 = next((h for h in model.haplotypes if h.name == HAPB3), None)
    if hapb3 is None or HAPB3_INTRONIC not in index_of or HAPB3_EXONIC not in index_of:
        return False
    ref = model.reference_alleles
    intronic, exonic = index_of[HAPB3_INTRONIC], index_of[HAPB3_EXONIC]
    intronic_variant = exonic_variant = None
    if sample.genotypes[intronic] is not None:
        intronic_variant = _strand_allele(sample, intronic, strand) != ref[intronic]
    if sample.genotypes[exonic] is not None:
        exonic_variant = _strand_allele(sample, exonic, strand) != ref[exonic]
    if intronic_variant is not None:
        if exonic_variant is None or exonic_variant != intronic_variant:
            _warn(warnings, "HapB3 called from the intronic rs75017182; the exonic rs56038477 is missing or differs")
        return intronic_variant
    if exonic_variant:
        _warn(warnings, "HapB3 called from the exonic rs56038477 only; genotype rs75017182 to confirm")
    return bool(exonic_variant)


def _warn(warnings: list[str], text: str) -> None:
    if text not in warnings:
        warnings.append(text)


def _lowest(names: list[str], activity: Mapping[str, float], count: int) -> list[str]:
    """The lowest-function variants; among equals, those DPWG also has a guideline for come first."""
    ranked = sorted(names, key=lambda n: (activity.get(n, 1.0), n not in DPWG_VARIANTS, natural_key(n)))
    return ranked[:count]


def call_dpyd(model: GeneModel, sample: SampleGenotypes, activity: Mapping[str, float]) -> DpydCall:
    """DPYD per strand (phased/effectively phased) or as a list of variants (unphased)."""
    warnings: list[str] = []
    if sample.haploid:
        warnings.append("DPYD is autosomal; haploid genotypes were read as one strand")
    if sample.effectively_phased:
        strands = [_strand_variants(model, sample, s, warnings) for s in (0, 1)]
        scored = sorted(
            ((_strand_name(names), _strand_score(model, sample, names)) for names in strands),
            key=lambda item: dpyd_order_key(item[0]),
        )
        first, second = HaplotypeCall(*scored[0]), HaplotypeCall(*scored[1])
        diplotype = DiplotypeCall(first, second, first.score + second.score)
        lookup = []
        for strand_names in strands:
            lowest_on_strand = _lowest(strand_names, activity, 1)
            lookup.append(lowest_on_strand[0] if lowest_on_strand else REFERENCE)
        lookup.sort(key=dpyd_order_key)
        return DpydCall((diplotype,), (), tuple(lookup), tuple(warnings))
    found: list[str] = []
    for strand in (0, 1):
        found.extend(_strand_variants(model, sample, strand, warnings))
    found.sort(key=natural_key)
    lowest = _lowest(found, activity, 2)
    while len(lowest) < 2:
        lowest.append(REFERENCE)
    lowest.sort(key=dpyd_order_key)
    return DpydCall((), tuple(found), tuple(lowest), tuple(warnings))
