"""The demo's last step: a PGx batch run over the cohort and one example report, read as a clinician would."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from genomdb.access.users import resolve_actor
from genomdb.demo.users import clinician_name
from genomdb.ingest.progress import ProgressSink
from genomdb.instance import Instance
from genomdb.pgx.html_report import report_document
from genomdb.pgx.repository import every_result
from genomdb.pgx.runs import PgxRunSummary, pgx_report, run_pgx
from genomdb.variants.cohort import frequency_cohort

EXAMPLE_DEPARTMENT = "RH-KG"
PREFERRED = ("*2/*17", "*2/*2", "*1/*2", "*17/*17", "*1/*17")
"""The example report shows the most telling CYP2C19 diplotype the department has, in this order."""


@dataclass(frozen=True, slots=True)
class DemoPgxOutcome:
    summary: PgxRunSummary
    cyp2c19: Counter[str]
    """CYP2C19 diplotypes over the cohort (ties joined with " or "; "not called" when none)."""
    example: Path | None
    example_sample: str | None
    example_diplotype: str | None


def run_demo_pgx(
    instance: Instance, out_dir: Path, *, progress: ProgressSink | None = None, workers: int | None = None
) -> DemoPgxOutcome:
    """Run PGx over every harmonised sample, count CYP2C19 diplotypes, and write one example HTML report of a
    department's person, read through the access policy as that department's demo clinician (audited)."""
    summary = run_pgx(instance, progress=progress, workers=workers or os.cpu_count() or 1)
    current = {s.sample_id: s for s in frequency_cohort(instance.catalog) if s.current}
    newest: dict[int, dict[str, object]] = {}
    for result in every_result(instance.db):
        if result.data_version == summary.data_version and result.sample_id in current:
            newest.setdefault(result.sample_id, result.report)
    counts: Counter[str] = Counter()
    chosen: dict[str, str] = {}
    for sample_id, report in newest.items():
        genes = report.get("genes")
        gene = next((g for g in genes if g.get("gene") == "CYP2C19"), None) if isinstance(genes, list) else None
        diplotypes = " or ".join(gene.get("diplotypes") or []) if gene else ""
        counts[diplotypes or "not called"] += 1
        sample = current[sample_id]
        complete = gene is not None and not gene.get("missing_positions")
        if sample.department == EXAMPLE_DEPARTMENT and diplotypes in PREFERRED and complete:
            chosen.setdefault(diplotypes, sample.sample_key)
    pick = next((d for d in PREFERRED if d in chosen), None)
    if pick is None:
        return DemoPgxOutcome(summary, counts, None, None, None)
    clinician = resolve_actor(instance, clinician_name(EXAMPLE_DEPARTMENT))
    found = pgx_report(instance, clinician, chosen[pick])
    path = out_dir / f"pgx-report-{chosen[pick]}.html"
    path.write_text(report_document(found, person=str(found.get("person") or "")), encoding="utf-8")
    return DemoPgxOutcome(summary, counts, path, chosen[pick], pick)
