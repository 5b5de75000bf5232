"""Genotype filters ("adj"), half-missing genotypes and hemizygous recoding, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomdb.errors import InvalidInput
from genomdb.harmonize.genotypes import (
    ALT_SQL,
    CALLED_SQL,
    COMMON_GENOTYPES,
    GenotypeFilters,
    counted_sql,
    genotype_counts,
)
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.variants import repository as variant_repository
from genomdb.variants.store import VariantStore
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    X_NON_PAR_START,
    X_PAR_BOUNDARY,
    Y_START,
    CallFileSpec,
    SmallReference,
    allele_number,
    block,
    call,
    stored_blocks,
    stored_calls,
    submit_calls,
)

P = WINDOW_START + 1_000
FILTER_CASES = {
    # position: (GT, GQ, DP, AD, passes, alt_count, called_alleles)
    P + 0: ("0/1", 20, 10, "5,5", True, 1, 2),
    P + 10: ("0/1", 19, 10, "5,5", False, 1, 2),
    P + 20: ("0/1", 20, 9, "5,4", False, 1, 2),
    P + 30: ("0/1", 30, 10, "8,2", True, 1, 2),
    P + 40: ("0/1", 30, 11, "9,2", False, 1, 2),
    P + 50: ("1/1", 30, 10, "9,1", True, 2, 2),
    P + 60: ("0/1", None, 30, "15,15", False, 1, 2),
    P + 70: ("./1", 30, 20, "0,20", True, 1, 1),
    P + 80: ("1/.", 30, 20, "0,20", True, 1, 1),
    P + 90: ("0/1", 30, 20, ".", True, 1, 2),
    P + 100: ("1|0", 30, 20, "10,10", True, 1, 2),
}


def _alt(reference: SmallReference, chrom: str, pos: int) -> tuple[str, str]:
    base = reference.bases(chrom, pos)
    return base, "T" if base != "T" else "C"


def _filter_records(reference: SmallReference) -> list[str]:
    lines = []
    for pos, (gt, gq, dp, ad, *_) in FILTER_CASES.items():
        ref, alt = _alt(reference, AUTOSOME, pos)
        lines.append(call(AUTOSOME, pos, ref, alt, gt, gq=gq, dp=dp, ad=ad if ad != "." else ".", gvcf=True))
    positions = sorted(FILTER_CASES)
    lines.append(block(reference, AUTOSOME, P - 100, P - 1))
    for before, after in itertools.pairwise(positions):
        lines.append(block(reference, AUTOSOME, before + 1, after - 1))
    lines.append(block(reference, AUTOSOME, P + 101, P + 200, gq=10))
    lines.append(block(reference, AUTOSOME, P + 201, P + 300, min_dp=9))
    lines.append(block(reference, AUTOSOME, P + 301, P + 400))
    return lines


def test_genotype_filters_and_half_missing(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    submit_calls(
        ready, tmp_path / "calls", [CallFileSpec("RH-KG-T0001", _filter_records(small_reference))], small_reference
    )
    harmonize(ready)
    calls = {row["pos"]: row for row in stored_calls(ready)}
    blocks = stored_blocks(ready)
    assert set(calls) == set(FILTER_CASES)
    for pos, (gt, _, _, _, passes, alt_count, called) in FILTER_CASES.items():
        row = calls[pos]
        assert (row["passes"], row["alt_count"], row["called_alleles"]) == (passes, alt_count, called), gt
        assert row["phased"] == ("|" in gt)
        assert allele_number(blocks, AUTOSOME, pos) == (called if passes else 0), f"AN at {gt}"
    assert allele_number(blocks, AUTOSOME, P - 50) == 2
    assert allele_number(blocks, AUTOSOME, P + 150) == 0, "a block with GQ 10 is not callable"
    assert allele_number(blocks, AUTOSOME, P + 250) == 0, "a block with MIN_DP 9 is not callable"
    assert allele_number(blocks, AUTOSOME, P + 350) == 2
    assert calls[P + 90]["ad_ref"] is None and calls[P + 0]["ad_alt"] == 5 and calls[P + 0]["gq"] == 20


def test_filters_are_configurable_and_recorded(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    submit_calls(
        ready, tmp_path / "calls", [CallFileSpec("RH-KG-T0001", _filter_records(small_reference))], small_reference
    )
    harmonize(ready, filters=GenotypeFilters(min_gq=19, min_dp=9, min_allele_balance=0.1))
    calls = {row["pos"]: row["passes"] for row in stored_calls(ready)}
    assert calls[P + 10] and calls[P + 20] and calls[P + 40]
    assert not calls[P + 60], "a missing GQ never passes"
    (batch,) = VariantStore.of(ready).batches()
    assert batch.filters == {"min_gq": 19, "min_dp": 9, "min_allele_balance": 0.1}
    with pytest.raises(InvalidInput, match="genotype filters"):
        GenotypeFilters(min_allele_balance=0.7)


def _sex_chromosome_records(reference: SmallReference, *, male: bool) -> list[str]:
    x = X_NON_PAR_START + 500
    par = X_PAR_BOUNDARY - 5_000
    return [
        block(reference, "chrX", x - 100, x - 1),
        call("chrX", x, *_alt(reference, "chrX", x), "1/1", gvcf=True),
        block(reference, "chrX", x + 1, x + 9),
        call("chrX", x + 10, *_alt(reference, "chrX", x + 10), "0/1", gvcf=True),
        block(reference, "chrX", x + 11, x + 19),
        call("chrX", x + 20, *_alt(reference, "chrX", x + 20), "1" if male else "0/1", gvcf=True),
        block(reference, "chrX", x + 21, x + 100),
        call("chrX", par, *_alt(reference, "chrX", par), "0/1", gvcf=True),
        block(reference, "chrX", par + 1, X_PAR_BOUNDARY + 100),
        block(reference, "chrY", Y_START + 100, Y_START + 199, gt="0" if male else "0/0"),
        call("chrY", Y_START + 200, *_alt(reference, "chrY", Y_START + 200), "1" if male else "0/1", gvcf=True),
    ]


def test_hemizygous_recoding_in_xy_and_no_chry_in_xx(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    specs = [
        CallFileSpec("RH-KG-T0001", _sex_chromosome_records(small_reference, male=True), sex="male", person=1),
        CallFileSpec("RH-KG-T0002", _sex_chromosome_records(small_reference, male=False), sex="female", person=2),
    ]
    submit_calls(ready, tmp_path / "calls", specs, small_reference)
    harmonize(ready)
    qc = {r.submitter_sample_id: r.qc for r in variant_repository.sample_qc_records(ready.db)}
    assert qc["RH-KG-T0001"].inferred_sex == "unknown" and qc["RH-KG-T0001"].ploidy_sex == "XY"
    assert qc["RH-KG-T0002"].ploidy_sex == "XX"
    male_id, female_id = qc["RH-KG-T0001"].sample_id, qc["RH-KG-T0002"].sample_id
    calls = {(row["sample"], row["chrom"], row["pos"]): row for row in stored_calls(ready)}
    x = X_NON_PAR_START + 500
    par = X_PAR_BOUNDARY - 5_000

    def summary(sample: str, chrom: str, pos: int) -> tuple[int, int, bool]:
        row = calls[(sample, chrom, pos)]
        return row["alt_count"], row["called_alleles"], row["passes"]

    assert summary("RH-KG-T0001", "chrX", x) == (1, 1, True), "hom-alt 1/1 in XY outside PAR is one copy"
    assert summary("RH-KG-T0001", "chrX", x + 10) == (1, 1, False), "a het call where XY is hemizygous fails"
    assert summary("RH-KG-T0001", "chrX", x + 20) == (1, 1, True), "a haploid call stays haploid"
    assert summary("RH-KG-T0001", "chrX", par) == (1, 2, True), "PAR1 is diploid in XY"
    assert summary("RH-KG-T0001", "chrY", Y_START + 200) == (1, 1, True)
    assert summary("RH-KG-T0002", "chrX", x) == (2, 2, True)
    assert summary("RH-KG-T0002", "chrY", Y_START + 200)[2] is False, "XX samples have no chrY"

    blocks = stored_blocks(ready)
    male = [b for b in blocks if b["sample_id"] == male_id]
    female = [b for b in blocks if b["sample_id"] == female_id]
    assert allele_number(male, "chrX", x - 50) == 1 and allele_number(female, "chrX", x - 50) == 2
    assert allele_number(male, "chrX", X_PAR_BOUNDARY) == 2, "a block crossing the PAR boundary is split"
    assert allele_number(male, "chrX", X_PAR_BOUNDARY + 1) == 1
    assert allele_number(male, "chrY", Y_START + 150) == 1
    assert allele_number(female, "chrY", Y_START + 150) == 0 and allele_number(female, "chrY", Y_START + 200) == 0
    assert allele_number(male, "chrX", x + 10) == 0, "the failing het is not callable"


_allele = st.sampled_from(["0", "1", "."])
_genotype = st.one_of(
    st.just(""),
    st.builds(
        lambda first, rest: first + "".join(sep + allele for sep, allele in rest),
        _allele,
        st.lists(st.tuples(st.sampled_from(["/", "|"]), _allele), max_size=2),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_genotype, min_size=1, max_size=20))
def test_looked_up_genotype_counts_equal_the_counted_ones(genotypes: list[str]) -> None:
    """The common genotypes' counts are looked up: they, and every other genotype, count as character by character."""
    genotypes = [*genotypes, *COMMON_GENOTYPES]
    con = duckdb.connect()
    con.execute("CREATE TABLE g (genotype VARCHAR)")
    con.executemany("INSERT INTO g VALUES (?)", [(g,) for g in genotypes])
    rows = con.execute(
        f"SELECT genotype, {counted_sql('genotype', 0, CALLED_SQL)}, {CALLED_SQL}, "
        f"{counted_sql('genotype', 1, ALT_SQL)}, {ALT_SQL} FROM g"
    ).fetchall()
    for genotype, called, called_counted, alt, alt_counted in rows:
        assert (called, alt) == (called_counted, alt_counted) == genotype_counts(genotype), genotype
