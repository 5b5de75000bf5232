"""The named-allele matcher: per-position evidence → diplotypes, with PharmCAT 3.x semantics.

* A named allele's blank cells mean "as the reference allele"; its score is the number of its defined cells at
  positions with evidence. A position without evidence is dropped (lowers every score), never read as reference.
* Unphased heterozygous positions may be arranged either way; genotypes phased together (``|`` in one FORMAT/PS set)
  keep their arrangement. A diplotype is plausible when both alleles fit one arrangement of every phase block.
* All top-scoring diplotypes are reported (ties are real); NAT2's unphased priorities pick one of known ties.
* An ALT the definitions do not know at a defining position makes the gene "not called", except for the toxicity
  genes (CACNA1S, DPYD, G6PD, NUDT15, RYR1, TPMT), where it is read as reference.
* DPYD lists the variants found on each strand (phased or effectively phased data) or overall (unphased); HapB3 is
  called from the intronic rs75017182 when present, from the exonic rs56038477 otherwise (see ``dpyd.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from genomdb.pgx.definitions import TOXICITY_GENES, GeneDefinition, GeneExemption, VariantLocus
from genomdb.pgx.evidence import EvidenceSource, EvidenceState, PositionEvidence

IUPAC: dict[str, frozenset[str]] = {
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "S": frozenset("GC"),
    "W": frozenset("AT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "B": frozenset("CGT"),
    "D": frozenset("AGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
    "N": frozenset("ACGT"),
}

_CHUNK = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders ``*2`` before ``*10`` and compares text case-insensitively."""
    parts = []
    for chunk in _CHUNK.split(name):
        if not chunk:
            continue
        if chunk.isdigit():
            parts.append((0, int(chunk), chunk))
        else:
            parts.append((1, 0, chunk.lower()))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class Haplotype:
    """A named allele as the matcher uses it: allowed alleles at its non-reference positions."""

    name: str
    index: int
    is_reference: bool
    defined: frozenset[int]
    """indices of positions with a cell in the definition (its full score)"""
    special: Mapping[int, frozenset[str]]
    """indices where the allowed alleles differ from {reference allele}"""
    wobble: frozenset[int] = frozenset()
    """indices of IUPAC ambiguity cells: they match but do not score (as PharmCAT's example output shows)"""

    def allows(self, index: int, allele: str, reference: Sequence[str]) -> bool:
        allowed = self.special.get(index)
        if allowed is None:
            return allele == reference[index]
        return allele in allowed


@dataclass(frozen=True)
class GeneModel:
    """A gene definition prepared for matching (built once per data version)."""

    gene: str
    chromosome: str
    loci: tuple[VariantLocus, ...]
    reference_alleles: tuple[str, ...]
    haplotypes: tuple[Haplotype, ...]
    required_positions: frozenset[int]
    ignored_positions: frozenset[int]
    extra_loci: tuple[VariantLocus, ...]
    priorities: Mapping[frozenset[str], str]
    version: str

    @cached_property
    def index_of(self) -> dict[int, int]:
        return {locus.position: index for index, locus in enumerate(self.loci)}

    @cached_property
    def known_alleles(self) -> tuple[frozenset[str], ...]:
        out = []
        for index, locus in enumerate(self.loci):
            known = {locus.ref, *locus.alts, self.reference_alleles[index]}
            for haplotype in self.haplotypes:
                allowed = haplotype.special.get(index)
                if allowed:
                    known.update(allowed)
            out.append(frozenset(known))
        return tuple(out)


def _allowed(cell: str) -> frozenset[str]:
    if len(cell) == 1 and cell in IUPAC:
        return IUPAC[cell]
    return frozenset({cell})


