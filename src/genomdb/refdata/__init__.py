"""Reference data: genome builds (contig names, lengths, md5) and FASTA sequence digests."""

from genomdb.refdata.builds import (
    KNOWN_BUILDS,
    Contig,
    ReferenceBuild,
    canonical_contig_name,
    get_build,
    guess_build,
    read_fasta_contigs,
)

__all__ = [
    "KNOWN_BUILDS",
    "Contig",
    "ReferenceBuild",
    "canonical_contig_name",
    "get_build",
    "guess_build",
    "read_fasta_contigs",
]
