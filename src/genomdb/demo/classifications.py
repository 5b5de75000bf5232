"""Demo classifications: several departments classify the demo cohort's variants over sixteen months.

The history is replayed with transaction times from March 2021 to July 2022, so that ``--as-of`` shows what the
database said on any day. It holds:

* a benign agreement of three departments on a common LDLR variant;
* a VUS that becomes a conflict and is resolved when the department reclassifies it (P/LP agreement of three);
* an opposite conflict on a BRCA2 variant (P/LP against LB/B), under discussion at the national variant forum;
* a VUS-against-LP disagreement on an LDLR variant that stays open;
* a reclassification from VUS to LP with its reason, which crosses the actionable boundary (recontact worklists
  are filled from the variant store when the cohort has been harmonised);
* a pathogenic BRCA2 nonsense variant classified by one lab, and a benign BRCA2 variant;
* an assertion withdrawn after a sample mix-up.

Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import Condition, InheritanceMode, NewAssertion
from genomdb.classification.variants import VariantKeyError, parse_variant_key
from genomdb.demo.regions import DEMO_GENES
from genomdb.instance import Instance

START = dt.datetime(2021, 3, 1, 9, 30, tzinfo=dt.UTC)

_CONDITIONS = {
    "LDLR": (Condition("Familial hypercholesterolemia", "OMIM:143890"), InheritanceMode.AUTOSOMAL_DOMINANT),
    "BRCA2": (Condition("Hereditary breast and ovarian cancer", "OMIM:612555"), InheritanceMode.AUTOSOMAL_DOMINANT),
}
_CLASSIFIERS = {
    "RH-KG": "M. Holm",
    "RH-GM": "S. Riis",
    "RSJ-KG": "L. Bech",
    "RSD-KG-OUH": "A. Juhl",
    "RSD-KG-VEJ": "T. Friis",
    "RM-KG": "K. Dahl",
    "RN-KG": "P. Krogh",
}


@dataclass(frozen=True, slots=True)
class DemoClassifications:
    """What the demo recorded (or found already recorded), and which variant shows what."""

    loaded: bool
    n_assertions: int
    n_versions: int
    n_conflicts: int
    n_crossings: int
    n_worklist_entries: int
    scenarios: dict[str, str] = field(default_factory=dict)
    """Scenario name → variant key, e.g. ``opposite conflict`` → ``chr13-…``."""
    as_of_example: dt.date = dt.date(2021, 12, 31)
    """A day on which the reclassified variant was still a VUS and the withdrawn assertion still stood."""


class _ReplayClock:
    """Transaction time of the replayed history: each step happens some days after the previous one."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def step(self, days: int) -> None:
        self.now += dt.timedelta(days=days)


def _gene(chrom: str) -> str | None:
    for gene in DEMO_GENES:
        if gene.chrom == chrom and gene.symbol in _CONDITIONS:
            return gene.symbol
    return None


def _pick(keys: Sequence[str]) -> dict[str, list[str]]:
    """Usable keys by gene, in the order given (LDLR and BRCA2; CYP2C19 is pharmacogenetics, not ACMG)."""
    by_gene: dict[str, list[str]] = {}
    for text in keys:
        try:
            key = parse_variant_key(text)
        except VariantKeyError:
            continue
        gene = _gene(key.chrom)
        if gene is not None and key.key not in by_gene.get(gene, []):
            by_gene.setdefault(gene, []).append(key.key)
    return by_gene


def _extra_keys(database: ClassificationDatabase, gene_symbol: str, n: int, avoid: set[str]) -> list[str]:
    """SNVs inside a gene on the instance's reference (A↔G, C↔T), for when the cohort has too few examples."""
    gene = next(g for g in DEMO_GENES if g.symbol == gene_symbol)
    sequence = database.resolver.sequence(gene.chrom)
    transitions = {"A": "G", "G": "A", "C": "T", "T": "C"}
    found: list[str] = []
    position = (gene.start_1based + gene.end_1based) // 2
    while len(found) < n and position < gene.end_1based:
        base = sequence.fetch(position - 1, position)
        key = f"{gene.chrom}-{position}-{base}-{transitions.get(base, '')}"
        if base in transitions and key not in avoid:
            found.append(key)
        position += 997
    return found


