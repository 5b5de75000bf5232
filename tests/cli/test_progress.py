"""Progress: a bar on a terminal; one line per step on stderr when not a terminal, never a CPR number."""

from __future__ import annotations

import io

from genomdb.cli.output import RichProgress
from tests.identities import fake_cpr


def test_not_a_terminal_logs_one_line_per_step() -> None:
    stream = io.StringIO()
    progress = RichProgress("steps", log_every=0, stream=stream)
    progress.begin("building the frequency release", 4)
    progress.advance(1, note="batch B-1")
    progress.advance(3, note="tables written")
    progress.end()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "building the frequency release: started (4 to do)"
    assert lines[1] == "building the frequency release: 1 of 4 (25%), batch B-1"
    assert lines[2] == "building the frequency release: 4 of 4 (100%), tables written"
    assert lines[3].startswith("building the frequency release: done in ")
    assert len(lines) == 4


def test_the_log_is_throttled_and_counts_bytes() -> None:
    stream = io.StringIO()
    progress = RichProgress("bytes", log_every=3600, stream=stream)
    progress.begin("harmonising 3 file(s)", 5_000_000)
    for _ in range(50):
        progress.advance(100_000)
    progress.end()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "harmonising 3 file(s): started (5.0 MB to do)"
    assert len(lines) == 2 and "done in" in lines[1]


def test_the_log_never_carries_a_cpr_number() -> None:
    stream = io.StringIO()
    cpr = fake_cpr(1, 2, 80, 1234, dash=True)
    progress = RichProgress("bytes", log_every=0, stream=stream)
    progress.begin(f"staging {cpr}", 10)
    progress.advance(5, note=f"file-{cpr}.vcf.gz")
    progress.end()
    assert cpr not in stream.getvalue() and "••••••-••••" in stream.getvalue()
