"""The bulk record walk (NumPy over a whole block) against the line-by-line walk it stands in for.

``_RecordWalk.feed_text`` checks a block at once and hands it to ``feed`` whenever a line needs a closer look. For
any block the two must leave the same problems and the same state: records and reference blocks counted, contigs
in order, where the walk stands. Hypothesis builds record blocks from clean lines and every kind of damage the
line-by-line walk reports or tolerates, cut into blocks at arbitrary line boundaries.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from genomdb.ingest.validators.base import FileReport
from genomdb.ingest.validators.fastq import split_lines
from genomdb.ingest.validators.variants import _digits, _RecordWalk, _words

LENGTHS: dict[str, int | None] = {
    "chr1": 5_000,
    "chr2": 3_000,
    "chrX": None,
    "chrUn_K1": None,  # 8 bytes: the widest CHROM read as one word
    "chrUn_K12": 800,  # 9 bytes
    "chrUn_" + "K" * 70: 900,  # checked line by line
}
N_TABS = 9  # CHROM … FORMAT and one sample


def _line(chrom: str, pos: str, alt: str = "A", info: str = ".", sample: str = "0/1:30") -> str:
    return "\t".join([chrom, pos, ".", "C", alt, ".", "PASS", info, "GT:DP", sample])


def _clean(chrom: str, pos: int, kind: int) -> str:
    if kind == 0:
        return _line(chrom, str(pos), "<NON_REF>", f"END={pos + 5}", "0/0:20")
    if kind == 1:
        return _line(chrom, str(pos), "<*>", f"END={pos + 5}", "0/0:20")
    if kind == 2:
        return _line(chrom, str(pos), ".", f"END={pos + 3}", "0/0:20")
    if kind == 3:
        return _line(chrom, str(pos), ".", ".", "0/0:END=7")  # END= after ALT ".", though not in INFO
    if kind == 4:
        return _line(chrom, f"{pos:07d}", ".", ".", "0/0:20")  # leading zeros
    if kind in (6, 7, 8, 9):  # POS 8, 9, 15 and 16 characters wide (one word, two, the widest read in bulk, beyond)
        return _line(chrom, f"{pos:0{ {6: 8, 7: 9, 8: 15, 9: 16}[kind] }d}", "<NON_REF>", f"END={pos}", "0/0:20")
    if kind == 10:
        return _line(chrom, str(pos), "<NON_REX>", f"END={pos}", "0/0:20")  # not a block: one byte differs
    if kind == 11:
        return _line(chrom, str(pos), "<*", ".", "0/0:20")
    return _line(chrom, str(pos), "G,<NON_REF>")


DAMAGE = [
    lambda chrom, pos: _line(chrom, f"+{pos}"),
    lambda chrom, pos: _line(chrom, f" {pos}"),
    lambda chrom, pos: _line(chrom, "1_0"),
    lambda chrom, pos: _line(chrom, ""),
    lambda chrom, pos: _line(chrom, "12a"),
    lambda chrom, pos: _line(chrom, "-3"),
    lambda chrom, pos: _line(chrom, "9" * 19),
    lambda chrom, pos: _line(chrom, "1234:678"),  # ":" and "/" lie just above "9" and below "0"
    lambda chrom, pos: _line(chrom, "/2345678"),
    lambda chrom, pos: _line(chrom, "12345678901234a"),
    lambda chrom, pos: _line(chrom, str(pos - 40)),  # goes backwards
    lambda chrom, pos: _line(chrom, str(pos + 10_000)),  # beyond chr1/chr2
    lambda chrom, pos: _line(chrom, str(pos)) + "\textra",
    lambda chrom, pos: _line(chrom, str(pos)).replace("\tPASS", "PASS"),
    lambda chrom, pos: "",
    lambda chrom, pos: _line(chrom, str(pos)) + "\r",
    lambda chrom, pos: "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
    lambda chrom, pos: "##INFO=<ID=X>",
    lambda chrom, pos: _line("chr9", str(pos)),  # not declared
    lambda chrom, pos: _line("chr1", str(pos)),  # chr1 again after another contig
    lambda chrom, pos: _line("", str(pos)),
    lambda chrom, pos: _line("#chr1", str(pos)),
]

lines_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(LENGTHS)),
        st.integers(0, 11),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=60,
)
damage_strategy = st.lists(st.tuples(st.integers(0, 59), st.integers(0, len(DAMAGE) - 1)), max_size=3)


def _body(spec: list[tuple[str, int, int]], damage: list[tuple[int, int]]) -> list[str]:
    """Lines in contig order (each contig once, positions ascending), a few of them damaged."""
    order = {chrom: rank for rank, chrom in enumerate(LENGTHS)}
    spec = sorted(spec, key=lambda item: order[item[0]])
    damaged = dict(damage)
    lines, pos, chrom_before = [], 0, None
    for i, (chrom, kind, step) in enumerate(spec):
        pos = pos + step if chrom == chrom_before else 1 + step
        chrom_before = chrom
        lines.append(_clean(chrom, pos, kind) if i not in damaged else DAMAGE[damaged[i]](chrom, pos))
    return lines


def _state(walk: _RecordWalk, report: FileReport) -> tuple[Any, ...]:
    return (
        [astuple(problem) for problem in report.problems],
        walk.n_records,
        walk.n_reference_blocks,
        walk.contigs,
        walk.last_chrom,
        walk.last_pos,
        walk.contig_length,
        walk.is_sorted,
        walk.stopped,
        walk.line_number,
    )


def _walk(blocks: list[bytes], *, bulk: bool) -> tuple[Any, ...]:
    report = FileReport()
    walk = _RecordWalk(report, "lab/s.g.vcf.gz", LENGTHS, first_line=12, n_tabs=N_TABS)
    for block in blocks:
        if bulk:
            walk.feed_text(block)
        else:
            walk.feed(split_lines(block))
        if walk.stopped:
            break
    return _state(walk, report)


@settings(max_examples=400, deadline=None)
@given(
    spec=lines_strategy,
    damage=damage_strategy,
    cuts=st.lists(st.integers(1, 59), max_size=3),
    final_newline=st.booleans(),
)
def test_bulk_walk_leaves_what_the_line_walk_leaves(
    spec: list[tuple[str, int, int]], damage: list[tuple[int, int]], cuts: list[int], final_newline: bool
) -> None:
    lines = _body(spec, damage)
    bounds = sorted({c for c in cuts if c < len(lines)})
    blocks = [
        "".join(f"{line}\n" for line in lines[low:high]).encode()
        for low, high in zip([0, *bounds], [*bounds, len(lines)], strict=True)
    ]
    if not final_newline and blocks[-1].endswith(b"\n") and len(lines[-1]) > 0:
        blocks[-1] = blocks[-1][:-1]  # a last line without a newline comes as it is
    assert _walk(blocks, bulk=True) == _walk(blocks, bulk=False)


def test_clean_block_is_taken_in_bulk_and_counted() -> None:
    lines = [_clean("chr1", 10 * i + 1, i % 6) for i in range(200)] + [_clean("chr2", i + 1, 0) for i in range(50)]
    block = "".join(f"{line}\n" for line in lines).encode()
    report = FileReport()
    walk = _RecordWalk(report, "lab/s.g.vcf.gz", LENGTHS, first_line=12, n_tabs=N_TABS)
    assert walk._feed_plain(block)
    assert not report.problems
    # kinds 0, 1 and 2 are blocks (<NON_REF>, <*>, "." with END= in INFO), and kind 3 ("." with END= later on)
    assert walk.n_reference_blocks == sum(1 for i in range(200) if i % 6 in (0, 1, 2, 3)) + 50
    assert (walk.n_records, walk.contigs, walk.last_chrom, walk.last_pos) == (250, [b"chr1", b"chr2"], b"chr2", 50)
    assert walk.contig_length == 3_000 and walk.line_number == 11 + 250


def test_block_with_a_problem_is_named_line_by_line() -> None:
    lines = [_clean("chr1", i + 1, 0) for i in range(30)]
    lines[17] = _line("chr1", "5")  # goes backwards
    report = FileReport()
    walk = _RecordWalk(report, "lab/s.g.vcf.gz", LENGTHS, first_line=12, n_tabs=N_TABS)
    block = "".join(f"{line}\n" for line in lines).encode()
    assert not walk._feed_plain(block)
    walk.feed_text(block)
    assert [(p.message, p.location, p.field) for p in report.problems] == [
        ("records are not sorted: position goes backwards", "line 29", "POS")
    ]


def test_positions_of_nine_to_sixteen_digits_are_read_in_bulk() -> None:
    """Most GRCh38 chromosomes are longer than 10^8 bases: their positions take the bulk walk too."""
    positions = [7, 99_999_999, 100_000_000, 248_956_422, 12_345_678_901_234, 1_234_567_890_123_456]
    block = "".join(f"{_clean('chrX', pos, 0)}\n" for pos in positions).encode()
    report = FileReport()
    walk = _RecordWalk(report, "lab/s.g.vcf.gz", LENGTHS, first_line=12, n_tabs=N_TABS)
    assert walk._feed_plain(block)
    assert (walk.n_records, walk.last_pos, report.problems) == (6, 1_234_567_890_123_456, [])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("0123456789", min_size=1, max_size=16), min_size=1, max_size=30))
def test_bulk_digits_read_as_int_reads_them(numbers: list[str]) -> None:
    text = ("\t".join(numbers) + "\t").encode()
    words = _words(text)
    ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 9)
    firsts = np.concatenate([[0], ends[:-1] + 1])
    assert _digits(words, firsts, ends).tolist() == [int(n) for n in numbers]
