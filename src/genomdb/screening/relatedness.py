"""Declared against inferred relatedness: every disagreement flagged for the data steward.

Declared relationships are the catalogue's (mother, father, child, sibling: all first degree), from accepted
submission versions. Inferred degrees are KING-robust kinship's (:mod:`genomdb.screening.kinship`) between the
current sample versions; a pair of persons takes the closest degree of any pair of their samples. Flags:

- ``duplicate-samples``: two persons' samples are genetically identical — a sample swap, or one person
  registered twice (or monozygotic twins: the steward checks);
- ``same-person-differs``: two samples of one person are *not* identical — a sample swap;
- ``declared-not-found``: a declared first-degree relationship, but the genomes say a more distant degree or
  unrelated;
- ``undeclared-first-degree``: first-degree by the genomes, nothing declared;
- ``not-assessable``: a declared relationship one of whose persons has no assessable sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import aliased

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Role
from genomdb.catalog import relations
from genomdb.errors import Forbidden
from genomdb.instance import Instance
from genomdb.screening.kinship import (
    DEGREE_NAMES,
    DUPLICATE,
    UNRELATED,
    KinshipPolicy,
    KinshipResult,
    cohort_kinship,
    common_snv_genotypes,
    king_robust,
)
from genomdb.screening.plink import write_bed
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore

FlagKind = Literal[
    "duplicate-samples", "same-person-differs", "declared-not-found", "undeclared-first-degree", "not-assessable"
]
FIRST_DEGREE_RELATIONS = frozenset({"mother", "father", "child", "sibling"})


@dataclass(frozen=True, slots=True, order=True)
class DeclaredRelation:
    pseudonym: str
    relation: str
    """What ``relative`` is to ``pseudonym``."""
    relative: str


@dataclass(frozen=True, slots=True)
class InferredPair:
    """Two persons (pseudonyms, ordered) and the closest degree any pair of their samples shows."""

    first: str
    second: str
    degree: int
    kinship: float
    first_sample: str
    second_sample: str


class PersonPairs(Sequence[InferredPair]):
    """Pairs of distinct persons as columns, in the order of :func:`person_pairs`: an :class:`InferredPair` is made
    only for a pair that is read, so the million related pairs of a large cohort cost arrays, not objects."""

    def __init__(
        self,
        names: Sequence[str],
        sample_keys: Sequence[str],
        columns: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int8], npt.NDArray[np.float64]],
        samples: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
    ) -> None:
        self._names, self._sample_keys = list(names), list(sample_keys)
        self.first, self.second, self.degree, self.kinship = columns
        """Persons (indices into the sorted pseudonyms, first < second), degree and kinship of each pair."""
        self.first_sample, self.second_sample = samples
        """The pair's closest two samples (indices into the sample keys), of the first and of the second person."""

    def __len__(self) -> int:
        return int(self.degree.size)

    @overload
    def __getitem__(self, index: int) -> InferredPair: ...

    @overload
    def __getitem__(self, index: slice) -> list[InferredPair]: ...

    def __getitem__(self, index: int | slice) -> InferredPair | list[InferredPair]:
        if isinstance(index, slice):
            return [self[k] for k in range(len(self))[index]]
        k = range(len(self))[index]  # negative and out-of-range indices as a list's
        return InferredPair(
            self._names[self.first[k]],
            self._names[self.second[k]],
            int(self.degree[k]),
            float(self.kinship[k]),
            self._sample_keys[self.first_sample[k]],
            self._sample_keys[self.second_sample[k]],
        )

    def __iter__(self) -> Iterator[InferredPair]:
        names, keys = self._names, self._sample_keys
        for p, q, d, k, i, j in zip(
            self.first.tolist(),
            self.second.tolist(),
            self.degree.tolist(),
            self.kinship.tolist(),
            self.first_sample.tolist(),
            self.second_sample.tolist(),
            strict=True,
        ):
            yield InferredPair(names[p], names[q], d, k, keys[i], keys[j])

    def persons(self) -> tuple[list[str], list[str]]:
        """The pseudonyms of the first and of the second person of every pair."""
        names = np.array(self._names, dtype=object)
        return names[self.first].tolist(), names[self.second].tolist()

    def sample_keys(self) -> tuple[list[str], list[str]]:
        """The sample keys of the first and of the second person of every pair."""
        keys = np.array(self._sample_keys, dtype=object)
        return keys[self.first_sample].tolist(), keys[self.second_sample].tolist()

    def degree_names(self) -> list[str]:
        """The name of every pair's degree (``first-degree`` …)."""
        names: list[str] = np.array([DEGREE_NAMES[d] for d in range(UNRELATED + 1)], dtype=object)[self.degree].tolist()
        return names

    def kinship_texts(self, decimals: int = 4) -> list[str]:
        """Every pair's kinship as ``f"{kinship:.4f}"`` would print it, each distinct value formatted once (a cohort
        has a million related pairs, some ten thousand distinct kinships; distinct by bits, so -0.0 stays itself)."""
        bits, where = np.unique(self.kinship.view(np.int64), return_inverse=True)
        texts = [f"{value:.{decimals}f}" for value in bits.view(np.float64).tolist()]
        listed: list[str] = np.array(texts, dtype=object)[where].tolist()
        return listed

    def closer_than(self, degree: int) -> list[InferredPair]:
        """The pairs closer than ``degree`` (the pairs are ordered by degree: a prefix)."""
        return self[: int(np.searchsorted(self.degree, degree, side="left"))]

    def find(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], InferredPair]:
        """The pairs among ``pairs`` (pseudonyms, in sorted order) that are listed, by pair."""
        code = {name: index for index, name in enumerate(self._names)}
        wanted = [(p, q) for p, q in pairs if p in code and q in code]
        if not wanted or not len(self):
            return {}
        width = len(self._names)
        listed = self.first.astype(np.int64) * width + self.second
        order = np.argsort(listed, kind="stable")
        keys = np.array([code[p] * width + code[q] for p, q in wanted], dtype=np.int64)
        at = np.minimum(np.searchsorted(listed[order], keys), order.size - 1)
        hit = listed[order[at]] == keys
        return {pair: self[int(order[k])] for pair, k, found in zip(wanted, at.tolist(), hit.tolist(), strict=True)
                if found}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RelatednessFlag:
    kind: FlagKind
    first: str
    second: str
    declared: str | None
    """The declared relation (what ``second`` is to ``first``), if any."""
    inferred: str | None
    """The inferred degree's name, if assessed."""
    kinship: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class RelatednessReport:
    n_samples: int
    n_assessed: int
    n_variants: int
    n_pairs: int
    not_assessed: tuple[str, ...]
    """Sample keys below the sample call rate."""
    related: PersonPairs
    """Pairs of persons of the third degree or closer."""
    flags: tuple[RelatednessFlag, ...]


