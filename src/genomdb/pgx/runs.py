"""The national PGx pipeline over genomes already held: one person on request, or the whole cohort in batch.

A run calls every current harmonised sample version from its variant-store calls and callable blocks, twice — from
the records alone (PharmCAT's view: a position without a record is missing) and with the callable blocks (genomdb's:
a position sequenced as reference is reference) — and stores the report per sample version and data version. Each
result is its own transaction, so a killed run loses nothing and the next run resumes: a sample is redone only when
its inputs (variant-store batch, settings) or the data version changed. Reading a stored result is person-level
data: it goes through the access policy and every decision is audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor
from genomdb.errors import Forbidden, NotFound
from genomdb.instance import Instance
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.report import comparison_to_json
from genomdb.pgx.repository import input_digests, results_of, save_result
from genomdb.pgx.store_evidence import DEFAULT_MIN_BLOCK_GQ, store_evidence
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore

CHUNK = 200
Progress = Callable[[int, int], None]
"""Called as ``progress(samples done, samples to do)``."""


@dataclass(frozen=True, slots=True)
class PgxRunSummary:
    data_version: str
    n_samples: int
    n_called: int
    n_unchanged: int
    n_differing: int
    """Samples where the callable blocks changed at least one gene's call."""


def _inputs_sha256(sample: CohortSample, data_version: str, min_block_gq: int) -> str:
    text = f"{data_version}|{sample.batch_id}|{sample.sample_id}|min_block_gq={min_block_gq}"
    return hashlib.sha256(text.encode()).hexdigest()


def _selected(instance: Instance, keys: Sequence[str] | None) -> list[CohortSample]:
    current = [s for s in frequency_cohort(instance.catalog) if s.current]
    if keys is None:
        return current
    chosen = []
    for key in keys:
        found = [s for s in current if key in (s.sample_key, s.pseudonym)]
        if not found:
            facts = instance.catalog.sample_facts(key)
            found = [s for s in current if facts is not None and s.sample_key == facts.sample_key]
        if not found:
            raise NotFound(f"no current harmonised sample or person {key}: run `genomdb harmonize` first")
        chosen.extend(found)
    return sorted({s.sample_id: s for s in chosen}.values(), key=lambda s: s.sample_id)


def run_pgx(
    instance: Instance,
    *,
    keys: Sequence[str] | None = None,
    min_block_gq: int = DEFAULT_MIN_BLOCK_GQ,
    progress: Progress | None = None,
) -> PgxRunSummary:
    """Call the chosen samples or persons (``keys``; every current harmonised sample when None) and store results."""
    caller = PgxCaller.load(instance.settings.pgx_data)
    version = caller.data.data_version
    samples = _selected(instance, keys)
    digests = {s.sample_id: _inputs_sha256(s, version, min_block_gq) for s in samples}
    stored = input_digests(instance.db, version, digests)
    todo = [s for s in samples if stored.get(s.sample_id) != digests[s.sample_id]]
    store = VariantStore.of(instance)
    positions = caller.defining_positions()
    n_differing = 0
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        evidence = store_evidence(store, chunk, positions, min_block_gq=min_block_gq)
        for sample in chunk:
            comparison = caller.call_person_both(evidence[sample.sample_id])
            n_differing += bool(comparison.differences)
            save_result(
                instance.db, sample.sample_id, version, digests[sample.sample_id], comparison_to_json(comparison)
            )
        if progress is not None:
            progress(start + len(chunk), len(todo))
    return PgxRunSummary(version, len(samples), len(todo), len(samples) - len(todo), n_differing)


def pgx_reports(instance: Instance, actor: Actor, key: str) -> list[dict[str, Any]]:
    """The stored reports of a sample (key or department id) or a person (pseudonym) the policy lets the actor read.

    Unknown and refused look the same to the caller (no existence leak); each decision is audited.
    """
    policy = Policy(instance)
    resources = policy.person_samples(key) if key.startswith("GDB-") else [policy.sample(key)]
    decisions = policy.decide_many(actor, Action.READ_DATA, resources, detail={"request": "pgx report"})
    allowed = [d.resource.sample for d in decisions if d.allowed and d.resource.sample is not None]
    if not allowed:
        raise Forbidden(f"no PGx result of {key} that you may read")
    keys = {facts.sample_key for facts in allowed}
    ids = [s.sample_id for s in frequency_cohort(instance.catalog) if s.sample_key in keys]
    return [
        {"sample_id": r.sample_id, "data_version": r.data_version, "created_at": r.created_at.isoformat(), **r.report}
        for r in results_of(instance.db, ids)
    ]