def load_demo_classifications(
    instance: Instance,
    example_variant_keys: Sequence[str],
    *,
    on_step: Callable[[str], None] | None = None,
) -> DemoClassifications:
    """Record the demo's classifications on the cohort's example variants (plus generated LDLR/BRCA2 SNVs when
    there are too few). Needs the demo reference as the instance's GRCh38."""
    clock = _ReplayClock(START)
    with ClassificationDatabase(instance, clock=clock) as database:
        if database.counts()["versions"] > 0:
            return _summary(database, loaded=False, scenarios={})
        by_gene = _pick(example_variant_keys)
        for gene_symbol, wanted in (("LDLR", 5), ("BRCA2", 3)):
            have = by_gene.setdefault(gene_symbol, [])
            if len(have) < wanted:
                have.extend(_extra_keys(database, gene_symbol, wanted - len(have), set(have)))
        # the cohort's examples come per gene as common, rare, singleton, indel: pathogenic claims go to rare ones
        common, reclassified, resolved, disputed, withdrawn_key = by_gene["LDLR"][:5]
        brca2_common, opposite, single_lab = by_gene["BRCA2"][:3]
        scenarios = {
            "benign agreement": common,
            "agreement after a resolved disagreement": resolved,
            "VUS against LP": disputed,
            "reclassified VUS → LP (recontact)": reclassified,
            "withdrawn assertion": withdrawn_key,
            "opposite conflict": opposite,
            "classified by one lab": single_lab,
            "benign, single lab": brca2_common,
        }

        def record(
            department: str, key: str, acmg_class: AcmgClass, criteria: str, evidence: str, reason: str | None = None
        ) -> None:
            gene = _gene(parse_variant_key(key).chrom) or "LDLR"
            condition, inheritance = _CONDITIONS[gene]
            database.add(
                department,
                NewAssertion(
                    variant=key,
                    acmg_class=acmg_class,
                    condition=condition,
                    inheritance=inheritance,
                    criteria=parse_criteria(criteria),
                    evidence=evidence,
                    classifier=_CLASSIFIERS[department],
                    asserted_on=clock.now.date() - dt.timedelta(days=3),
                    gene=gene,
                    reason=reason,
                ),
                source="demo",
            )
            if on_step is not None:
                on_step(f"{clock.now:%Y-%m-%d} {department} {acmg_class.abbreviation} {key}")

        p, lp, vus, lb, b = (
            AcmgClass.PATHOGENIC,
            AcmgClass.LIKELY_PATHOGENIC,
            AcmgClass.UNCERTAIN,
            AcmgClass.LIKELY_BENIGN,
            AcmgClass.BENIGN,
        )
        record("RH-KG", common, b, "BA1", "Common in the national cohort and in gnomAD (FAF95 well above 0.5%).")
        clock.step(20)
        record("RM-KG", common, b, "BA1", "Population frequency above the FH VCEP BA1 threshold.")
        clock.step(9)
        record("RSJ-KG", common, lb, "BS1 BP4", "Frequent in controls; in silico benign.")
        clock.step(14)
        record("RH-KG", reclassified, vus, "PM2_Supporting PP3", "Rare; REVEL 0.81; one proband with LDL-C 7.2 mmol/l.")
        clock.step(30)
        record("RH-GM", opposite, lp, "PS3_Moderate PM2_Supporting PP3 PP4", "Reduced HDR activity in one assay.")
        clock.step(25)
        record("RSD-KG-OUH", opposite, lb, "BS3 BP4", "Normal function in a validated saturation-genome-editing assay.")
        clock.step(40)
        record("RH-GM", single_lab, p, "PVS1 PM2_Supporting PS4_Moderate", "Nonsense variant; premature stop codon.")
        clock.step(12)
        record("RN-KG", resolved, vus, "PM2_Supporting", "Insufficient evidence.")
        clock.step(21)
        record("RH-KG", resolved, p, "PS3 PS4_Moderate PM2_Supporting PP1", "Class 1 LDLR activity < 10%; 4 probands.")
        clock.step(60)
        record("RM-KG", resolved, lp, "PS3 PM2_Supporting PP4", "Functional study and DLCN score 9.")
        clock.step(15)
        record("RSD-KG-VEJ", withdrawn_key, lp, "PM1 PM2_Supporting PP3 PP4 PM5", "Adjacent pathogenic missense.")
        clock.step(33)
        record(
            "RN-KG", resolved, p, "PS3 PS4_Moderate PM2_Supporting", "Reviewed with RH-KG data.", reason="data shared"
        )
        clock.step(45)
        record("RH-GM", brca2_common, b, "BA1", "Common polymorphism.")
        clock.step(30)
        record(
            "RSJ-KG",
            disputed,
            lp,
            "PM1 PM4 PM2_Supporting PP4",
            "Length change in the ligand-binding domain; two probands.",
        )
        clock.step(18)
        record(
            "RM-KG", disputed, vus, "PM4 PM2_Supporting", "PM1 and PP4 not applied: domain and phenotype not specific."
        )
        clock.step(50)
        record(
            "RH-KG",
            reclassified,
            lp,
            "PM2_Supporting PP3 PP1_Strong PS4_Moderate",
            "Segregates with hypercholesterolaemia in 3 affected relatives; 3 unrelated probands.",
            reason="new segregation data",
        )
        clock.step(10)
        record(
            "RN-KG", reclassified, lp, "PM2_Supporting PP3 PP1_Strong PS4_Moderate", "Concur with RH-KG after review."
        )
        clock.step(20)
        conflicts = {c.variant_key: c for c in database.conflicts()}
        if opposite in conflicts:
            database.discuss_conflict(
                conflict_id=conflicts[opposite].conflict_id,
                actor="national variant forum",
                note="On the agenda of the national variant forum; RH-GM reviews the SGE data.",
            )
        clock.step(35)
        withdrawn = database.as_of(clock.now, variant=withdrawn_key, department="RSD-KG-VEJ")
        if withdrawn:
            database.withdraw(
                withdrawn[0].assertion_id,
                department="RSD-KG-VEJ",
                reason="sample mix-up found at confirmation by Sanger sequencing",
                classifier=_CLASSIFIERS["RSD-KG-VEJ"],
            )
        return _summary(database, loaded=True, scenarios=scenarios)


