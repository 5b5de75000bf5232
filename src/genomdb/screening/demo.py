"""The end of the demo: both programmes run by the steward, and one carrier's cascade worklist as their
department's clinician sees it (the person who does not want to know is on no list).

A cohort of a few hundred people cannot pass a real frequency cap: a variant seen twice among 400 alleles has a
FAF95 of about 0.0009, near the shipped caps (0.001), and above them once some samples are excluded. So each
programme runs first with the shipped policy (the planted carriers are flagged, not reported), then with a demo
edition whose caps fit the cohort (0.01), loaded like any edited policy — and the run shows the diff."""

from __future__ import annotations

import yaml

from genomdb.access.users import resolve_actor
from genomdb.instance import Instance
from genomdb.screening import repository, service
from genomdb.screening.cascade import yields
from genomdb.screening.policy import SHIPPED, shipped_policy_text

DEMO_CAP = 0.01
DEMO_EDITION = "demo"


def demo_policy_text(programme: str) -> str:
    """The shipped policy with caps that fit a demo cohort, as a new policy version (``…-demo``)."""
    document = yaml.safe_load(shipped_policy_text(programme))
    document["policy_version"] = f"{document['policy_version']}-{DEMO_EDITION}"
    document["notes"] = f"demo edition: every max_credible_faf95 is {DEMO_CAP} (a cohort of a few hundred people)"
    for gene in document["genes"].values():
        gene["max_credible_faf95"] = max(DEMO_CAP, float(gene["max_credible_faf95"]))
    return yaml.safe_dump(document, sort_keys=False)


def run_screening_demo(instance: Instance, *, steward: str, clinician_of: dict[str, str]) -> list[str]:
    """Run every programme as ``steward``; print-ready lines, ending with a cascade worklist read as the index
    case's department's clinician (``clinician_of``: department code → username)."""
    lines = []
    actor = resolve_actor(instance, steward)
    index = None
    for programme in SHIPPED:
        for edition in (False, True):
            if edition:
                service.load_policy_text(
                    instance, actor, demo_policy_text(programme), file_name=f"{programme}-demo.yaml", via="cli"
                )
            outcome = service.run_programme(instance, actor, programme)
            run = outcome.run
            lines.append(
                f"{programme}: {run.run_id}, policy {run.policy_version}, {run.n_samples} persons: "
                f"{run.n_reported} carrier(s) reported, {run.n_flagged} flagged (too frequent for the policy's cap)"
                + (
                    f"; {outcome.n_newly_actionable} newly actionable since {outcome.previous.run_id}, "
                    f"{outcome.n_cascade_entries_added} relative(s) added to cascade worklists"
                    if edition and outcome.previous is not None
                    else ""
                )
            )
        if index is None:
            # the carrier with the most relatives listed (ties: the first found)
            entries = repository.relatives(instance.db, programme=programme)
            n_relatives = {f.pseudonym: 0 for f in repository.findings(instance.db, run.run_id) if f.reported}
            for entry in entries:
                if entry.index_pseudonym in n_relatives:
                    n_relatives[entry.index_pseudonym] += 1
            best = max(n_relatives, key=lambda p: n_relatives[p], default=None)
            if best is not None and n_relatives[best] > 0:
                index = next(f for f in repository.findings(instance.db, run.run_id) if f.pseudonym == best)
    if index is None:
        lines.append("no carrier with declared relatives: no cascade worklist to show")
        return lines
    reader = clinician_of[index.department]
    entries = service.cascade(instance, resolve_actor(instance, reader), index=index.pseudonym)
    call = index.variants[0]
    lines.append(
        f"cascade worklist of {index.pseudonym} ({index.gene} {call.variant_key} {call.genotype}, GQ {call.gq}) "
        f"as {reader}:"
    )
    for entry in entries:
        lines.append(
            f"  {entry.entry_id}  {entry.relation:<12} {entry.relative_pseudonym}  degree {entry.degree}  "
            f"genome: {entry.genome_status:<13} status: {entry.status}"
        )
    for found in yields(entries):
        lines.append(
            f"  yield: {found.n_carriers} carrier(s) among {found.n_known} relative(s) with a known status "
            f"of {found.n_relatives}"
        )
    return lines