def build_gene_model(definition: GeneDefinition, exemption: GeneExemption | None) -> GeneModel:
    ignored_positions = {locus.position for locus in exemption.ignoredPositions} if exemption else set()
    ignored_alleles = {name.lower() for name in exemption.ignoredAlleles} if exemption else set()
    # PharmCAT keeps an ignored position in the definition (it scores) but does not read the sample there
    keep = list(range(len(definition.variants)))
    loci = tuple(definition.variants[i] for i in keep)
    reference_row = next(allele for allele in definition.namedAlleles if allele.reference)
    reference_alleles = tuple(reference_row.alleles[i] or definition.variants[i].ref for i in keep)
    haplotypes: list[Haplotype] = []
    for allele in definition.namedAlleles:
        if allele.name.lower() in ignored_alleles or allele.structuralVariant:
            continue
        defined: set[int] = set()
        wobble: set[int] = set()
        special: dict[int, frozenset[str]] = {}
        for new_index, old_index in enumerate(keep):
            cell = allele.alleles[old_index]
            if cell is None:
                continue
            defined.add(new_index)
            allowed = _allowed(cell)
            if len(allowed) > 1:
                wobble.add(new_index)
            if allowed != {reference_alleles[new_index]}:
                special[new_index] = allowed
        haplotypes.append(
            Haplotype(allele.name, len(haplotypes), allele.reference, frozenset(defined), special, frozenset(wobble))
        )
    priorities: dict[frozenset[str], str] = {}
    if exemption:
        for priority in exemption.unphasedDiplotypePriorities:
            priorities[frozenset(priority.candidates)] = priority.pick
    return GeneModel(
        gene=definition.gene,
        chromosome=definition.chromosome,
        loci=loci,
        reference_alleles=reference_alleles,
        haplotypes=tuple(haplotypes),
        required_positions=frozenset(exemption.requiredPositions) if exemption else frozenset(),
        ignored_positions=frozenset(ignored_positions),
        extra_loci=tuple(exemption.extraPositions) if exemption else (),
        priorities=priorities,
        version=definition.version,
    )


@dataclass(frozen=True, slots=True)
class HaplotypeCall:
    name: str
    score: int
    function_label: str | None = None


@dataclass(frozen=True, slots=True)
class DiplotypeCall:
    """One plausible diplotype; ``allele2`` is None for a hemizygous (haploid) call."""

    allele1: HaplotypeCall
    allele2: HaplotypeCall | None
    score: int

    @property
    def name(self) -> str:
        if self.allele2 is None:
            return self.allele1.name
        return f"{self.allele1.name}/{self.allele2.name}"

    @property
    def allele_names(self) -> tuple[str, ...]:
        if self.allele2 is None:
            return (self.allele1.name,)
        return (self.allele1.name, self.allele2.name)


@dataclass(frozen=True, slots=True)
class ObservedVariant:
    """What the evidence says at one defining position, as PharmCAT prints it (``A/G``, ``A|G``)."""

    position: int
    rsid: str | None
    call: str | None
    phased: bool
    phase_set: str | None
    source: str | None


@dataclass(frozen=True)
class GeneCall:
    """The matcher's answer for one gene."""

    gene: str
    definition_version: str
    diplotypes: tuple[DiplotypeCall, ...]
    phased: bool
    effectively_phased: bool
    haploid: bool
    missing_positions: tuple[int, ...]
    positions_with_undocumented_variations: tuple[int, ...]
    treat_undocumented_as_reference: bool
    missing_required_positions: tuple[int, ...]
    variants: tuple[ObservedVariant, ...]
    variants_of_interest: tuple[ObservedVariant, ...]
    haplotype_matches: tuple[str, ...] = ()
    """DPYD, unphased: every variant found (twice when homozygous); there is no diplotype then."""
    lookup_alleles: tuple[str, ...] = ()
    """DPYD: the two alleles used for the phenotype (lowest function per strand or overall)."""
    warnings: tuple[str, ...] = field(default=())
    positions_from_blocks: tuple[int, ...] = ()

    @property
    def called(self) -> bool:
        return bool(self.diplotypes) or bool(self.lookup_alleles)

    @property
    def diplotype_names(self) -> list[str]:
        return [d.name for d in self.diplotypes]


