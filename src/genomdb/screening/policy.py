"""Programme policies: versioned YAML documents validated by a JSON Schema, shipped as package data.

A policy names, per gene, the GRCh38 span, the mode of inheritance, the rule that says what is actionable, the
risk class and the maximum credible frequency (a variant whose FAF95 in the national release is above it is
flagged, not reported); and for the programme the order of risk classes and the priority rules used when clinic
capacity is short. :func:`parse_policy` refuses a document with every problem named by line and key — a gene
genomdb does not know, a rule that does not exist, a span off the gene — so that loading it changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.refdata.genes import grch38_genes

SCHEMA_FILE = "programme.schema.json"
SHIPPED = {"fh": "fh.yaml", "breast-cancer": "breast-cancer.yaml"}
"""The programmes genomdb ships, by name."""
RULES = ("pathogenic", "pathogenic_in_region", "listed_variants", "biallelic_pathogenic")


@dataclass(frozen=True, slots=True)
class GeneRule:
    """What counts as actionable in one gene of a programme (coordinates GRCh38, 1-based, inclusive)."""

    symbol: str
    chrom: str
    start_1based: int
    end_1based: int
    inheritance: str
    rule: str
    risk_class: str
    max_credible_faf95: float
    region: tuple[int, int, str] | None = None
    """For ``pathogenic_in_region``: (start_1based, end_1based, label)."""
    variants: tuple[tuple[str, str], ...] = ()
    """For ``listed_variants``: (variant key, label)."""

    def contains(self, chrom: str, pos_1based: int) -> bool:
        return chrom == self.chrom and self.start_1based <= pos_1based <= self.end_1based

    def describe(self) -> str:
        if self.rule == "pathogenic_in_region" and self.region is not None:
            return f"P/LP in {self.region[2]} ({self.chrom}:{self.region[0]}-{self.region[1]})"
        if self.rule == "listed_variants":
            return "P/LP and listed: " + ", ".join(label for _, label in self.variants)
        if self.rule == "biallelic_pathogenic":
            return "two P/LP alleles (homozygous, or two variants: phase not known)"
        return "P/LP, including loss of function"


@dataclass(frozen=True, slots=True)
class ProgrammePolicy:
    """One version of a programme's policy."""

    programme: str
    policy_version: str
    schema_version: int
    title: str
    clinic: str
    risk_classes: tuple[str, ...]
    priority: tuple[str, ...]
    genes: tuple[GeneRule, ...]
    document: dict[str, Any]
    sha256: str
    """Of the canonical JSON of the document: two loads of the same content are the same policy."""

    def gene(self, symbol: str) -> GeneRule | None:
        return next((g for g in self.genes if g.symbol == symbol), None)

    def gene_at(self, chrom: str, pos_1based: int) -> GeneRule | None:
        return next((g for g in self.genes if g.contains(chrom, pos_1based)), None)

    def risk_rank(self, risk_class: str) -> int:
        return self.risk_classes.index(risk_class) if risk_class in self.risk_classes else len(self.risk_classes)


