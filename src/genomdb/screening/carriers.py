"""Carriers of a programme's actionable variants among the current harmonised samples.

The source of truth for P/LP is the national variant database's consensus as of a stated moment (the ClinVar-style
aggregate term of its national view); the policy's gene rules then say which P/LP variants count (in a region
only, a listed gain-of-function variant only, two alleles for a recessive gene). Genotypes come from the variant
store: passing calls of each person's newest current sample version, with genotype and GQ. A variant whose FAF95
in the newest frequency release is above the gene's maximum credible frequency is *flagged, not reported*.
Persons who opted out of research or do not want to know are never considered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.classification.database import ClassificationDatabase, Moment
from genomdb.errors import InvalidInput, NotFound, Problem, Unavailable
from genomdb.instance import Instance
from genomdb.screening import repository
from genomdb.screening.policy import GeneRule, ProgrammePolicy
from genomdb.screening.records import Finding, VariantCall
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore, connect_duckdb

FREQUENCY_TIER = "controlled"
"""Exact counts: the cap is a clinical decision inside the national infrastructure."""
MIN_BLOCK_GQ = 20
"""GQ band a callable reference block needs for a relative to count as a non-carrier."""


@dataclass(frozen=True, slots=True)
class ActionableVariant:
    variant_key: str
    gene: GeneRule
    national_term: str


@dataclass(frozen=True, slots=True)
class CarrierScan:
    """What one scan found and what it used."""

    findings: tuple[Finding, ...]
    n_samples: int
    release_id: str | None
    classification_versions: dict[str, list[str]]
    flagged_variants: dict[str, str]


def _position(key: str) -> tuple[str, int]:
    chrom, pos, *_ = key.split("-")
    return chrom, int(pos)


def cohort_samples(instance: Instance, cohort: Sequence[str] = ()) -> list[CohortSample]:
    """The newest current harmonised sample of every person, in the departments or regions named (all when
    empty); InvalidInput names a code that is neither."""
    departments = instance.catalog.departments()
    known = {d.code for d in departments} | {d.region.code for d in departments}
    unknown = [code for code in cohort if code not in known]
    if unknown:
        raise InvalidInput(
            "unknown cohort",
            [
                Problem("--cohort", "not a department or region", expected=", ".join(sorted(known)), found=code)
                for code in unknown
            ],
        )
    newest: dict[str, CohortSample] = {}
    for sample in frequency_cohort(instance.catalog):
        if not sample.current or (cohort and sample.department not in cohort and sample.region not in cohort):
            continue
        kept = newest.get(sample.pseudonym)
        if kept is None or (sample.harmonised_at, sample.sample_id) > (kept.harmonised_at, kept.sample_id):
            newest[sample.pseudonym] = sample
    return sorted(newest.values(), key=lambda s: s.sample_id)


def actionable_variants(
    instance: Instance, policy: ProgrammePolicy, *, as_of: Moment | None
) -> tuple[list[ActionableVariant], dict[str, list[str]]]:
    """The P/LP variants the policy's rules accept, and the assertion versions behind every classified variant in
    the policy's genes (what a later run is compared by)."""
    accepted: list[ActionableVariant] = []
    versions: dict[str, list[str]] = {}
    with ClassificationDatabase(instance) as database:
        for view in database.national_views(as_of=as_of):
            chrom, pos = _position(view.variant_key)
            gene = policy.gene_at(chrom, pos)
            if gene is None:
                continue
            versions[view.variant_key] = [f"{a.assertion_id} v{a.version}" for a in view.assertions]
            if not view.overall.aggregate.is_actionable:
                continue
            outside = gene.region is not None and not gene.region[0] <= pos <= gene.region[1]
            if gene.rule == "pathogenic_in_region" and outside:
                continue
            if gene.rule == "listed_variants" and view.variant_key not in {key for key, _ in gene.variants}:
                continue
            accepted.append(ActionableVariant(view.variant_key, gene, view.overall.aggregate.value))
    return accepted, versions