@dataclass
class SampleGenotypes:
    """Evidence of one gene arranged by definition index."""

    genotypes: list[tuple[str, ...] | None]
    blocks: list[list[int]]
    phased: bool
    effectively_phased: bool
    haploid: bool
    missing: list[int]
    undocumented: list[int]
    variants: list[ObservedVariant]
    from_blocks: list[int]
    warnings: list[str]


def _call_text(alleles: tuple[str, ...], phased: bool) -> str:
    return ("|" if phased else "/").join(alleles)


def _to_definition_spelling(allele: str, vcf_ref: str | None, definition_ref: str) -> str:
    """One VCF allele in the definition's spelling at this position (e.g. bcftools' ``C>CAT`` is ``CATAT``)."""
    if vcf_ref is None or vcf_ref == definition_ref:
        return allele
    if allele == vcf_ref:
        return definition_ref
    if definition_ref.startswith(vcf_ref):
        return allele + definition_ref[len(vcf_ref) :]
    if vcf_ref.startswith(definition_ref):
        suffix = vcf_ref[len(definition_ref) :]
        if allele.endswith(suffix) and len(allele) > len(suffix):
            return allele[: -len(suffix)]
    return allele


def arrange_sample(
    model: GeneModel, evidence: Mapping[int, PositionEvidence], *, undocumented_as_reference: bool = False
) -> SampleGenotypes:
    """Read the evidence at every defining position of a gene.

    An allele the definitions do not know is flagged; with ``undocumented_as_reference`` (toxicity genes) it is
    replaced by the reference before phase is judged, as PharmCAT does.
    """
    genotypes: list[tuple[str, ...] | None] = []
    missing: list[int] = []
    undocumented: list[int] = []
    variants: list[ObservedVariant] = []
    from_blocks: list[int] = []
    warnings: list[str] = []
    phase_sets: set[str] = set()
    n_unphased_het = 0
    n_het = 0
    ploidies: set[int] = set()
    blocks: dict[str, list[int]] = {}
    singletons: list[list[int]] = []
    known = model.known_alleles
    for index, locus in enumerate(model.loci):
        ev = evidence.get(locus.position)
        if ev is None or ev.state is EvidenceState.MISSING:
            genotypes.append(None)
            missing.append(locus.position)
            variants.append(ObservedVariant(locus.position, locus.rsid, None, False, None, None))
            continue
        if ev.state is EvidenceState.REFERENCE or locus.position in model.ignored_positions:
            alleles = (model.reference_alleles[index],) * max(1, ev.ploidy)
        else:
            alleles = tuple(_to_definition_spelling(a, ev.vcf_ref, locus.ref) for a in ev.alleles)
            if (
                ev.vcf_ref is not None
                and ev.vcf_ref != locus.ref
                and not (locus.ref.startswith(ev.vcf_ref) or ev.vcf_ref.startswith(locus.ref))
            ):
                warnings.append(
                    f"{locus.position}: VCF REF {ev.vcf_ref} differs from the definition's reference {locus.ref}"
                )
        if ev.source is EvidenceSource.BLOCK:
            from_blocks.append(locus.position)
        ploidies.add(len(alleles))
        phased_here = ev.phased and len(alleles) == 2
        shown = _call_text(alleles, phased_here)
        if any(a not in known[index] for a in alleles):
            undocumented.append(locus.position)
            if undocumented_as_reference:
                alleles = tuple(a if a in known[index] else model.reference_alleles[index] for a in alleles)
        genotypes.append(alleles)
        variants.append(
            ObservedVariant(
                locus.position,
                locus.rsid,
                shown,
                phased_here,
                ev.phase_set if phased_here else None,
                ev.source.value,
            )
        )
        if len(alleles) == 2 and alleles[0] != alleles[1]:
            n_het += 1
            if phased_here:
                key = ev.phase_set or "*"
                phase_sets.add(key)
                blocks.setdefault(key, []).append(index)
            else:
                n_unphased_het += 1
                singletons.append([index])
    haploid = ploidies == {1}
    phased = n_het > 0 and n_unphased_het == 0 and len(phase_sets) == 1
    effectively_phased = haploid or phased or n_het <= 1
    return SampleGenotypes(
        genotypes=genotypes,
        blocks=[*blocks.values(), *singletons],
        phased=phased,
        effectively_phased=effectively_phased,
        haploid=haploid,
        missing=missing,
        undocumented=undocumented,
        variants=variants,
        from_blocks=from_blocks,
        warnings=warnings,
    )


