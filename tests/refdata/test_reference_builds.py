from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest

from genomdb.errors import InvalidInput
from genomdb.refdata import canonical_contig_name, get_build, guess_build, read_fasta_contigs


def test_grch38_has_exact_primary_lengths_and_md5s() -> None:
    build = get_build("GRCh38")
    assert build.contig_names[:2] == ("chr1", "chr2")
    assert len(build.contigs) == 25
    assert build.contig("chr1") == ("chr1", 248956422, "6aef897c3d6ff0c78aff06ac189178dd")
    assert build.contig("chrX").length == 156040895  # type: ignore[union-attr]
    assert build.contig("chrY").length == 57227415  # type: ignore[union-attr]
    assert build.contig("chrM").length == 16569  # type: ignore[union-attr]
    assert all(c.md5 is not None and len(c.md5) == 32 for c in build.contigs)


def test_grch37_has_exact_primary_lengths() -> None:
    build = get_build("grch37")
    assert build.name == "GRCh37"
    assert build.contig("1") == ("1", 249250621, "1b22b98cdeb4a9304cb5d48026a85128")
    assert build.contig("X").length == 155270560  # type: ignore[union-attr]
    assert build.contig("MT").length == 16569  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("asked", "found"),
    [("1", "chr1"), ("chr1", "chr1"), ("MT", "chrM"), ("M", "chrM"), ("chrx", "chrX"), ("Y", "chrY")],
)
def test_lookup_accepts_both_naming_styles(asked: str, found: str) -> None:
    contig = get_build("GRCh38").contig(asked)
    assert contig is not None and contig.name == found
    assert asked in get_build("GRCh38")


def test_lookup_of_non_primary_contig_is_none() -> None:
    build = get_build("GRCh38")
    assert build.contig("chr1_KI270706v1_random") is None
    assert "chrEBV" not in build
    assert canonical_contig_name("chrM") == canonical_contig_name("MT") == "MT"


def test_unknown_build_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        get_build("hg18")
    assert raised.value.problems[0].found == "hg18"


def test_guess_build_from_lengths() -> None:
    grch38 = {c.name: c.length for c in get_build("GRCh38").contigs}
    grch37 = {c.name: c.length for c in get_build("GRCh37").contigs}
    assert guess_build(grch38) == "GRCh38"
    assert guess_build(grch37) == "GRCh37"
    # other naming style, extra decoys, only a few chromosomes
    assert guess_build({"1": 248956422, "chrUn_decoy": 1000, "X": 156040895}) == "GRCh38"
    assert guess_build({"chr1": 249250621, "chr2": 243199373}) == "GRCh37"


def test_guess_build_is_none_when_nothing_fits() -> None:
    assert guess_build({"chr1": 6000, "chr2": 4000}) is None
    assert guess_build({"chrM": 16569}) is None  # identical in both builds
    assert guess_build({"chr1": 248956422, "chr2": 243199373}) is None  # mixed
    assert guess_build({}) is None


def test_read_fasta_contigs_md5_matches_samtools_dict(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    sequences = {"chrA": "ACGTacgtNNNN" * 300, "chrB": "ggccTTAA" * 77}
    with fasta.open("w") as out:
        for name, seq in sequences.items():
            out.write(f">{name}\n")
            out.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    pysam.faidx(str(fasta))
    contigs = read_fasta_contigs(fasta)
    dictionary = pysam.samtools.dict(str(fasta))
    expected = {
        fields["SN"]: fields["M5"]
        for line in dictionary.splitlines()
        if line.startswith("@SQ")
        for fields in [dict(part.split(":", 1) for part in line.split("\t")[1:])]
    }
    assert [(c.name, c.length) for c in contigs] == [("chrA", 3600), ("chrB", 616)]
    assert {c.name: c.md5 for c in contigs} == expected


def test_read_fasta_contigs_reads_bgzipped_fasta(tmp_path: Path) -> None:
    plain = tmp_path / "ref.fa"
    plain.write_text(">c1\n" + "ACGT" * 1000 + "\n")
    bgzipped = tmp_path / "ref.fa.gz"
    pysam.tabix_compress(str(plain), str(bgzipped))
    pysam.faidx(str(bgzipped))
    pysam.faidx(str(plain))
    assert read_fasta_contigs(bgzipped) == read_fasta_contigs(plain)
    assert gzip.decompress(bgzipped.read_bytes()).startswith(b">c1")