def declared_relationships(instance: Instance) -> list[DeclaredRelation]:
    """Every relationship of an accepted submission version, by pseudonym."""
    person = relations.persons
    relative = aliased(relations.persons)
    rel = relations.relationships
    version = relations.submission_versions
    query = (
        select(person.c.pseudonym, rel.c.relation, relative.c.pseudonym)
        .select_from(rel)
        .join(person, person.c.id == rel.c.person_id)
        .join(relative, relative.c.id == rel.c.relative_id)
        .join(version, version.c.id == rel.c.submission_version_id)
        .where(version.c.status == "accepted")
        .distinct()
    )
    with instance.db.session() as session:
        rows = session.execute(query).all()
    return sorted(DeclaredRelation(str(a), str(r), str(b)) for a, r, b in rows)


def assessed_samples(instance: Instance) -> list[CohortSample]:
    """The sample versions relatedness looks at: every current, not withdrawn, harmonised sample."""
    return [s for s in frequency_cohort(instance.catalog) if s.current and not s.withdrawn]


def _person_codes(result: KinshipResult) -> tuple[list[str], npt.NDArray[np.intp]]:
    """The pseudonyms in sorted order, and each sample's index into them (integers compare fast)."""
    names, codes = np.unique(np.array([s.pseudonym for s in result.samples] or [""]), return_inverse=True)
    return [str(n) for n in names], np.asarray(codes, dtype=np.intp)[: len(result.samples)]


def person_pairs(result: KinshipResult, max_degree: int = 3) -> list[InferredPair]:
    """Pairs of distinct persons of ``max_degree`` or closer, each with the closest of their sample pairs (the
    first in pair order among equals), ordered by degree and pseudonyms."""
    return list(person_pair_columns(result, max_degree))


