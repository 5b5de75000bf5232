"""Links out from a variant page are built from the position alone (no network), for GRCh38."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from genomdb.api.web.links import external_links
from genomdb.frequency.keys import parse_variant_key


def test_links_name_the_position_on_grch38() -> None:
    links = dict(external_links(parse_variant_key("chr19-11089362-GA-G")))
    assert set(links) == {"ClinVar", "gnomAD", "dbSNP", "UCSC"}
    assert links["gnomAD"] == "https://gnomad.broadinstitute.org/variant/19-11089362-GA-G?dataset=gnomad_r4"
    assert parse_qs(urlparse(links["ClinVar"]).query)["term"] == ["19[chr] AND 11089362:11089363[chrpos38]"]
    assert parse_qs(urlparse(links["dbSNP"]).query)["term"] == ["19[CHR] AND 11089362[CHRPOS]"]
    ucsc = parse_qs(urlparse(links["UCSC"]).query)
    assert ucsc["db"] == ["hg38"] and ucsc["position"] == ["chr19:11089337-11089388"]
    assert ucsc["highlight"] == ["hg38.chr19:11089362-11089363"]


def test_sex_chromosomes_keep_their_name() -> None:
    links = dict(external_links(parse_variant_key("chrX-100407000-C-T")))
    assert links["gnomAD"].startswith("https://gnomad.broadinstitute.org/variant/X-100407000-C-T")
