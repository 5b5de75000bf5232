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
from collections.abc import Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Role
from genomdb.errors import Forbidden, NotFound
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.instance import Instance
from genomdb.model.catalog import SampleFacts
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.definitions import data_version_of
from genomdb.pgx.report import comparison_to_json
from genomdb.pgx.repository import StoredPgxResult, every_result, input_digests, results_of, save_results
from genomdb.pgx.store_evidence import DEFAULT_MIN_BLOCK_GQ, evidence_from_globs, store_globs
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore
from genomdb.worker_pool import worker_pool

CHUNK = 200
PARALLEL_FROM = 300
"""Fewer samples than this are called in the calling process: starting workers would cost more than it saves."""


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


_WORKER_CALLER: PgxCaller | None = None


def _init_worker(data_dir: Path | None) -> None:
    global _WORKER_CALLER
    _WORKER_CALLER = PgxCaller.load(data_dir)


def _call_chunk(
    caller: PgxCaller,
    globs: tuple[list[str], list[str]],
    samples: Sequence[CohortSample],
    min_block_gq: int,
) -> list[tuple[int, dict[str, Any], bool]]:
    """(sample_id, report, whether the callable blocks changed a call) of each sample of a chunk."""
    evidence = evidence_from_globs(*globs, samples, caller.defining_positions(), min_block_gq=min_block_gq)
    out = []
    for sample in samples:
        comparison = caller.call_person_both(evidence[sample.sample_id])
        out.append((sample.sample_id, comparison_to_json(comparison), bool(comparison.differences)))
    return out


def _call_chunk_in_worker(
    globs: tuple[list[str], list[str]], samples: Sequence[CohortSample], min_block_gq: int
) -> list[tuple[int, dict[str, Any], bool]]:
    assert _WORKER_CALLER is not None, "worker not initialised"
    return _call_chunk(_WORKER_CALLER, globs, samples, min_block_gq)