def person_pair_columns(result: KinshipResult, max_degree: int = 3) -> PersonPairs:
    """:func:`person_pairs` as columns."""
    names, person = _person_codes(result)
    keys = [s.sample_key for s in result.samples]
    index = result.related(max_degree)
    if index.size == 0:
        none = np.zeros(0, dtype=np.intp)
        return PersonPairs(names, keys, (none, none, np.zeros(0, np.int8), np.zeros(0, np.float64)), (none, none))
    key_rank = np.argsort(np.argsort(np.array(keys)))
    a, b = result.first[index], result.second[index]
    distinct = person[a] != person[b]
    index, a, b = index[distinct], a[distinct], b[distinct]
    swap = (person[a] > person[b]) | ((person[a] == person[b]) & (key_rank[a] > key_rank[b]))
    low, high = np.where(swap, b, a), np.where(swap, a, b)
    low_person, high_person = person[low], person[high]
    kinship = result.kinship[index]
    ranked = np.where(np.isnan(kinship), -np.inf, kinship)
    # group the sample pairs by person pair (a stable sort: within a group, pair order), keep each group's first
    # pair of the highest kinship; sorted by person pair, then (stably) by degree
    person_pair = low_person.astype(np.int64) * max(1, len(names)) + high_person
    by_pair = np.argsort(person_pair, kind="stable")
    grouped = person_pair[by_pair]
    group_start = np.ones(by_pair.size, dtype=bool)
    group_start[1:] = grouped[1:] != grouped[:-1]
    group = np.cumsum(group_start) - 1
    ranked = ranked[by_pair]
    highest = np.flatnonzero(ranked == np.maximum.reduceat(ranked, np.flatnonzero(group_start))[group])
    first_highest = np.ones(highest.size, dtype=bool)
    first_highest[1:] = group[highest][1:] != group[highest][:-1]
    best = by_pair[highest[first_highest]]
    degree = result.degree[index]
    best = best[np.argsort(degree[best], kind="stable")]
    return PersonPairs(
        names,
        keys,
        (low_person[best], high_person[best], degree[best], kinship[best]),
        (low[best].astype(np.intp), high[best].astype(np.intp)),
    )


def compare(
    result: KinshipResult, declared: Sequence[DeclaredRelation], *, related: PersonPairs | None = None
) -> list[RelatednessFlag]:
    """Every disagreement between declared relationships and inferred degrees (see the module docstring);
    ``related`` is ``person_pair_columns(result)`` when the caller has it already."""
    flags: list[RelatednessFlag] = []
    names, person = _person_codes(result)
    several = result.samples and len(names) < len(result.samples)  # else no two samples share a person
    same_person = np.flatnonzero(person[result.first] == person[result.second]) if several else np.array([], np.intp)
    for index in same_person:
        a, b = result.samples[result.first[index]], result.samples[result.second[index]]
        degree, kinship = int(result.degree[index]), float(result.kinship[index])
        if a.pseudonym == b.pseudonym and degree != DUPLICATE:
            flags.append(
                RelatednessFlag(
                    "same-person-differs",
                    a.pseudonym,
                    b.pseudonym,
                    None,
                    DEGREE_NAMES[degree],
                    kinship,
                    f"samples {a.sample_key} and {b.sample_key} of one person are not identical: a sample swap?",
                )
            )
    related = person_pair_columns(result) if related is None else related
    declared_pairs: dict[tuple[str, str], str] = {}
    for relation in declared:
        if relation.relation in FIRST_DEGREE_RELATIONS:
            first, second = sorted((relation.pseudonym, relation.relative))
            relation_word = relation.relation if first == relation.pseudonym else _reverse(relation.relation)
            declared_pairs.setdefault((first, second), relation_word)
    assessed = {s.pseudonym for s in result.samples}
    pairs = related.find(list(declared_pairs))
    closest = sorted(related.closer_than(2), key=lambda p: (p.first, p.second))
    for pair in closest:  # duplicates and first degree
        first, second = pair.first, pair.second
        if pair.degree == DUPLICATE:
            flags.append(
                RelatednessFlag(
                    "duplicate-samples",
                    first,
                    second,
                    declared_pairs.get((first, second)),
                    DEGREE_NAMES[DUPLICATE],
                    pair.kinship,
                    f"samples {pair.first_sample} and {pair.second_sample} of two persons are genetically identical: "
                    "a sample swap, one person registered twice, or monozygotic twins",
                )
            )
        elif pair.degree == 1 and (first, second) not in declared_pairs:
            flags.append(
                RelatednessFlag(
                    "undeclared-first-degree",
                    first,
                    second,
                    None,
                    DEGREE_NAMES[1],
                    pair.kinship,
                    "first-degree relatives by their genomes; no relationship declared",
                )
            )
    for (first, second), declared_word in sorted(declared_pairs.items()):
        if first not in assessed or second not in assessed:
            flags.append(
                RelatednessFlag(
                    "not-assessable",
                    first,
                    second,
                    declared_word,
                    None,
                    None,
                    "declared relationship, but a person has no assessable sample (none harmonised, or too few calls)",
                )
            )
            continue
        found = pairs.get((first, second))
        degree = found.degree if found is not None else UNRELATED
        if degree > 1:
            flags.append(
                RelatednessFlag(
                    "declared-not-found",
                    first,
                    second,
                    declared_word,
                    DEGREE_NAMES[degree],
                    found.kinship if found is not None else _closest(result, first, second),
                    f"declared {declared_word}, but the genomes say {DEGREE_NAMES[degree]}",
                )
            )
    return flags


