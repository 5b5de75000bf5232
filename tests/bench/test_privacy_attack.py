"""bench/privacy.py at its small size: the membership-inference attack runs against a real `genomdb serve`.

What is asserted is behaviour, not timing: every public surface answers exactly as the Beacon does (so none adds to
what the Beacon reveals), no public answer reveals a variant under the lowest floor (its answer is "not observed"),
the same attack does find members when a tier reveals every variant (so the attack code has power), and the
budget over days refuses with 429 and keeps refusing after a restart.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "privacy.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_privacy", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_privacy"] = module
    spec.loader.exec_module(module)
    return module


def test_attack_statistics_on_known_answers() -> None:
    bench = _bench()
    assert bench.auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert bench.auc(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.5
    assert bench.tpr_at_fpr(np.arange(100.0) + 1000, np.arange(100.0)) == 1.0
    sf = bench.binomial_sf(20, np.array([0.1, 0.5]), 3)
    assert sf[0] == pytest.approx([1.0, 1.0]) and sf[1][0] == pytest.approx(1 - 0.9**20)
    rule = bench.Rule("fixed", (10,))
    p_in, p_out = bench.reveal_probabilities(rule, 1000, np.array([0.004]), np.array([1]))
    assert p_in[0] > p_out[0]  # one more carrier makes reaching the floor more likely


@pytest.mark.slow
def test_small_attack_against_a_running_server(tmp_path: Path) -> None:
    bench = _bench()
    result = bench.run(bench.SMALL, seed=3, work=tmp_path, time_limit=600)
    checks = result.checks
    assert set(checks["surfaces agreeing with the Beacon on every variant"]) == {
        "Beacon",
        "API variant look-ups",
        "API region listings",
        "browser CSV",
    }
    assert checks["public yes for AC < 10"] == 0 and checks["gene listing inside region listing"]
    assert checks["public counts shown"] == 0  # the public tier says "observed", never how often
    by = {(r["surface"], r["attack"], r["queries"]): r for r in result.rows}
    most = max(bench.SMALL.query_counts)
    assert by[("API, controlled tier (token)", "SB LRT", most)]["auc"] >= 0.9
    for surface in ("API variant look-ups", "API region listings", "browser CSV"):
        for attack in ("SB LRT", "floor-aware LRT"):
            for q in bench.SMALL.query_counts:
                assert by[(surface, attack, q)]["auc"] == by[("Beacon", attack, q)]["auc"]
    budget = result.budget
    assert budget["refused_after"] == budget["per_day"] and budget["retry_after"] >= 1
    assert budget["resets_at"].endswith("+00:00") and budget["refused_after_restart"]
    assert result.n_requests < 5000
    assert "AUC" in bench.report(result)
