"""The data-out demo runs on the demo cohort and tells the story the README promises."""

from __future__ import annotations

from genomdb.dataout.demo import run_dataout_demo
from genomdb.demo import DemoCohort
from genomdb.demo.load import load_demo
from genomdb.instance import Instance


def test_dataout_demo(instance: Instance, demo_cohort: DemoCohort) -> None:
    load_demo(instance, demo_cohort)
    lines = run_dataout_demo(instance)
    text = "\n".join(lines)
    assert len(lines) == 7 and not any(line.startswith("✗") for line in lines), text
    assert "fetched a CRAM slice (LDLR) of own patient" in lines[1] and "[rule own-department]" in lines[1]
    assert "refused: refused by rule deny-by-default" in lines[2]
    assert "[rule grant]" in lines[3]
    assert "project pseudonyms (e.g. RP-" in lines[4]
    assert "genomdb audit verify" in lines[6] and "intact" in lines[6]
    # a second run reuses the users and keys and still passes
    again = run_dataout_demo(instance)
    assert not any(line.startswith("✗") for line in again), "\n".join(again)
    assert "refused by rule grant-revoked" in again[2]
    print(text)