def _score(haplotype: Haplotype, missing_indices: frozenset[int], non_reference: frozenset[int]) -> int:
    """Defined cells at positions with evidence; an ambiguity (wobble) cell counts only where the sample varies."""
    return len(haplotype.defined - missing_indices - (haplotype.wobble - non_reference))


def _candidates(model: GeneModel, sample: SampleGenotypes, missing_indices: frozenset[int]) -> list[Haplotype]:
    ref = model.reference_alleles
    non_ref = [
        i for i, genotype in enumerate(sample.genotypes) if genotype is not None and any(a != ref[i] for a in genotype)
    ]
    out = []
    for haplotype in model.haplotypes:
        if not haplotype.defined - missing_indices:
            continue
        ok = True
        for i in set(haplotype.special) | set(non_ref):
            genotype = sample.genotypes[i]
            if genotype is None:
                continue
            if not any(haplotype.allows(i, a, ref) for a in genotype):
                ok = False
                break
        if ok:
            out.append(haplotype)
    return out


def _pair_fits(a: Haplotype, b: Haplotype, model: GeneModel, sample: SampleGenotypes, relevant: set[int]) -> bool:
    ref = model.reference_alleles
    for block in sample.blocks:
        if not relevant.intersection(block) and not any(i in a.special or i in b.special for i in block):
            continue
        straight = crossed = True
        for i in block:
            g = sample.genotypes[i]
            assert g is not None
            if straight and not (a.allows(i, g[0], ref) and b.allows(i, g[1], ref)):
                straight = False
            if crossed and not (a.allows(i, g[1], ref) and b.allows(i, g[0], ref)):
                crossed = False
            if not straight and not crossed:
                return False
    # homozygous positions: both alleles must allow the one allele there
    for i in relevant:
        g = sample.genotypes[i]
        if g is None or (len(g) == 2 and g[0] != g[1]):
            continue
        if not (a.allows(i, g[0], ref) and b.allows(i, g[0], ref)):
            return False
    return True


def _ordered(a: HaplotypeCall, b: HaplotypeCall) -> tuple[HaplotypeCall, HaplotypeCall]:
    return (a, b) if natural_key(a.name) <= natural_key(b.name) else (b, a)


def match_diplotypes(
    model: GeneModel, sample: SampleGenotypes, *, top_candidates_only: bool = True
) -> list[DiplotypeCall]:
    """Every plausible diplotype (or haplotype, for haploid data), best score first."""
    missing_indices = frozenset(i for i, g in enumerate(sample.genotypes) if g is None)
    candidates = _candidates(model, sample, missing_indices)
    ref = model.reference_alleles
    non_reference = frozenset(
        i for i, g in enumerate(sample.genotypes) if g is not None and any(allele != ref[i] for allele in g)
    )
    calls: list[DiplotypeCall] = []
    if sample.haploid:
        for haplotype in candidates:
            if all(g is None or haplotype.allows(i, g[0], ref) for i, g in enumerate(sample.genotypes)):
                score = _score(haplotype, missing_indices, non_reference)
                calls.append(DiplotypeCall(HaplotypeCall(haplotype.name, score), None, score))
    else:
        non_ref = {i for i, g in enumerate(sample.genotypes) if g is not None and any(allele != ref[i] for allele in g)}
        for x, a in enumerate(candidates):
            for b in candidates[x:]:
                relevant = non_ref | set(a.special) | set(b.special)
                relevant -= missing_indices
                if not _pair_fits(a, b, model, sample, relevant):
                    continue
                score_a = _score(a, missing_indices, non_reference)
                score_b = _score(b, missing_indices, non_reference)
                first, second = _ordered(HaplotypeCall(a.name, score_a), HaplotypeCall(b.name, score_b))
                calls.append(DiplotypeCall(first, second, score_a + score_b))
    calls.sort(key=lambda call: (-call.score, natural_key(call.name)))
    if top_candidates_only and calls:
        best = calls[0].score
        calls = [call for call in calls if call.score == best]
    if len(calls) > 1 and not sample.effectively_phased and model.priorities:
        # PharmCAT: the first priority whose diplotypes are all among the calls picks one of them
        names = {call.name for call in calls}
        for listed, pick in sorted(model.priorities.items(), key=lambda item: sorted(item[0])):
            if listed <= names:
                calls = [call for call in calls if call.name == pick]
                break
    return calls