@cache
def programme_schema() -> dict[str, Any]:
    """The JSON Schema every programme policy is validated against."""
    text = resources.files("genomdb.screening").joinpath("programmes", SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def shipped_policy_text(programme: str) -> str:
    if programme not in SHIPPED:
        raise NotFound(f"no programme {programme!r}: the programmes are {', '.join(SHIPPED)}")
    return resources.files("genomdb.screening").joinpath("programmes", SHIPPED[programme]).read_text(encoding="utf-8")


def shipped_policy(programme: str) -> ProgrammePolicy:
    """The policy genomdb ships for a programme (``fh`` or ``breast-cancer``)."""
    return parse_policy(shipped_policy_text(programme), file_name=f"genomdb:screening/programmes/{SHIPPED[programme]}")


def canonical_sha256(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _line_of(root: yaml.Node | None, path: list[str | int]) -> str | None:
    """The line (1-based) of the node at ``path`` in a composed YAML document, or of its deepest known parent."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == step), None)
            if match is None:
                break
            key_node, node = match
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return f"line {line}" if line is not None else None


def _key(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path) or "(document)"


def parse_policy(text: str, *, file_name: str) -> ProgrammePolicy:
    """A validated policy from YAML text; InvalidInput lists every problem (file, line, key, expectation)."""
    from jsonschema import Draft202012Validator

    try:
        root = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise InvalidInput(
            f"{file_name} is not YAML",
            [Problem(file_name, "not valid YAML", location=where, expected="a YAML mapping")],
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput(
            f"{file_name} is not a programme policy",
            [Problem(file_name, "not a mapping", expected="a YAML mapping with schema_version, programme, genes, …")],
        )
    problems: list[Problem] = []
    validator = Draft202012Validator(programme_schema())
    for error in sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - allowed):
                problems.append(
                    Problem(
                        file_name,
                        f"unknown key {extra!r}",
                        location=_line_of(root, [*path, extra]),
                        field=_key([*path, extra]),
                        expected="one of " + ", ".join(sorted(allowed)),
                        found=str(extra),
                    )
                )
            continue
        expected = None
        if error.validator == "enum":
            expected = "one of " + ", ".join(str(v) for v in error.validator_value)
        elif error.validator == "const":
            expected = repr(error.validator_value)
        elif error.validator == "required":
            expected = "keys " + ", ".join(error.validator_value)
        problems.append(
            Problem(
                file_name,
                error.message,
                location=_line_of(root, path),
                field=_key(path),
                expected=expected,
                found=None if isinstance(error.instance, dict | list) else str(error.instance),
            )
        )
    if not problems:
        problems.extend(_semantic_problems(document, root, file_name))
    if problems:
        raise InvalidInput(f"{file_name} is not a valid programme policy; nothing was changed", problems)
    return _policy(document)


def _semantic_problems(document: dict[str, Any], root: yaml.Node | None, file_name: str) -> list[Problem]:
    known = grch38_genes()
    problems: list[Problem] = []

    def problem(path: list[str | int], message: str, expected: str, found: object) -> None:
        problems.append(
            Problem(
                file_name, message, location=_line_of(root, path), field=_key(path), expected=expected, found=str(found)
            )
        )

    for symbol, gene in document["genes"].items():
        reference = known.get(symbol.upper())
        if reference is None or reference.symbol != symbol:
            problem(["genes", symbol], "unknown gene", "an HGNC symbol of genomdb's GRCh38 gene table", symbol)
            continue
        span = f"{reference.chrom}:{reference.start_1based}-{reference.end_1based}"
        if gene["chrom"] != reference.chrom:
            problem(["genes", symbol, "chrom"], f"{symbol} is not on {gene['chrom']}", reference.chrom, gene["chrom"])
        if not (gene["start_1based"] <= reference.end_1based and reference.start_1based <= gene["end_1based"]):
            problem(["genes", symbol, "start_1based"], f"span off {symbol}", f"a span overlapping {span}", gene)
        if gene["start_1based"] > gene["end_1based"]:
            problem(
                ["genes", symbol, "end_1based"], "end before start", "end_1based ≥ start_1based", gene["end_1based"]
            )
        if gene["risk_class"] not in document["risk_classes"]:
            problem(
                ["genes", symbol, "risk_class"],
                "risk class not in risk_classes",
                ", ".join(document["risk_classes"]),
                gene["risk_class"],
            )
        region = gene.get("region")
        if region is not None and not (
            gene["start_1based"] <= region["start_1based"] <= region["end_1based"] <= gene["end_1based"]
        ):
            problem(
                ["genes", symbol, "region"],
                "region outside the gene",
                f"inside {gene['chrom']}:{gene['start_1based']}-{gene['end_1based']}",
                f"{region['start_1based']}-{region['end_1based']}",
            )
        for index, variant in enumerate(gene.get("variants", [])):
            chrom, pos, *_ = variant["key"].split("-")
            if chrom != gene["chrom"] or not gene["start_1based"] <= int(pos) <= gene["end_1based"]:
                problem(
                    ["genes", symbol, "variants", index, "key"],
                    "variant outside the gene",
                    f"a variant in {symbol}",
                    variant["key"],
                )
    return problems


def _policy(document: dict[str, Any]) -> ProgrammePolicy:
    genes = []
    for symbol, gene in document["genes"].items():
        region = gene.get("region")
        genes.append(
            GeneRule(
                symbol=symbol,
                chrom=gene["chrom"],
                start_1based=int(gene["start_1based"]),
                end_1based=int(gene["end_1based"]),
                inheritance=gene["inheritance"],
                rule=gene["rule"],
                risk_class=gene["risk_class"],
                max_credible_faf95=float(gene["max_credible_faf95"]),
                region=(int(region["start_1based"]), int(region["end_1based"]), str(region["label"]))
                if region
                else None,
                variants=tuple((str(v["key"]), str(v["label"])) for v in gene.get("variants", [])),
            )
        )
    return ProgrammePolicy(
        programme=document["programme"],
        policy_version=str(document["policy_version"]),
        schema_version=int(document["schema_version"]),
        title=document["title"],
        clinic=document["clinic"],
        risk_classes=tuple(document["risk_classes"]),
        priority=tuple(document["priority"]),
        genes=tuple(genes),
        document=document,
        sha256=canonical_sha256(document),
    )


def policy_from_document(document: dict[str, Any]) -> ProgrammePolicy:
    """A policy from a document already validated (one stored by :mod:`genomdb.screening.repository`)."""
    return _policy(document)