def _summary(database: ClassificationDatabase, *, loaded: bool, scenarios: dict[str, str]) -> DemoClassifications:
    counts = database.counts()
    return DemoClassifications(
        loaded=loaded,
        n_assertions=counts["assertions"],
        n_versions=counts["versions"],
        n_conflicts=counts["conflicts"],
        n_crossings=counts["crossings"],
        n_worklist_entries=counts["worklist_entries"],
        scenarios=scenarios,
    )


_PLANTED_CLASSIFIERS = {"LDLR": ("RH-KG", "RM-KG"), "BRCA2": ("RH-GM", "RSD-KG-OUH")}
_PLANTED_EVIDENCE = {
    "LDLR": ("PS3 PS4 PM2_Supporting PP1 PP3", "ClinGen FH VCEP: Pathogenic; segregates in the family."),
    "BRCA2": ("PVS1 PS4 PM2_Supporting", "Truncating founder variant; ENIGMA: Pathogenic."),
}


def classify_planted(instance: Instance, planted: Sequence[tuple[str, str]]) -> int:
    """Classify the demo's planted early-detection variants (variant key, gene) Pathogenic by two departments
    each; a variant already classified is left alone. Returns how many assertions were recorded."""
    recorded = 0
    with ClassificationDatabase(instance) as database:
        for key, gene in planted:
            if gene not in _CONDITIONS or database.national_view(key).assertions:
                continue
            condition, inheritance = _CONDITIONS[gene]
            criteria, evidence = _PLANTED_EVIDENCE[gene]
            for department in _PLANTED_CLASSIFIERS[gene]:
                database.add(
                    department,
                    NewAssertion(
                        variant=key,
                        acmg_class=AcmgClass.PATHOGENIC,
                        condition=condition,
                        inheritance=inheritance,
                        criteria=parse_criteria(criteria),
                        evidence=evidence,
                        classifier=_CLASSIFIERS[department],
                        asserted_on=dt.date(2024, 3, 1),
                        gene=gene,
                    ),
                    source="demo",
                )
                recorded += 1
    return recorded