def frequencies(instance: Instance, keys: Sequence[str]) -> tuple[str | None, dict[str, float | None]]:
    """FAF95 of each variant in the newest release (controlled tier), and the release id (None: no release)."""
    from genomdb.frequency.lookup import FrequencyDatabase

    try:
        with FrequencyDatabase(instance) as database:
            found = database.bulk_lookup(keys, FREQUENCY_TIER)
            return database.release_id, {f.variant.key: f.total.faf95 for f in found}
    except (NotFound, Unavailable):
        return None, {}


def _wanted_table(keys: Sequence[str]) -> pa.Table:
    parts = [key.split("-") for key in keys]
    return pa.table(
        {
            "chrom": [p[0] for p in parts],
            "pos": pa.array([int(p[1]) for p in parts], pa.int32()),
            "ref": [p[2] for p in parts],
            "alt": [p[3] for p in parts],
        }
    )


def carrier_calls(
    store: VariantStore, samples: Sequence[CohortSample], keys: Sequence[str]
) -> list[tuple[int, str, int, int, int | None]]:
    """Passing calls of the samples at the variants: (sample_id, variant key, alt_count, called_alleles, gq)."""
    if not samples or not keys:
        return []
    globs = store.calls_glob(sorted({s.batch_id for s in samples}))
    if not globs:
        return []
    con = connect_duckdb(threads=1)
    try:
        con.register("wanted", _wanted_table(keys))
        con.register("chosen", pa.table({"sample_id": pa.array(sorted(s.sample_id for s in samples), pa.int64())}))
        rows = con.execute(
            "SELECT c.sample_id, c.chrom, c.pos, c.ref, c.alt, c.alt_count, c.called_alleles, c.gq "
            "FROM read_parquet($globs, hive_partitioning = true, union_by_name = true) AS c "
            "JOIN wanted AS w ON c.chrom = w.chrom AND c.pos = w.pos AND c.ref = w.ref AND c.alt = w.alt "
            "JOIN chosen AS s ON c.sample_id = s.sample_id "
            "WHERE c.passes ORDER BY c.sample_id, c.chrom, c.pos, c.alt",
            {"globs": globs},
        ).fetchall()
    finally:
        con.close()
    return [
        (int(sid), f"{chrom}-{pos}-{ref}-{alt}", int(n), int(called), None if gq is None else int(gq))
        for sid, chrom, pos, ref, alt, n, called, gq in rows
    ]


def genome_status(store: VariantStore, samples: Sequence[CohortSample], keys: Sequence[str]) -> dict[int, str]:
    """Per sample: ``carrier`` (a passing call of one of the variants), ``non-carrier`` (every position inside a
    callable reference block of GQ ≥ 20, or called without the variant), else ``not callable``."""
    if not samples:
        return {}
    carriers = {sid for sid, *_ in carrier_calls(store, samples, keys)}
    covered: dict[int, set[str]] = defaultdict(set)
    batch_ids = sorted({s.batch_id for s in samples})
    blocks_glob, calls_glob = store.blocks_glob(batch_ids), store.calls_glob(batch_ids)
    con = connect_duckdb(threads=1)
    try:
        con.register("wanted", _wanted_table(keys))
        con.register("chosen", pa.table({"sample_id": pa.array(sorted(s.sample_id for s in samples), pa.int64())}))
        if blocks_glob:
            for sid, chrom, pos in con.execute(
                "SELECT DISTINCT b.sample_id, w.chrom, w.pos "
                "FROM read_parquet($globs, hive_partitioning = true, union_by_name = true) AS b "
                "JOIN wanted AS w ON b.chrom = w.chrom AND w.pos BETWEEN b.start_1based AND b.end_1based "
                "JOIN chosen AS s ON b.sample_id = s.sample_id WHERE b.min_gq >= $min_gq",
                {"globs": blocks_glob, "min_gq": MIN_BLOCK_GQ},
            ).fetchall():
                covered[int(sid)].add(f"{chrom}-{pos}")
        if calls_glob:
            for sid, chrom, pos in con.execute(
                "SELECT DISTINCT c.sample_id, w.chrom, w.pos "
                "FROM read_parquet($globs, hive_partitioning = true, union_by_name = true) AS c "
                "JOIN wanted AS w ON c.chrom = w.chrom AND c.pos = w.pos "
                "JOIN chosen AS s ON c.sample_id = s.sample_id WHERE c.passes",
                {"globs": calls_glob},
            ).fetchall():
                covered[int(sid)].add(f"{chrom}-{pos}")
    finally:
        con.close()
    positions = {"-".join(key.split("-")[:2]) for key in keys}
    status = {}
    for sample in samples:
        if sample.sample_id in carriers:
            status[sample.sample_id] = "carrier"
        elif positions <= covered.get(sample.sample_id, set()):
            status[sample.sample_id] = "non-carrier"
        else:
            status[sample.sample_id] = "not callable"
    return status


