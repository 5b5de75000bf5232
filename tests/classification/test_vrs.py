"""GA4GH VRS 2.0 identifiers against the spec's and vrs-python's published examples."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from genomdb.classification.vrs import (
    LiteralSequence,
    LiteralSequenceExpression,
    ReferenceLengthExpression,
    VrsAllele,
    canonical_json,
    normalize_allele,
    refget_accession,
    sha512t24u,
)

GRCH38_CHR7 = "SQ.F-LrLMe1SRpfUZHkQmvkVKFEGaoDeHul"
GRCH38_CHR13 = "SQ._0wi-qoDrvram155UmcSC-zA5ZK4fpLT"
GRCH38_CHR19 = "SQ.IIB53T8CNeJJdUqzn9V_JnRtQadwWCbl"


def test_sha512t24u_of_a_literal_matches_vrs_python() -> None:
    assert sha512t24u(b"ACGT") == "aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"
    assert sha512t24u(b"") == "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXc"


def test_refget_accession_digests_the_uppercase_sequence() -> None:
    assert refget_accession("ACGT") == "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2"
    assert refget_accession("acgt") == refget_accession(b"ACGT")


def test_serialisation_is_the_spec_s_canonical_json() -> None:
    allele = VrsAllele(GRCH38_CHR7, 55181319, 55181320, LiteralSequenceExpression("T"))
    assert allele.location_serialization() == (
        b'{"end":55181320,"sequenceReference":{"refgetAccession":"SQ.F-LrLMe1SRpfUZHkQmvkVKFEGaoDeHul",'
        b'"type":"SequenceReference"},"start":55181319,"type":"SequenceLocation"}'
    )
    assert allele.location_digest == "_G2K0qSioM74l_u3OaKR0mgLYdeTL7Xd"
    assert allele.serialization() == (
        b'{"location":"_G2K0qSioM74l_u3OaKR0mgLYdeTL7Xd","state":{"sequence":"T",'
        b'"type":"LiteralSequenceExpression"},"type":"Allele"}'
    )
    assert allele.identifier == "ga4gh:VA.Hy2XU_-rp4IMh6I_1NXNecBo8Qx8n0oE"


@pytest.mark.parametrize(
    ("allele", "location_id", "allele_id"),
    [
        # the VRS 2.0 spec's worked example, NC_000019.10:g.44908822C>T (APOE rs7412)
        (
            VrsAllele(GRCH38_CHR19, 44908821, 44908822, LiteralSequenceExpression("T")),
            "ga4gh:SL.wIlaGykfwHIpPY2Fcxtbx4TINbbODFVz",
            "ga4gh:VA.0AePZIWZUNsUlQTamyLrjm2HWUw2opLt",
        ),
        # vrs-python tests/test_vrs.py (allele_383650)
        (
            VrsAllele("SQ.KEO-4XBcm1cxeo_DIQ8_ofqGUkp4iZhI", 128325834, 128325835, LiteralSequenceExpression("T")),
            "ga4gh:SL.TaoXEhpHvA6SdilBUO-AX00YDARv9Uoe",
            "ga4gh:VA.SZIS2ua7AL-0YgUTAqyBsFPYK3vE8h_d",
        ),
        # vrs-python tests/extras/test_allele_translator.py, normalised HGVS expressions
        (
            VrsAllele(GRCH38_CHR13, 32936731, 32936732, LiteralSequenceExpression("C")),
            "ga4gh:SL.28YsnRvD40gKu1x3nev0gRzRz-5OTlpS",
            "ga4gh:VA.GJ2JySBMXePcV2yItyvCfbGBUoawOBON",
        ),
        (
            VrsAllele(GRCH38_CHR7, 55181219, 55181220, ReferenceLengthExpression(0, 1, "")),
            "ga4gh:SL.ljan7F0ePe9uiD6f2u80ZG5gDtx9Mr0V",
            "ga4gh:VA.klRMVChjvV73ZxS9Ajq1Rb8WU-p_HbLu",
        ),
        (
            VrsAllele(GRCH38_CHR7, 55181230, 55181230, LiteralSequenceExpression("GGCT")),
            "ga4gh:SL.lh4dRt_xWPi3wrubcfomi5DkD7fu6wd2",
            "ga4gh:VA.CLOvnFRJXGNRB9aTuNbvsLqc7syRYb55",
        ),
        (
            VrsAllele(GRCH38_CHR13, 32331082, 32331094, ReferenceLengthExpression(14, 2, "T" * 14)),
            "ga4gh:SL.ikECYncPpE1xh6f_LiComrFGevocjDHQ",
            "ga4gh:VA.swY2caCgv1kP6YqKyPlcEzJqTvou15vC",
        ),
        (
            VrsAllele(GRCH38_CHR13, 32316466, 32316467, ReferenceLengthExpression(2, 1, "AA")),
            "ga4gh:SL.fwfHu8VaD2-6Qvay9MJSINXPS767RYSw",
            "ga4gh:VA.96ak7XdY3DNbp71aHEXw-NHSfeHGW-KT",
        ),
        (
            VrsAllele(GRCH38_CHR19, 289464, 289466, ReferenceLengthExpression(6, 2, "CACACA")),
            "ga4gh:SL.L145KFLJeJ334YnOVm59pPlbdqfHhgXZ",
            "ga4gh:VA.YFUR4oR_84b-rRFf0UzOjfI4eE5FTKAP",
        ),
        # a ReferenceLengthExpression whose sequence is left out (longer than 50) has the same identifier
        (
            VrsAllele(GRCH38_CHR13, 32331042, 32331094, ReferenceLengthExpression(104, 52)),
            "ga4gh:SL.88oOqkUgALP7fnN8P8lbvCosFhG8YpY0",
            "ga4gh:VA.j7qUzb1uvmdxLAbtdCPiay4kIRQmyZNv",
        ),
    ],
)
def test_identifiers_match_published_examples(allele: VrsAllele, location_id: str, allele_id: str) -> None:
    assert allele.location_identifier == location_id
    assert allele.identifier == allele_id
    document = allele.to_json()
    assert document["id"] == allele_id and document["location"]["id"] == location_id


class Window:
    """A long sequence that is N everywhere except a window of known bases (for published genomic cases)."""

    def __init__(self, start_0based: int, bases: str, length: int = 200_000_000) -> None:
        self.start = start_0based
        self.bases = bases
        self._length = length

    @property
    def length(self) -> int:
        return self._length

    def fetch(self, start_0based: int, end_0based: int) -> str:
        return "".join(
            self.bases[i - self.start] if self.start <= i < self.start + len(self.bases) else "N"
            for i in range(max(0, start_0based), min(self._length, end_0based))
        )


def test_duplication_in_a_homopolymer_normalises_to_the_published_reference_length_expression() -> None:
    # NC_000013.11:g.32331093_32331094dup: twelve T at [32331082, 32331094), flanked by non-T
    window = Window(32331081, "A" + "T" * 12 + "C")
    allele = normalize_allele(window, GRCH38_CHR13, 32331093, 32331094, "TTT")  # VCF 13-32331094-T-TTT
    assert (allele.start_0based, allele.end_0based) == (32331082, 32331094)
    assert allele.state == ReferenceLengthExpression(14, 2, "T" * 14)
    assert allele.identifier == "ga4gh:VA.swY2caCgv1kP6YqKyPlcEzJqTvou15vC"


def test_insertion_in_a_dinucleotide_repeat_takes_the_smallest_repeat_unit() -> None:
    # NC_000019.10:g.289464_289465insCACA: CA at [289464, 289466), G on both sides
    window = Window(289463, "GCAG")
    allele = normalize_allele(window, GRCH38_CHR19, 289464, 289464, "CACA")
    assert (allele.start_0based, allele.end_0based) == (289464, 289466)
    assert allele.state == ReferenceLengthExpression(6, 2, "CACACA")
    assert allele.identifier == "ga4gh:VA.YFUR4oR_84b-rRFf0UzOjfI4eE5FTKAP"


def test_deletion_outside_a_repeat_is_a_reference_length_expression_of_length_zero() -> None:
    # NC_000007.14:g.55181220del: the deleted base differs from both neighbours
    window = Window(55181217, "AGTC")
    allele = normalize_allele(window, GRCH38_CHR7, 55181218, 55181220, "G")  # VCF 7-55181219-GT-G
    assert (allele.start_0based, allele.end_0based) == (55181219, 55181220)
    assert allele.state == ReferenceLengthExpression(0, 1, "")
    assert allele.identifier == "ga4gh:VA.klRMVChjvV73ZxS9Ajq1Rb8WU-p_HbLu"


def test_unambiguous_insertion_stays_literal() -> None:
    # NC_000007.14:g.55181230_55181231insGGCT, with neighbours that do not continue GGCT
    window = Window(55181229, "AC")
    allele = normalize_allele(window, GRCH38_CHR7, 55181230, 55181230, "GGCT")
    assert allele.state == LiteralSequenceExpression("GGCT")
    assert allele.identifier == "ga4gh:VA.CLOvnFRJXGNRB9aTuNbvsLqc7syRYb55"


def test_tandem_duplication_expands_over_the_region_of_ambiguity() -> None:
    # vrs-python: gnomAD 13-19993838-GT-GTGT → [19993837, 19993839) RLE length 4, repeat unit 2
    window = Window(19993836, "AGTA")
    allele = normalize_allele(window, GRCH38_CHR13, 19993837, 19993839, "GTGT")
    assert (allele.start_0based, allele.end_0based) == (19993837, 19993839)
    assert allele.state == ReferenceLengthExpression(4, 2, "GTGT")


def test_substitutions_are_trimmed_and_stay_literal() -> None:
    sequence = LiteralSequence("ACGTACGT")
    allele = normalize_allele(sequence, "SQ.x", 1, 4, "CAT")  # CGT → CAT is G → A at 2
    assert (allele.start_0based, allele.end_0based, allele.state) == (2, 3, LiteralSequenceExpression("A"))


@given(
    st.text(alphabet="ACGT", min_size=30, max_size=60),
    st.integers(min_value=5, max_value=25),
    st.integers(min_value=1, max_value=4),
)
def test_every_placement_of_an_indel_in_a_repeat_gets_one_identifier(flank: str, where: int, unit_size: int) -> None:
    unit = flank[:unit_size]
    sequence_text = flank[:where] + unit * 4 + flank[where:]
    sequence = LiteralSequence(sequence_text)
    identifiers = set()
    for offset in range(0, 4 * unit_size + 1, unit_size):
        position = where + offset
        identifiers.add(normalize_allele(sequence, "SQ.x", position, position, unit).identifier)
    assert len(identifiers) == 1


@pytest.mark.parametrize(
    "state",
    [LiteralSequenceExpression("ACGT"), LiteralSequenceExpression(""), ReferenceLengthExpression(7, 3, "CAGCAGC")],
)
def test_direct_serialisation_equals_canonical_json(
    state: LiteralSequenceExpression | ReferenceLengthExpression,
) -> None:
    allele = VrsAllele(GRCH38_CHR19, 100, 107, state)
    location = {
        "end": 107,
        "sequenceReference": {"refgetAccession": GRCH38_CHR19, "type": "SequenceReference"},
        "start": 100,
        "type": "SequenceLocation",
    }
    assert allele.location_serialization() == canonical_json(location)
    expected = canonical_json({"location": allele.location_digest, "state": state.serializable(), "type": "Allele"})
    assert allele.serialization() == expected


def test_alleles_refuse_what_their_json_could_not_hold() -> None:
    with pytest.raises(ValueError, match="refget accession"):
        VrsAllele('SQ."x', 0, 1, LiteralSequenceExpression("A"))
    with pytest.raises(ValueError, match="residues"):
        VrsAllele("SQ.x", 0, 1, LiteralSequenceExpression('A"'))
