"""Cascade testing: per index case (a reported carrier) a worklist of first- then second-degree relatives.

Relatives come from the catalogue's declared relationships (mother, father, sibling, child); second-degree ones
are derived from those edges: grandparents, grandchildren, aunts and uncles, nieces and nephews, and half-siblings
(one shared parent, each with two known parents). A relative with a genome in the variant store has a known
carrier status; one without is to be invited. Each relative moves through ``to_invite → invited → consented →
tested → result``, or ``declined`` at any step before the result; skipping a step is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from genomdb.errors import InvalidInput, Problem
from genomdb.screening.records import RelativeEntry, StatusChange

STEPS = ("to_invite", "invited", "consented", "tested", "result")
DECLINED = "declined"
STATUSES = (*STEPS, DECLINED)
RESULTS = ("carrier", "non-carrier")
FIRST_DEGREE = 1
SECOND_DEGREE = 2


@dataclass(frozen=True, slots=True)
class Relative:
    pseudonym: str
    relation: str
    degree: int


class Pedigree:
    """The declared family graph: parents, children and declared siblings of every person."""

    def __init__(self, edges: Iterable[tuple[str, str, str]]) -> None:
        self.parents: dict[str, dict[str, str]] = defaultdict(dict)
        """person → {parent: mother/father/parent}"""
        self.children: dict[str, set[str]] = defaultdict(set)
        self.siblings: dict[str, set[str]] = defaultdict(set)
        for person, relation, relative in edges:
            if relation in ("mother", "father"):
                self.parents[person][relative] = relation
                self.children[relative].add(person)
            elif relation == "child":
                self.children[person].add(relative)
                self.parents[relative].setdefault(person, "parent")
            elif relation == "sibling":
                self.siblings[person].add(relative)
                self.siblings[relative].add(person)

    def _full_and_half_siblings(self, person: str) -> tuple[set[str], set[str]]:
        full = set(self.siblings.get(person, set()))
        half: set[str] = set()
        mine = set(self.parents.get(person, {}))
        for parent in mine:
            for other in self.children.get(parent, set()) - {person}:
                theirs = set(self.parents.get(other, {}))
                if mine == theirs or len(mine) < 2 or len(theirs) < 2:
                    full.add(other)
                else:
                    half.add(other)
        return full - {person}, half - full - {person}

    def relatives(self, person: str) -> list[Relative]:
        """First-degree relatives, then second-degree ones, each once (the closest relation wins)."""
        found: dict[str, Relative] = {}

        def add(pseudonym: str, relation: str, degree: int) -> None:
            if pseudonym != person and pseudonym not in found:
                found[pseudonym] = Relative(pseudonym, relation, degree)

        parents = self.parents.get(person, {})
        full, half = self._full_and_half_siblings(person)
        for parent, relation in sorted(parents.items()):
            add(parent, relation, FIRST_DEGREE)
        for sibling in sorted(full):
            add(sibling, "sibling", FIRST_DEGREE)
        for child in sorted(self.children.get(person, set())):
            add(child, "child", FIRST_DEGREE)
        for sibling in sorted(half):
            add(sibling, "half-sibling", SECOND_DEGREE)
        for parent in sorted(parents):
            for grandparent in sorted(self.parents.get(parent, {})):
                add(grandparent, "grandparent", SECOND_DEGREE)
            parent_full, _ = self._full_and_half_siblings(parent)
            for aunt_or_uncle in sorted(parent_full):
                add(aunt_or_uncle, "aunt/uncle", SECOND_DEGREE)
        for child in sorted(self.children.get(person, set())):
            for grandchild in sorted(self.children.get(child, set())):
                add(grandchild, "grandchild", SECOND_DEGREE)
        for sibling in sorted(full):
            for niece_or_nephew in sorted(self.children.get(sibling, set())):
                add(niece_or_nephew, "niece/nephew", SECOND_DEGREE)
        return sorted(found.values(), key=lambda r: (r.degree, r.relation, r.pseudonym))


def new_entry_id() -> str:
    return "REL-" + base64.b32encode(secrets.token_bytes(5)).decode("ascii").rstrip("=")


def new_entries(
    programme: str,
    index: str,
    gene: str,
    variant_keys: Sequence[str],
    relatives: Sequence[Relative],
    *,
    at: dt.datetime,
    by: str,
) -> list[RelativeEntry]:
    """Worklist entries (status ``to_invite``) for an index case's relatives."""
    return [
        RelativeEntry(
            entry_id=new_entry_id(),
            programme=programme,
            index_pseudonym=index,
            relative_pseudonym=r.pseudonym,
            gene=gene,
            variant_keys=tuple(variant_keys),
            relation=r.relation,
            degree=r.degree,
            status=STEPS[0],
            result=None,
            history=(StatusChange(STEPS[0], at, by),),
        )
        for r in relatives
    ]


def next_statuses(current: str) -> tuple[str, ...]:
    """Where an entry may go from ``current``: the next step, or declined (before the result)."""
    if current in (DECLINED, STEPS[-1]):
        return ()
    return (STEPS[STEPS.index(current) + 1], DECLINED)


def check_transition(entry: RelativeEntry, status: str, result: str | None) -> None:
    """InvalidInput unless ``status`` is the entry's next step (or declined), with a result exactly for ``result``."""
    field = f"{entry.entry_id} status"
    if status not in STATUSES:
        raise InvalidInput(
            "unknown status",
            [Problem("--status", "unknown status", field=field, expected=", ".join(STATUSES), found=status)],
        )
    allowed = next_statuses(entry.status)
    if status not in allowed:
        expected = " or ".join(allowed) if allowed else "nothing: the entry is closed"
        raise InvalidInput(
            f"{entry.entry_id} is {entry.status}: it cannot go to {status} (steps are not skipped; nothing changed)",
            [Problem("--status", "skips a step", field=field, expected=expected, found=status)],
        )
    if status == "result" and result not in RESULTS:
        raise InvalidInput(
            "a result needs its outcome",
            [
                Problem(
                    "--result", "missing or unknown result", field=field, expected=" or ".join(RESULTS), found=result
                )
            ],
        )
    if status != "result" and result is not None:
        raise InvalidInput(
            "a result belongs to the result step",
            [Problem("--result", "given before the result", field=field, expected="--status result", found=status)],
        )


@dataclass(frozen=True, slots=True)
class CascadeYield:
    """Per index case: relatives listed, with a known carrier status, and carriers found."""

    index_pseudonym: str
    n_relatives: int
    n_known: int
    n_carriers: int

    @property
    def yield_fraction(self) -> float | None:
        return self.n_carriers / self.n_known if self.n_known else None


def carrier_status(entry: RelativeEntry) -> str | None:
    """``carrier``/``non-carrier`` from a test result, else from the genome in the database; None when unknown."""
    if entry.result is not None:
        return entry.result
    if entry.genome_status in RESULTS:
        return entry.genome_status
    return None


def yields(entries: Sequence[RelativeEntry]) -> list[CascadeYield]:
    by_index: dict[str, list[RelativeEntry]] = defaultdict(list)
    for entry in entries:
        by_index[entry.index_pseudonym].append(entry)
    found = []
    for index, group in sorted(by_index.items()):
        statuses = [carrier_status(e) for e in group]
        found.append(
            CascadeYield(index, len(group), sum(s is not None for s in statuses), sum(s == "carrier" for s in statuses))
        )
    return found


def with_genome_status(entry: RelativeEntry, status: str) -> RelativeEntry:
    return replace(entry, genome_status=status)