def _genotype(alt_count: int, called: int) -> str:
    if called == 1:
        return "1"
    return "1/1" if alt_count >= 2 else "0/1"


def scan(
    instance: Instance, policy: ProgrammePolicy, *, as_of: Moment | None = None, cohort: Sequence[str] = ()
) -> CarrierScan:
    """Find the programme's carriers: one finding per person and gene, reported or flagged."""
    samples = cohort_samples(instance, cohort)
    facts = repository.person_facts(instance.db, (s.pseudonym for s in samples))
    samples = [s for s in samples if s.pseudonym in facts and facts[s.pseudonym].listable]
    variants, versions = actionable_variants(instance, policy, as_of=as_of)
    by_key = {v.variant_key: v for v in variants}
    keys = sorted(by_key)
    release_id, faf95 = frequencies(instance, keys)
    flagged = {
        key: f"FAF95 {faf95[key]:.3g} in release {release_id} is above {by_key[key].gene.symbol}'s maximum credible "
        f"frequency {by_key[key].gene.max_credible_faf95:g}"
        for key in keys
        if faf95.get(key) is not None and float(faf95[key] or 0) > by_key[key].gene.max_credible_faf95
    }
    calls = carrier_calls(VariantStore.of(instance), samples, keys)
    by_sample = {s.sample_id: s for s in samples}
    grouped: dict[tuple[int, str], list[VariantCall]] = defaultdict(list)
    for sample_id, key, alt_count, called, gq in calls:
        variant = by_key[key]
        grouped[(sample_id, variant.gene.symbol)].append(
            VariantCall(key, _genotype(alt_count, called), alt_count, gq, variant.national_term, faf95.get(key))
        )
    findings = []
    for (sample_id, symbol), carried in sorted(grouped.items()):
        gene = next(g for g in policy.genes if g.symbol == symbol)
        if gene.rule == "biallelic_pathogenic" and sum(v.alt_count for v in carried) < 2:
            continue  # one P/LP allele of a recessive gene: carrier status, not a finding
        reasons = [flagged[v.variant_key] for v in carried if v.variant_key in flagged]
        sample = by_sample[sample_id]
        findings.append(
            Finding(
                pseudonym=sample.pseudonym,
                sample_key=sample.sample_key,
                department=sample.department,
                region=sample.region,
                birth_year=facts[sample.pseudonym].birth_year,
                gene=symbol,
                risk_class=gene.risk_class,
                rule=gene.rule,
                variants=tuple(carried),
                reported=not reasons,
                flag_reason="; ".join(reasons) or None,
            )
        )
    return CarrierScan(tuple(findings), len(samples), release_id, versions, flagged)


def as_of_datetime(moment: Moment | None) -> dt.datetime | None:
    from genomdb.classification.database import known_at

    return known_at(moment)
