"""Load a generated demo cohort through the real data-in path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from genomdb.demo.generate import DemoCohort
from genomdb.ingest.progress import ProgressSink
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.submission import SubmissionOutcome


def load_demo(
    instance: Instance,
    cohort: DemoCohort,
    *,
    progress_factory: Callable[[], ProgressSink] | None = None,
    on_submitted: Callable[[Path, SubmissionOutcome], None] | None = None,
) -> list[SubmissionOutcome]:
    """Register the demo reference and submit every department's manifest, exactly as a department would."""
    if instance.reference_fasta("GRCh38") is None:
        instance.add_reference("GRCh38", cohort.reference_fasta)
    outcomes = []
    for manifest in cohort.manifest_paths:
        outcome = submit_manifest(
            instance, manifest, progress=progress_factory() if progress_factory is not None else None
        )
        outcomes.append(outcome)
        if on_submitted is not None:
            on_submitted(manifest, outcome)
    return outcomes
