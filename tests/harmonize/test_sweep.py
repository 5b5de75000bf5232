"""The blocks sweep (``evidence``) against a direct reading of its definition, on arbitrary pieces of evidence.

For each piece, within its sample and chromosome: ``reach_before`` is the furthest end of the pieces that start
before it, ``next_start`` the nearest start after it, ``n_starting_here`` how many pieces start where it does. A
piece opens a group when nothing before it reaches it, and is isolated when it opens a group, starts alone and
ends before the next start. Ties (pieces starting at one base), nested and touching pieces, several samples and
chromosomes are all drawn.
"""

from __future__ import annotations

from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from genomdb.harmonize.blocks import evidence

_piece = st.tuples(
    st.integers(1, 3),  # sample
    st.sampled_from(["chr1", "chr2", "chrX"]),
    st.integers(1, 40),  # start
    st.integers(0, 12),  # length - 1
)


def _expected(pieces: list[tuple[int, str, int, int]]) -> list[tuple[Any, ...]]:
    rows = []
    for sample, chrom, start, end in pieces:
        same = [(s, e) for x, c, s, e in pieces if x == sample and c == chrom]
        before = [e for s, e in same if s < start]
        after = [s for s, _ in same if s > start]
        reach = max(before) if before else None
        nxt = min(after) if after else None
        n_here = sum(1 for s, _ in same if s == start)
        opens = reach is None or start > reach
        isolated = opens and n_here == 1 and (nxt is None or nxt > end)
        rows.append((sample, chrom, start, end, reach, n_here, nxt, opens, isolated))
    return sorted(rows, key=repr)


@settings(max_examples=150, deadline=None)
@given(st.lists(_piece, min_size=0, max_size=30))
def test_sweep_matches_its_definition(drawn: list[tuple[int, str, int, int]]) -> None:
    pieces = [(sample, chrom, start, start + extra) for sample, chrom, start, extra in drawn]
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE genotypes (sample_id BIGINT, chrom VARCHAR, pos INTEGER, end_pos BIGINT, "
        "called_raw BIGINT, gq INTEGER, kind VARCHAR, min_dp INTEGER, dp INTEGER, alt_raw BIGINT, passes BOOLEAN, "
        "ploidy_sex VARCHAR)"
    )
    if pieces:
        con.executemany("INSERT INTO genotypes VALUES (?, ?, ?, ?, 2, 30, 'reference', 20, 25, 0, true, 'XX')", pieces)
    con.register("evidence", evidence(con))
    found = con.execute(
        "SELECT sample_id, chrom, s, e, reach_before, n_starting_here, next_start, opens_group, isolated FROM evidence"
    ).fetchall()
    assert sorted(found, key=repr) == _expected(pieces)
