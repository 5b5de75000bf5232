"""A CanRisk pedigree file (``##CanRisk 2.0``, the BOADICEA model's input) for a breast-cancer index case.

The family is the index case's declared relatives in the catalogue (every person connected to them through
mother/father/child/sibling relationships of accepted submissions). Siblings whose parents are not in the catalogue
get placeholder parents, and a child with one declared parent a placeholder for the other, because the format
requires both parents or none. Individuals are numbered in the file (``IndivID`` 1, 2, …); the mapping back to
pseudonyms is returned beside the text and never written into it.

Gene test results are an input (the programme's findings): per person and gene, a mutation search (``S``) or direct
test (``T``) with a result ``P`` (pathogenic variant found) or ``N`` (none). The PRS goes into the header as
``##PRS_BC=alpha=…,zscore=…``: ``alpha`` is the square root of the share of the polygenic variance the score
explains (a property of the score, given with it) and ``zscore`` the person's standard-normal score (their z within
the national cohort's distribution, :mod:`genomdb.screening.prs`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select

from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor
from genomdb.catalog import relations
from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.instance import Instance
from genomdb.screening.relatedness import DeclaredRelation, declared_relationships

CANRISK_VERSION = "##CanRisk 2.0"
CANRISK_GENES = ("BRCA1", "BRCA2", "PALB2", "ATM", "CHEK2", "BARD1", "RAD51D", "RAD51C", "BRIP1")
COLUMNS = (
    "FamID",
    "Name",
    "Target",
    "IndivID",
    "FathID",
    "MothID",
    "Sex",
    "MZtwin",
    "Dead",
    "Age",
    "Yob",
    "BC1",
    "BC2",
    "OC",
    "PRO",
    "PAN",
    "Ashkn",
    *CANRISK_GENES,
    "ER:PR:HER2:CK14:CK56",
)


@dataclass(frozen=True, slots=True)
class GeneResult:
    gene: str
    result: Literal["P", "N"]
    test: Literal["S", "T"] = "S"


@dataclass(frozen=True, slots=True)
class PolygenicScore:
    alpha: float
    z_score: float


@dataclass(frozen=True, slots=True)
class CanRiskPedigree:
    text: str
    individuals: dict[str, str]
    """IndivID → pseudonym (placeholders are absent)."""
    family_id: str


@dataclass
class _Member:
    indiv_id: str
    pseudonym: str | None
    sex: str
    birth_year: int | None
    father: str | None = None
    mother: str | None = None
    results: dict[str, GeneResult] = field(default_factory=dict)
    bc1_age: int | None = None


def _family(index: str, declared: Sequence[DeclaredRelation]) -> set[str]:
    links: dict[str, set[str]] = defaultdict(set)
    for relation in declared:
        links[relation.pseudonym].add(relation.relative)
        links[relation.relative].add(relation.pseudonym)
    seen = {index}
    stack = [index]
    while stack:
        for other in links[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def _persons(instance: Instance, pseudonyms: set[str]) -> dict[str, tuple[str | None, int | None]]:
    person = relations.persons
    with instance.db.session() as session:
        rows = session.execute(
            select(person.c.pseudonym, person.c.declared_sex, person.c.birth_year).where(
                person.c.pseudonym.in_(sorted(pseudonyms))
            )
        ).all()
    return {str(p): (sex, year) for p, sex, year in rows}


def _check_results(gene_results: Mapping[str, Sequence[GeneResult]]) -> None:
    problems = [
        Problem(
            "gene results",
            "not a gene of the CanRisk format",
            field="gene",
            expected=", ".join(CANRISK_GENES),
            found=r.gene,
        )
        for results in gene_results.values()
        for r in results
        if r.gene not in CANRISK_GENES
    ]
    if problems:
        raise InvalidInput("gene results the CanRisk format cannot carry", problems)


def canrisk_pedigree(
    instance: Instance,
    index: str,
    *,
    gene_results: Mapping[str, Sequence[GeneResult]] | None = None,
    prs: PolygenicScore | None = None,
    index_breast_cancer_age: int | None = None,
    today: dt.date | None = None,
) -> CanRiskPedigree:
    """The CanRisk 2.0 pedigree of the index case (a pseudonym) and their declared family."""
    results = gene_results or {}
    _check_results(results)
    if prs is not None and not 0 < prs.alpha <= 1:
        raise InvalidInput(
            "bad PRS",
            [Problem("PRS", "alpha out of range", field="alpha", expected="0 < alpha ≤ 1", found=str(prs.alpha))],
        )
    declared = declared_relationships(instance)
    family = _family(index, declared)
    facts = _persons(instance, family)
    if index not in facts:
        raise NotFound(f"no person {index} in the catalogue")
    year = (today or dt.date.today()).year
    ordered = [index, *sorted(family - {index})]
    members: dict[str, _Member] = {}
    for number, pseudonym in enumerate(ordered, start=1):
        sex, birth_year = facts.get(pseudonym, (None, None))
        members[pseudonym] = _Member(str(number), pseudonym, "M" if sex == "male" else "F", birth_year)
    for relation in declared:
        if relation.pseudonym not in members or relation.relative not in members:
            continue
        child, parent = members[relation.pseudonym], members[relation.relative]
        if relation.relation == "child":
            child, parent = parent, child
        elif relation.relation not in ("mother", "father"):
            continue
        if relation.relation == "father" or (relation.relation == "child" and parent.sex == "M"):
            child.father = parent.indiv_id
        else:
            child.mother = parent.indiv_id
    placeholders: list[_Member] = []

    def placeholder(sex: str) -> str:
        member = _Member(str(len(members) + len(placeholders) + 1), None, sex, None)
        placeholders.append(member)
        return member.indiv_id

    sibling_groups: list[set[str]] = []
    for relation in declared:
        if relation.relation == "sibling" and relation.pseudonym in members and relation.relative in members:
            pair = {relation.pseudonym, relation.relative}
            joined = [g for g in sibling_groups if g & pair]
            merged = pair.union(*joined)
            sibling_groups = [g for g in sibling_groups if not g & pair] + [merged]
    for group in sibling_groups:
        siblings = [members[p] for p in sorted(group)]
        father = next((m.father for m in siblings if m.father), None) or placeholder("M")
        mother = next((m.mother for m in siblings if m.mother), None) or placeholder("F")
        for member in siblings:
            member.father, member.mother = father, mother
    for member in list(members.values()):
        if (member.father is None) != (member.mother is None):
            member.father = member.father or placeholder("M")
            member.mother = member.mother or placeholder("F")
    for pseudonym, found in results.items():
        if pseudonym in members:
            members[pseudonym].results = {r.gene: r for r in found}
    members[index].bc1_age = index_breast_cancer_age
    family_id = "GDB" + members[index].indiv_id.zfill(4)
    header = [CANRISK_VERSION]
    if prs is not None:
        header.append(f"##PRS_BC=alpha={prs.alpha:g},zscore={prs.z_score:.4f}")
    lines = [*header, "##" + "\t".join(COLUMNS)]
    for member in [*members.values(), *placeholders]:
        age = year - member.birth_year if member.birth_year is not None else 0
        genes = [
            f"{member.results[g].test}:{member.results[g].result}" if g in member.results else "0:0"
            for g in CANRISK_GENES
        ]
        row = [
            family_id,
            member.indiv_id,
            "1" if member.pseudonym == index else "0",
            member.indiv_id,
            member.father or "0",
            member.mother or "0",
            member.sex,
            "0",
            "0",
            str(age),
            str(member.birth_year or 0),
            str(member.bc1_age or 0),
            "0",
            "0",
            "0",
            "0",
            "0",
            *genes,
            "0:0:0:0:0",
        ]
        lines.append("\t".join(row))
    individuals = {m.indiv_id: m.pseudonym for m in members.values() if m.pseudonym is not None}
    return CanRiskPedigree("\n".join(lines) + "\n", individuals, family_id)


def export_canrisk(
    instance: Instance,
    actor: Actor,
    index: str,
    *,
    gene_results: Mapping[str, Sequence[GeneResult]] | None = None,
    prs: PolygenicScore | None = None,
    index_breast_cancer_age: int | None = None,
    via: str = "cli",
) -> CanRiskPedigree:
    """The pedigree, when the access policy lets the actor read the index case and every declared relative in it
    (each decision audited); otherwise Forbidden, naming the rule."""
    family = _family(index, declared_relationships(instance))
    policy = Policy(instance)
    resources = [r for pseudonym in sorted(family) for r in policy.person_samples(pseudonym)]
    decisions = policy.decide_many(
        actor, Action.READ_METADATA, resources, detail={"via": via, "request": "CanRisk pedigree"}
    )
    for decision in decisions:
        decision.require()
    return canrisk_pedigree(
        instance, index, gene_results=gene_results, prs=prs, index_breast_cancer_age=index_breast_cancer_age
    )
