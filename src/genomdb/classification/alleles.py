"""Variants as departments write them → normalised GRCh38 keys and VRS Allele identifiers, against the instance's
reference FASTA. The refget accession of a chromosome is computed once per reference file and kept in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pysam

from genomdb.classification.variants import BUILD, VariantKey, VariantKeyError, normalize_variant, parse_variant_key
from genomdb.classification.vrs import FastaSequence, VrsAllele, fasta_refget_accession, normalize_allele

AccessionLookup = Callable[[str, str, str], str | None]
"""(build, contig, fingerprint) → a cached refget accession, or None."""
AccessionStore = Callable[[str, str, str, int, str], None]
"""(build, contig, fingerprint, length, accession) → keep it."""


@dataclass(frozen=True, slots=True)
class ResolvedVariant:
    """A variant as given, its normalised key and its VRS Allele."""

    given: str
    key: VariantKey
    allele: VrsAllele

    @property
    def variant_key(self) -> str:
        return self.key.key

    @property
    def vrs_allele_id(self) -> str:
        return self.allele.identifier


class AlleleResolver:
    """Normalises variant keys and computes VRS identifiers on one reference FASTA (GRCh38)."""

    def __init__(
        self,
        fasta_path: Path,
        *,
        lookup: AccessionLookup | None = None,
        store: AccessionStore | None = None,
        build: str = BUILD,
    ) -> None:
        self._path = fasta_path
        self._fasta = pysam.FastaFile(str(fasta_path))
        self._lookup = lookup
        self._store = store
        self._build = build
        self._accessions: dict[str, str] = {}
        self._sequences: dict[str, FastaSequence] = {}
        stat = fasta_path.stat()
        self._fingerprint = f"{fasta_path.name}:{stat.st_size}:{stat.st_mtime_ns}"

    def close(self) -> None:
        self._fasta.close()

    def __enter__(self) -> AlleleResolver:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()

    def sequence(self, contig: str) -> FastaSequence:
        if contig not in self._sequences:
            if contig not in self._fasta.references:
                raise VariantKeyError(f"the reference FASTA has no {contig}")
            self._sequences[contig] = FastaSequence(self._fasta, contig)
        return self._sequences[contig]

    def accession(self, contig: str) -> str:
        """The refget accession (``SQ.…``) of a contig of this reference."""
        if contig in self._accessions:
            return self._accessions[contig]
        fingerprint = f"{self._fingerprint}:{self.sequence(contig).length}"
        found = self._lookup(self._build, contig, fingerprint) if self._lookup else None
        if found is None:
            found = fasta_refget_accession(self._fasta, contig)
            if self._store is not None:
                self._store(self._build, contig, fingerprint, self.sequence(contig).length, found)
        self._accessions[contig] = found
        return found

    def normalise(self, key: VariantKey) -> VariantKey:
        """The normalised key alone (for look-ups: no VRS identifier computed)."""
        return normalize_variant(key, self.sequence(key.chrom))

    def resolve_key(self, key: VariantKey, given: str | None = None) -> ResolvedVariant:
        sequence = self.sequence(key.chrom)
        normalised = normalize_variant(key, sequence)
        allele = normalize_allele(
            sequence, self.accession(key.chrom), normalised.start_0based, normalised.end_0based, normalised.alt
        )
        return ResolvedVariant(given if given is not None else key.key, normalised, allele)

    def resolve(self, text: str) -> ResolvedVariant:
        """``chr19-11100236-C-T`` → its normalised key and VRS Allele; VariantKeyError says what is wrong."""
        return self.resolve_key(parse_variant_key(text), text)
