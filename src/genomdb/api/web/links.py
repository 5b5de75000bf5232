"""Links from a variant to the public resources clinicians check next, built from its GRCh38 position alone.

No network is needed to render them: each is the resource's own search or browser URL for the position.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from genomdb.frequency.keys import VariantKey

UCSC_FLANK_BP = 25
"""Bases shown on either side of the variant in the UCSC browser."""


def external_links(variant: VariantKey) -> list[tuple[str, str]]:
    """(resource name, URL) for ClinVar, gnomAD, dbSNP and the UCSC Genome Browser, on GRCh38."""
    chrom = variant.chrom.removeprefix("chr")
    pos = variant.pos_1based
    end = pos + len(variant.ref) - 1
    gnomad_id = quote(f"{chrom}-{pos}-{variant.ref}-{variant.alt}", safe="-")
    return [
        (
            "ClinVar",
            "https://www.ncbi.nlm.nih.gov/clinvar/?" + urlencode({"term": f"{chrom}[chr] AND {pos}:{end}[chrpos38]"}),
        ),
        ("gnomAD", f"https://gnomad.broadinstitute.org/variant/{gnomad_id}?dataset=gnomad_r4"),
        ("dbSNP", "https://www.ncbi.nlm.nih.gov/snp/?" + urlencode({"term": f"{chrom}[CHR] AND {pos}[CHRPOS]"})),
        (
            "UCSC",
            "https://genome.ucsc.edu/cgi-bin/hgTracks?"
            + urlencode(
                {
                    "db": "hg38",
                    "position": f"chr{chrom}:{max(1, pos - UCSC_FLANK_BP)}-{end + UCSC_FLANK_BP}",
                    "highlight": f"hg38.chr{chrom}:{pos}-{end}",
                }
            ),
        ),
    ]
