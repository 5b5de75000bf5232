"""The batch's ``callable`` table (``callable_runs`` over a chunk's ``blocks``) against its plain definition:
each sample's abutting blocks of equal callable alleles merged into one run, on arbitrary non-overlapping blocks
(abutting or with gaps, equal or different allele counts, several samples and chromosomes)."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from genomdb.harmonize.blocks import callable_runs
from genomdb.variants.layout import CALLABLE_SCHEMA
from tests.frequency.batches import merged_runs

_stretch = st.tuples(
    st.integers(0, 2),  # gap before the block: 0 abuts the previous one
    st.integers(0, 5),  # length - 1
    st.integers(1, 2),  # callable alleles
)


@st.composite
def _blocks(draw: st.DrawFn) -> list[dict[str, object]]:
    blocks: list[dict[str, object]] = []
    for sample in range(1, draw(st.integers(1, 3)) + 1):
        for chrom in draw(st.lists(st.sampled_from(["chr1", "chr2", "chrX"]), unique=True, max_size=3)):
            end = draw(st.integers(0, 20))
            for gap, length, alleles in draw(st.lists(_stretch, max_size=12)):
                start = end + 1 + gap
                end = start + length
                blocks.append(
                    {
                        "sample_id": sample,
                        "chrom": chrom,
                        "start_1based": start,
                        "end_1based": end,
                        "callable_alleles": alleles,
                    }
                )
    return draw(st.permutations(blocks))


@settings(max_examples=200, deadline=None)
@given(_blocks())
def test_callable_runs_merge_exactly_the_abutting_blocks_of_equal_alleles(blocks: list[dict[str, object]]) -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE blocks (sample_id BIGINT, chrom VARCHAR, start_1based INTEGER, end_1based INTEGER, "
        "callable_alleles TINYINT, min_gq SMALLINT, min_dp SMALLINT)"
    )
    columns = ("sample_id", "chrom", "start_1based", "end_1based", "callable_alleles")
    if blocks:
        con.executemany(
            "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, 30, 10)", [tuple(b[c] for c in columns) for b in blocks]
        )
    runs = callable_runs(con)
    assert runs.schema.equals(CALLABLE_SCHEMA)
    found = sorted(zip(*(runs.column(c).to_pylist() for c in columns), strict=True))
    expected = sorted(tuple(run[c] for c in columns) for run in merged_runs(blocks))
    assert found == expected