def call_gene(
    model: GeneModel,
    evidence: Mapping[int, PositionEvidence],
    *,
    top_candidates_only: bool = True,
    allele_activity: Mapping[str, float] | None = None,
) -> GeneCall:
    """Call one gene from the evidence at its positions (position → evidence).

    ``allele_activity`` (DPYD only) ranks variants by activity value for the lowest-two rule.
    """
    treat_as_reference = model.gene in TOXICITY_GENES
    sample = arrange_sample(model, evidence, undocumented_as_reference=treat_as_reference)
    warnings = list(sample.warnings)
    if sample.undocumented and treat_as_reference:
        warnings.append(
            "undocumented variation at "
            + ", ".join(str(p) for p in sample.undocumented)
            + " read as reference (toxicity gene)"
        )
    missing_required = tuple(sorted(model.required_positions.intersection(sample.missing)))
    extra = tuple(_observe_extra(locus, evidence.get(locus.position)) for locus in model.extra_loci)
    diplotypes: list[DiplotypeCall] = []
    haplotype_matches: tuple[str, ...] = ()
    lookup: tuple[str, ...] = ()
    if len(sample.missing) == len(model.loci):
        warnings.append("no evidence at any defining position")
    elif sample.undocumented and not treat_as_reference:
        warnings.append("not called: undocumented variation at " + ", ".join(str(p) for p in sample.undocumented))
    elif missing_required:
        warnings.append("not called: required position(s) missing: " + ", ".join(str(p) for p in missing_required))
    elif model.gene == "DPYD":
        from genomdb.pgx.dpyd import call_dpyd

        dpyd = call_dpyd(model, sample, allele_activity or {})
        diplotypes, haplotype_matches, lookup = list(dpyd.diplotypes), dpyd.haplotype_matches, dpyd.lookup_alleles
        warnings.extend(dpyd.warnings)
    else:
        diplotypes = match_diplotypes(model, sample, top_candidates_only=top_candidates_only)
        if not diplotypes:
            warnings.append("not called: no combination of named alleles explains the genotypes")
    return GeneCall(
        gene=model.gene,
        definition_version=model.version,
        diplotypes=tuple(diplotypes),
        phased=sample.phased,
        effectively_phased=sample.effectively_phased,
        haploid=sample.haploid,
        missing_positions=tuple(sample.missing),
        positions_with_undocumented_variations=tuple(sample.undocumented),
        treat_undocumented_as_reference=treat_as_reference,
        missing_required_positions=missing_required,
        variants=tuple(sample.variants),
        variants_of_interest=extra,
        haplotype_matches=haplotype_matches,
        lookup_alleles=lookup,
        warnings=tuple(warnings),
        positions_from_blocks=tuple(sample.from_blocks),
    )


def _observe_extra(locus: VariantLocus, ev: PositionEvidence | None) -> ObservedVariant:
    if ev is None or ev.state is EvidenceState.MISSING:
        return ObservedVariant(locus.position, locus.rsid, None, False, None, None)
    if ev.state is EvidenceState.REFERENCE:
        alleles: tuple[str, ...] = (locus.ref,) * max(1, ev.ploidy)
    else:
        alleles = ev.alleles
    phased = ev.phased and len(alleles) == 2
    return ObservedVariant(
        locus.position, locus.rsid, _call_text(alleles, phased), phased, ev.phase_set, ev.source.value
    )