def _reverse(relation: str) -> str:
    """What the person is to their relative, given what the relative is to the person (first degree only)."""
    return {"mother": "child", "father": "child", "child": "parent", "sibling": "sibling"}.get(relation, relation)


def _closest(result: KinshipResult, first: str, second: str) -> float | None:
    """The highest kinship between a sample of ``first`` and one of ``second`` (NaN-free), or None."""
    mine = [i for i, s in enumerate(result.samples) if s.pseudonym == first]
    theirs = [i for i, s in enumerate(result.samples) if s.pseudonym == second]
    if not mine or not theirs:
        return None
    n = len(result.samples)
    low = np.array([min(i, j) for i in mine for j in theirs], dtype=np.int64)
    high = np.array([max(i, j) for i in mine for j in theirs], dtype=np.int64)
    position = low * n - low * (low + 1) // 2 + (high - low - 1)  # where pair (low, high) sits in i < j order
    if (
        result.first.size != n * (n - 1) // 2
        or not np.array_equal(result.first[position], low)
        or not np.array_equal(result.second[position], high)
    ):  # pairs in another order: search them
        wanted = set(zip(low.tolist(), high.tolist(), strict=True))
        position = np.array(
            [k for k, pair in enumerate(zip(result.first.tolist(), result.second.tolist(), strict=True))
             if pair in wanted], dtype=np.int64,
        )  # fmt: skip
    values = result.kinship[position]
    values = values[~np.isnan(values)]
    return float(values.max()) if values.size else None


def relatedness_report(
    instance: Instance,
    samples: Sequence[CohortSample],
    policy: KinshipPolicy | None = None,
    *,
    plink_prefix: Path | None = None,
) -> RelatednessReport:
    """Kinship of the samples from the store, compared with the catalogue's declared relationships; with
    ``plink_prefix``, the genotypes used are also written there as a PLINK 1 fileset (for KING or plink2)."""
    matrix, excluded = common_snv_genotypes(VariantStore.of(instance), samples, policy or KinshipPolicy())
    if plink_prefix is not None:
        write_bed(matrix, plink_prefix)
    result = king_robust(matrix, excluded=excluded)
    related = person_pair_columns(result)
    flags = compare(result, declared_relationships(instance), related=related)
    return RelatednessReport(
        n_samples=len(samples),
        n_assessed=len(result.samples),
        n_variants=result.n_sites,
        n_pairs=int(result.first.size),
        not_assessed=tuple(s.sample_key for s in result.excluded),
        related=related,
        flags=tuple(flags),
    )


def inferred_relatives(instance: Instance, *, max_degree: int = 2) -> list[InferredPair]:
    """Genotype-inferred relatives (first and second degree by default) between persons, for cascade worklists."""
    result = cohort_kinship(VariantStore.of(instance), assessed_samples(instance))
    return person_pairs(result, max_degree)


RELATEDNESS_READERS = frozenset({Role.STEWARD})
"""Who runs the relatedness and identity check: it reads every person's genome and relationships."""


def require_steward(actor: Actor, what: str) -> None:
    if actor.role not in RELATEDNESS_READERS:
        raise Forbidden(
            f"{what} reads every person's genotypes and is run by a data steward; {actor.username} is a "
            f"{actor.role}. Ask a data steward to run it"
        )


def audited_samples(instance: Instance, actor: Actor, *, via: str, request: str) -> list[CohortSample]:
    """The assessed samples, after the access policy allowed the actor to read each (every decision audited)."""
    require_steward(actor, request)
    samples = assessed_samples(instance)
    policy = Policy(instance)
    resources = policy.samples(policy.catalog.samples_by_keys(s.sample_key for s in samples))
    decisions = policy.decide_many(actor, Action.READ_METADATA, resources, detail={"via": via, "request": request})
    allowed = {d.resource.identifier for d in decisions if d.allowed}
    return [s for s in samples if s.sample_key in allowed]


def check_relatedness(
    instance: Instance,
    actor: Actor,
    *,
    policy: KinshipPolicy | None = None,
    via: str = "cli",
    plink_prefix: Path | None = None,
) -> RelatednessReport:
    """The steward's relatedness and identity check over the whole cohort (reads audited)."""
    samples = audited_samples(instance, actor, via=via, request="relatedness check")
    return relatedness_report(instance, samples, policy, plink_prefix=plink_prefix)