def run_pgx(
    instance: Instance,
    *,
    keys: Sequence[str] | None = None,
    min_block_gq: int = DEFAULT_MIN_BLOCK_GQ,
    progress: ProgressSink | None = None,
    workers: int = 1,
    redo: bool = False,
) -> PgxRunSummary:
    """Call the chosen samples or persons (``keys``; every current harmonised sample when None) and store results.

    ``workers`` > 1 calls chunks of samples in that many processes (each loads the data once); the results are
    stored by this process as they come, one transaction per chunk of samples (a killed run loses at most the
    chunk in flight, which the next run redoes). ``redo`` calls samples again even when their
    inputs and the data version did not change."""
    data_dir = instance.settings.pgx_data
    version = data_version_of(data_dir)
    samples = _selected(instance, keys)
    digests = {s.sample_id: _inputs_sha256(s, version, min_block_gq) for s in samples}
    stored = {} if redo else input_digests(instance.db, version, digests)
    todo = [s for s in samples if stored.get(s.sample_id) != digests[s.sample_id]]
    store = VariantStore.of(instance)
    size = max(10, min(CHUNK, -(-len(todo) // max(1, workers * 4))))
    chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
    n_differing = 0
    sink = progress or SilentProgress()

    def save(results: list[tuple[int, dict[str, Any], bool]]) -> None:
        nonlocal n_differing
        save_results(
            instance.db, version, [(sample_id, digests[sample_id], report) for sample_id, report, _ in results]
        )
        n_differing += sum(differs for *_, differs in results)
        sink.advance(len(results))

    sink.begin("calling PGx", len(todo))

    if workers <= 1 or len(todo) < PARALLEL_FROM:
        caller = PgxCaller.load(data_dir) if chunks else None
        for chunk in chunks:
            assert caller is not None
            save(_call_chunk(caller, store_globs(store, chunk), chunk, min_block_gq))
    else:
        with worker_pool(
            min(workers, len(chunks)), preload=["genomdb.pgx.runs"], initializer=_init_worker, initargs=(data_dir,)
        ) as pool:
            futures = [
                pool.submit(_call_chunk_in_worker, store_globs(store, chunk), chunk, min_block_gq) for chunk in chunks
            ]
            for future in as_completed(futures):
                save(future.result())
    sink.end()
    return PgxRunSummary(version, len(samples), len(todo), len(samples) - len(todo), n_differing)


Via = Literal["cli", "api", "web"]
RUNNERS = frozenset({Role.CLINICIAN, Role.STEWARD})
"""Who starts a PGx run for persons: a department's clinicians (for persons whose data the policy lets them read)
and data stewards (under data stewardship; a steward's run stores results without showing them)."""
READERS = frozenset({Role.SUBMITTER, Role.CLINICIAN, Role.STEWARD})
"""Who reads stored results at all; the policy then decides each person (own department, region, grant)."""


def _detail(via: Via, what: str) -> dict[str, str]:
    return {"via": via, "request": what}


def _allowed_samples(
    instance: Instance, actor: Actor, key: str, action: Action, what: str, via: Via
) -> list[SampleFacts]:
    policy = Policy(instance)
    resources = policy.person_samples(key) if key.startswith("GDB-") else [policy.sample(key)]
    decisions = policy.decide_many(actor, action, resources, detail=_detail(via, what))
    return [d.resource.sample for d in decisions if d.allowed and d.resource.sample is not None]


def pgx_reports(instance: Instance, actor: Actor, key: str, *, via: Via = "cli") -> list[dict[str, Any]]:
    """The stored reports of a sample (key or department id) or a person (pseudonym) the policy lets the actor read.

    Unknown and refused look the same to the caller (no existence leak); each decision is audited.
    """
    allowed = _allowed_samples(instance, actor, key, Action.READ_DATA, "pgx report", via)
    if not allowed:
        raise Forbidden(f"no PGx result of {key} that you may read")
    persons = {facts.sample_key: facts.pseudonym for facts in allowed}
    by_id = {s.sample_id: s for s in frequency_cohort(instance.catalog) if s.sample_key in persons}
    return [
        {
            "sample_id": r.sample_id,
            "person": persons[by_id[r.sample_id].sample_key],
            "data_version": r.data_version,
            "created_at": r.created_at.isoformat(),
            **r.report,
        }
        for r in results_of(instance.db, by_id)
    ]


def pgx_report(instance: Instance, actor: Actor, key: str, *, via: Via = "cli") -> dict[str, Any]:
    """The one report to show for a sample or person: of the current data version when there is one, else the newest
    (current sample versions first). NotFound when the person may be read but has not been called yet."""
    reports = pgx_reports(instance, actor, key, via=via)
    if not reports:
        raise NotFound(f"no stored PGx result for {key}: run `genomdb pgx run {key}` (or POST /api/pgx/runs/{key})")
    current = {s.sample_id for s in frequency_cohort(instance.catalog) if s.current}
    version = data_version_of(instance.settings.pgx_data)
    ranked = sorted(
        reports,
        key=lambda r: (r["sample_id"] in current, r["data_version"] == version, r["created_at"]),
        reverse=True,
    )
    return ranked[0]


def pgx_results(instance: Instance, actor: Actor, *, via: Via = "cli", limit: int = 1000) -> list[dict[str, Any]]:
    """A summary of each stored result (newest per sample version) of the persons the policy lets the actor read.

    Every person looked at is decided and audited once; the summaries hold no genotypes beyond the diplotypes."""
    if actor.role not in READERS:
        raise Forbidden(f"PGx results are read by {', '.join(sorted(READERS))}; {actor.username} is a {actor.role}")
    newest: dict[int, StoredPgxResult] = {}
    for result in every_result(instance.db):
        newest.setdefault(result.sample_id, result)
    samples = {s.sample_id: s for s in frequency_cohort(instance.catalog) if s.sample_id in newest and s.current}
    policy = Policy(instance)
    resources = policy.samples(policy.catalog.samples_by_keys(sorted({s.sample_key for s in samples.values()})))
    decisions = policy.decide_many(actor, Action.READ_DATA, resources, detail=_detail(via, "pgx results"))
    allowed = {d.resource.identifier for d in decisions if d.allowed}
    out = []
    for sample_id, sample in sorted(samples.items(), key=lambda item: item[1].sample_key):
        if sample.sample_key not in allowed:
            continue
        result = newest[sample_id]
        genes = result.report.get("genes") or []
        out.append(
            {
                "sample": sample.sample_key,
                "person": sample.pseudonym,
                "department": sample.department,
                "data_version": result.data_version,
                "created_at": result.created_at.isoformat(),
                "n_genes_called": sum(1 for g in genes if g.get("diplotypes")),
                "diplotypes": {g["gene"]: g.get("diplotypes") or [] for g in genes if g.get("diplotypes")},
                "genes_changed_by_callable_blocks": [
                    d["gene"] for d in result.report.get("differences_from_callable_blocks") or []
                ],
            }
        )
        if len(out) >= limit:
            break
    return out


def run_pgx_as(
    instance: Instance, actor: Actor, key: str, *, via: Via = "api", min_block_gq: int = DEFAULT_MIN_BLOCK_GQ
) -> PgxRunSummary:
    """Run PGx for one sample or person on request, through the policy: a clinician for a person whose data they
    may read (``read-data``), a data steward under data stewardship (``read-metadata``: the run stores results, it
    shows none). Audited; unknown and refused look the same."""
    if actor.role not in RUNNERS:
        raise Forbidden(f"PGx runs are started by {' or '.join(sorted(RUNNERS))}; {actor.username} is a {actor.role}")
    action = Action.READ_METADATA if actor.role == Role.STEWARD else Action.READ_DATA
    allowed = _allowed_samples(instance, actor, key, action, "pgx run", via)
    if not allowed:
        raise Forbidden(f"no person or sample {key} whose PGx you may run")
    return run_pgx(instance, keys=sorted({facts.sample_key for facts in allowed}), min_block_gq=min_block_gq)
