"""Per-position genotype evidence: the one input of the named-allele matcher.

A person's evidence at an allele-defining position is either an explicit genotype call, reference with evidence
(a callable reference block covers the position), or missing. A VCF/gVCF file (``pgx.vcf``) and the variant store
(calls plus callable blocks of an instance person) both produce the same objects, so the matcher never knows where the
data came from.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

Sex = Literal["XX", "XY"]


class EvidenceState(StrEnum):
    CALLED = "called"
    """An explicit genotype record at the position (a VCF record whose POS is the position)."""
    REFERENCE = "reference"
    """No record at the position, but a callable reference block passing the genotype filters covers it."""
    MISSING = "missing"
    """No usable evidence: a no-call, a partial genotype, or nothing at all."""


class EvidenceSource(StrEnum):
    RECORD = "record"
    """An explicit record at the position; PharmCAT would read it too."""
    BLOCK = "block"
    """A callable reference block over the position; genomdb's addition, invisible to PharmCAT."""


@dataclass(frozen=True, slots=True)
class PositionEvidence:
    """What is known at one position (1-based, GRCh38 ``chr`` contig names).

    ``alleles`` are VCF allele strings, one per chromosome copy in GT order (two for diploid, one for haploid);
    for ``REFERENCE`` evidence they may be left empty and ``ploidy`` says how many reference copies there are.
    ``phase_set`` groups phased genotypes (FORMAT/PS, or ``"*"`` for ``|`` without PS).
    """

    chrom: str
    pos_1based: int
    state: EvidenceState
    alleles: tuple[str, ...] = ()
    ploidy: int = 2
    phased: bool = False
    phase_set: str | None = None
    source: EvidenceSource = EvidenceSource.RECORD
    vcf_ref: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PersonEvidence:
    """All evidence of one person at the allele-defining positions; absent positions are missing."""

    sample_label: str
    positions: Mapping[tuple[str, int], PositionEvidence]
    sex: Sex | None = None
    origin: str = ""
    warnings: tuple[str, ...] = field(default=())

    def at(self, chrom: str, pos_1based: int) -> PositionEvidence | None:
        return self.positions.get((chrom, pos_1based))

    def without_blocks(self) -> PersonEvidence:
        """The same person as PharmCAT would see the VCF: only explicit records count."""
        kept = {key: ev for key, ev in self.positions.items() if ev.source is EvidenceSource.RECORD}
        return replace(self, positions=kept)

    def n_from_blocks(self) -> int:
        return sum(ev.source is EvidenceSource.BLOCK for ev in self.positions.values())


@dataclass(frozen=True, slots=True)
class GenotypeCall:
    """One genotype record as the variant store or a VCF gives it (alleles by index into ``(ref, *alts)``)."""

    chrom: str
    pos_1based: int
    ref: str
    alts: tuple[str, ...]
    allele_indices: tuple[int | None, ...]
    phased: bool = False
    phase_set: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceBlock:
    """A callable reference stretch (inclusive 1-based coordinates) that passed the genotype filters."""

    chrom: str
    start_1based: int
    end_1based: int
    ploidy: int = 2


