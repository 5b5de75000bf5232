"""Programme policies: the shipped ones, and edited ones a steward loads — refused with file, line, key and
expectation when they name an unknown gene or rule, with nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from genomdb.access.audit import AuditLog
from genomdb.access.records import AuditFilters
from genomdb.access.users import resolve_actor
from genomdb.demo.users import STEWARD, clinician_name, ensure_demo_users
from genomdb.errors import Conflict, Forbidden, InvalidInput
from genomdb.instance import Instance
from genomdb.refdata.genes import grch38_genes
from genomdb.screening import repository, service
from genomdb.screening.policy import RULES, parse_policy, shipped_policy, shipped_policy_text

FH_GENES = {"LDLR", "APOB", "PCSK9", "LDLRAP1"}
BREAST_GENES = {"BRCA1", "BRCA2", "PALB2", "CHEK2", "ATM", "BARD1", "RAD51C", "RAD51D", "BRIP1"}


def test_the_shipped_policies_name_the_issue_s_genes_at_their_grch38_spans() -> None:
    fh, breast = shipped_policy("fh"), shipped_policy("breast-cancer")
    assert {g.symbol for g in fh.genes} == FH_GENES
    assert {g.symbol for g in breast.genes} == BREAST_GENES
    table = grch38_genes()
    for gene in (*fh.genes, *breast.genes):
        reference = table[gene.symbol]
        assert (gene.chrom, gene.start_1based, gene.end_1based) == (
            reference.chrom,
            reference.start_1based,
            reference.end_1based,
        )
        assert 0 < gene.max_credible_faf95 < 0.05
    assert fh.schema_version == breast.schema_version == 1
    rules = {g.symbol: g.rule for g in fh.genes}
    assert rules == {
        "LDLR": "pathogenic",
        "APOB": "pathogenic_in_region",
        "PCSK9": "listed_variants",
        "LDLRAP1": "biallelic_pathogenic",
    }
    apob = fh.gene("APOB")
    assert apob is not None and apob.region is not None
    assert apob.start_1based <= apob.region[0] <= 21_006_288 <= apob.region[1] <= apob.end_1based  # p.Arg3527
    pcsk9 = fh.gene("PCSK9")
    assert pcsk9 is not None and "chr1-55057454-G-T" in {key for key, _ in pcsk9.variants}
    assert {g.symbol for g in breast.genes if g.risk_class == "high"} == {"BRCA1", "BRCA2", "PALB2"}
    assert fh.priority == ("risk_class", "youngest_first")


def _edited(tmp_path: Path, change: str) -> tuple[Path, int]:
    """The shipped FH policy with one change; returns the file and the line the change is on."""
    document = yaml.safe_load(shipped_policy_text("fh"))
    document["policy_version"] = "2026.2"
    if change == "gene":
        document["genes"]["LDLRX"] = dict(document["genes"]["LDLR"])
    else:
        document["genes"]["LDLR"]["rule"] = "dominant_negative_only"
    text = yaml.safe_dump(document, sort_keys=False)
    lines = text.splitlines()
    needle = "  LDLRX:" if change == "gene" else "    rule: dominant_negative_only"
    path = tmp_path / "fh-edited.yaml"
    path.write_text(text)
    return path, lines.index(needle) + 1


@pytest.mark.parametrize("change", ["gene", "rule"])
def test_a_policy_with_an_unknown_gene_or_rule_is_refused_by_line_and_key_and_changes_nothing(
    instance: Instance, tmp_path: Path, change: str
) -> None:
    ensure_demo_users(instance)
    steward = resolve_actor(instance, STEWARD)
    path, line = _edited(tmp_path, change)
    before = repository.counts(instance.db)
    with pytest.raises(InvalidInput) as refused:
        service.load_policy(instance, steward, path)
    [problem] = refused.value.problems
    assert problem.file == str(path)
    assert problem.location == f"line {line}"
    if change == "gene":
        assert problem.field == "genes.LDLRX"
        assert problem.message == "unknown gene"
    else:
        assert problem.field == "genes.LDLR.rule"
        assert problem.expected is not None and all(rule in problem.expected for rule in RULES)
        assert problem.found == "dominant_negative_only"
    assert repository.counts(instance.db) == before
    assert service.current_policy(instance, "fh").policy_version == "2026.1"


def test_only_a_steward_loads_a_policy_and_the_refusal_is_audited(instance: Instance, tmp_path: Path) -> None:
    ensure_demo_users(instance)
    clinician = resolve_actor(instance, clinician_name("RH-KG"))
    path = tmp_path / "fh.yaml"
    path.write_text(shipped_policy_text("fh").replace('policy_version: "2026.1"', 'policy_version: "2026.9"'))
    with pytest.raises(Forbidden):
        service.load_policy(instance, clinician, path)
    [entry] = AuditLog(instance).search(AuditFilters(actor=clinician.username, action="manage-screening"))
    assert entry.decision == "refused"
    assert repository.counts(instance.db)["screening_policies"] == 0
    policy, stored = service.load_policy(instance, resolve_actor(instance, STEWARD), path)
    assert stored and policy.policy_version == "2026.9"
    assert service.current_policy(instance, "fh").policy_version == "2026.9"


def test_an_edited_policy_needs_a_new_version(instance: Instance, tmp_path: Path) -> None:
    ensure_demo_users(instance)
    steward = resolve_actor(instance, STEWARD)
    first = tmp_path / "a.yaml"
    first.write_text(shipped_policy_text("fh").replace('policy_version: "2026.1"', 'policy_version: "2026.3"'))
    service.load_policy(instance, steward, first)
    again = service.load_policy(instance, steward, first)
    assert again[1] is False
    second = tmp_path / "b.yaml"
    second.write_text(first.read_text().replace("max_credible_faf95: 0.005", "max_credible_faf95: 0.004"))
    with pytest.raises(Conflict, match="new policy_version"):
        service.load_policy(instance, steward, second)


def test_a_document_that_is_not_a_policy_names_every_problem() -> None:
    text = "schema_version: 2\nprogramme: fh\npolicy_version: x\ncolour: blue\n"
    with pytest.raises(InvalidInput) as refused:
        parse_policy(text, file_name="odd.yaml")
    fields = {p.field for p in refused.value.problems}
    assert {"schema_version", "colour"} <= fields
    colour = next(p for p in refused.value.problems if p.field == "colour")
    assert colour.location == "line 4" and colour.message == "unknown key 'colour'"