def build_person_evidence(
    sample_label: str,
    calls: Iterable[GenotypeCall],
    blocks: Iterable[ReferenceBlock],
    *,
    defining_positions: Iterable[tuple[str, int]],
    sex: Sex | None = None,
    origin: str = "",
) -> PersonEvidence:
    """Evidence at the defining positions from calls and callable reference blocks (the instance-person seam).

    A call at a position wins over a block; a position covered by a block and without a call is reference with
    evidence; anything else is missing. Calls not at a defining position are ignored.
    """
    wanted = set(defining_positions)
    positions: dict[tuple[str, int], PositionEvidence] = {}
    warnings: list[str] = []
    for call in calls:
        key = (call.chrom, call.pos_1based)
        if key not in wanted:
            continue
        evidence = evidence_from_call(call, sex=sex)
        if evidence.note:
            warnings.append(f"{call.chrom}:{call.pos_1based}: {evidence.note}")
        previous = positions.get(key)
        if previous is None or _prefer(evidence, previous):
            positions[key] = evidence
    by_chrom: dict[str, list[int]] = {}
    for chrom, pos in wanted:
        by_chrom.setdefault(chrom, []).append(pos)
    for chrom_positions in by_chrom.values():
        chrom_positions.sort()
    for block in blocks:
        block_positions = by_chrom.get(block.chrom)
        if not block_positions:
            continue
        lo = bisect.bisect_left(block_positions, block.start_1based)
        hi = bisect.bisect_right(block_positions, block.end_1based)
        for pos in block_positions[lo:hi]:
            key = (block.chrom, pos)
            if key in positions:
                continue
            ploidy = 1 if sex == "XY" and block.chrom == "chrX" else block.ploidy
            positions[key] = PositionEvidence(
                block.chrom, pos, EvidenceState.REFERENCE, ploidy=ploidy, source=EvidenceSource.BLOCK
            )
    return PersonEvidence(sample_label, positions, sex=sex, origin=origin, warnings=tuple(warnings))


def _prefer(new: PositionEvidence, old: PositionEvidence) -> bool:
    """Of two records at one position keep the one that says most: a non-reference call over a reference one."""
    rank = {EvidenceState.MISSING: 0, EvidenceState.REFERENCE: 1, EvidenceState.CALLED: 2}
    if rank[new.state] != rank[old.state]:
        return rank[new.state] > rank[old.state]
    new_alt = new.vcf_ref is not None and any(a != new.vcf_ref for a in new.alleles)
    old_alt = old.vcf_ref is not None and any(a != old.vcf_ref for a in old.alleles)
    return new_alt and not old_alt


def _has_symbolic(alleles: tuple[str, ...]) -> bool:
    return any(allele[:1] == "<" or allele in ("*", ".") for allele in alleles)


def evidence_from_call(call: GenotypeCall, *, sex: Sex | None = None) -> PositionEvidence:
    """Turn one genotype record into evidence: partial genotypes and no-calls are missing."""
    alleles_all = (call.ref, *call.alts)
    indices = call.allele_indices
    if not indices or any(index is None for index in indices):
        note = "partial genotype read as missing" if any(i is not None for i in indices) else None
        return PositionEvidence(
            call.chrom, call.pos_1based, EvidenceState.MISSING, vcf_ref=call.ref, note=note, ploidy=len(indices) or 2
        )
    alleles = tuple(alleles_all[index] for index in indices if index is not None)
    note = None
    if len(alleles) > 2:
        alleles = alleles[:2]
        note = "more than two alleles in GT; the first two are used"
    if sex == "XY" and call.chrom == "chrX" and len(alleles) == 2:
        if alleles[0] != alleles[1]:
            return PositionEvidence(
                call.chrom,
                call.pos_1based,
                EvidenceState.MISSING,
                vcf_ref=call.ref,
                note="heterozygous call on chrX of an XY person read as missing",
                ploidy=1,
            )
        alleles = alleles[:1]
    if _has_symbolic(alleles):
        return PositionEvidence(
            call.chrom,
            call.pos_1based,
            EvidenceState.MISSING,
            vcf_ref=call.ref,
            note="symbolic or spanning-deletion allele in GT read as missing",
            ploidy=len(alleles),
        )
    phase_set = call.phase_set if call.phased else None
    if call.phased and phase_set is None:
        phase_set = "*"
    return PositionEvidence(
        call.chrom,
        call.pos_1based,
        EvidenceState.CALLED,
        alleles=alleles,
        ploidy=len(alleles),
        phased=call.phased and len(alleles) > 1,
        phase_set=phase_set,
        source=EvidenceSource.RECORD,
        vcf_ref=call.ref,
        note=note,
    )
