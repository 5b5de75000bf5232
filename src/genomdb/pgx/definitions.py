"""PGx definitions as versioned data: allele definitions, exemptions and gene phenotype tables.

The files are PharmCAT's data format (``definition/alleles/<GENE>_translation.json``,
``definition/alleles/exemptions.json``, ``phenotype/<GENE>.json``); the package ships one version of them under
``genomdb/pgx/data`` and ``GENOMDB_PGX_DATA`` points at a newer directory of the same layout. Every file is validated
with pydantic; an unknown or malformed file is refused naming the file, the field and what was expected.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genomdb.errors import InvalidInput, Problem

#: The genes the named-allele matcher calls from a VCF (PharmCAT 3.x).
VCF_GENES: tuple[str, ...] = (
    "ABCG2",
    "CACNA1S",
    "CFTR",
    "CYP2B6",
    "CYP2C19",
    "CYP2C9",
    "CYP3A4",
    "CYP3A5",
    "CYP4F2",
    "DPYD",
    "G6PD",
    "IFNL3",
    "NAT2",
    "NUDT15",
    "RYR1",
    "SLCO1B1",
    "TPMT",
    "UGT1A1",
    "VKORC1",
)
#: Genes that only come in as outside calls (no caller of our own).
OUTSIDE_ONLY_GENES: tuple[str, ...] = ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1")
#: Genes whose defined variants affect drug toxicity: an undocumented ALT there is read as reference.
TOXICITY_GENES: frozenset[str] = frozenset({"CACNA1S", "DPYD", "G6PD", "NUDT15", "RYR1", "TPMT"})
#: Genes whose phenotype comes from an activity score.
ACTIVITY_SCORE_GENES: frozenset[str] = frozenset({"CYP2C9", "CYP2D6", "DPYD"})

SUPPORTED_DEFINITION_FORMAT = 2
MANIFEST_SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class VariantLocus(_Model):
    """One allele-defining position (VCF coordinates, 1-based)."""

    chromosome: str
    position: int = Field(gt=0)
    rsid: str | None = None
    chromosomeHgvsName: str | None = None  # noqa: N815 (PharmCAT's field name)
    ref: str = Field(min_length=1)
    alts: list[str]
    cpicAlleles: list[str] = Field(default_factory=list)  # noqa: N815


class NamedAlleleDefinition(_Model):
    """A named allele: one allele (VCF spelling or IUPAC code) per defining position, ``None`` = as reference."""

    name: str = Field(min_length=1)
    id: str | None = None
    alleles: list[str | None]
    reference: bool
    structuralVariant: bool = False  # noqa: N815
    score: int = Field(ge=0)


class GeneDefinition(_Model):
    """One ``<GENE>_translation.json``."""

    formatVersion: int | str  # noqa: N815
    version: str = Field(min_length=1)
    gene: str = Field(min_length=1)
    chromosome: str
    genomeBuild: str  # noqa: N815
    variants: list[VariantLocus] = Field(min_length=1)
    namedAlleles: list[NamedAlleleDefinition] = Field(min_length=1)  # noqa: N815


class DiplotypePriority(_Model):
    id: str
    candidates: list[str] = Field(alias="list")
    pick: str


class GeneExemption(_Model):
    gene: str
    requiredPositions: list[int] = Field(default_factory=list)  # noqa: N815
    ignoredPositions: list[VariantLocus] = Field(default_factory=list)  # noqa: N815
    extraPositions: list[VariantLocus] = Field(default_factory=list)  # noqa: N815
    ignoredAlleles: list[str] = Field(default_factory=list)  # noqa: N815
    unphasedDiplotypePriorities: list[DiplotypePriority] = Field(default_factory=list)  # noqa: N815


class PhenotypeDiplotype(_Model):
    generesult: str | None = None
    diplotype: str
    diplotypekey: dict[str, int]
    activityScore: str | None = None  # noqa: N815
    lookupkey: str | None = None


class PhenotypeAllele(_Model):
    name: str
    activityValue: str | None = None  # noqa: N815
    functionValue: str | None = None  # noqa: N815


class GenePhenotype(_Model):
    """One ``phenotype/<GENE>.json``: allele functions, activity values, diplotype → phenotype."""

    gene: str
    version: str | None = None
    haplotypes: dict[str, str]
    activityValues: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    diplotypes: list[PhenotypeDiplotype]
    namedAlleles: list[PhenotypeAllele] = Field(default_factory=list)  # noqa: N815


class DataSource(_Model):
    name: str
    origin: str
    licence: str
    files: list[str]


class DataManifest(_Model):
    """``manifest.json`` at the top of a PGx data directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1]
    data_version: str = Field(min_length=1)
    definitions_version: str = Field(min_length=1)
    recommendations_version: str = Field(min_length=1)
    sources: list[DataSource]


@dataclass(frozen=True)
class Cyp2d6Activity:
    """CYP2D6 allele activity values (outside calls only): allele → (activity value or None, function)."""

    alleles: dict[str, tuple[str | None, str]]


@dataclass(frozen=True)
class PgxData:
    """Every definition file of one data version, validated and indexed by gene."""

    root: Path
    manifest: DataManifest
    definitions: dict[str, GeneDefinition]
    exemptions: dict[str, GeneExemption]
    phenotypes: dict[str, GenePhenotype]
    cyp2d6_activity: Cyp2d6Activity
    recommendations_dir: Path
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """indexes derived from the files (positions, lookups), filled on first use"""

    @property
    def data_version(self) -> str:
        return self.manifest.data_version

    @property
    def all_genes(self) -> tuple[str, ...]:
        return tuple(sorted({*self.definitions, *OUTSIDE_ONLY_GENES}))


def packaged_data_dir() -> Path:
    """The data directory shipped inside the package."""
    return Path(__file__).resolve().parent / "data"


def _problem(file: Path, exc: ValidationError, expectation: str) -> list[Problem]:
    problems = []
    for error in exc.errors()[:20]:
        where = ".".join(str(part) for part in error["loc"])
        problems.append(
            Problem(
                file=str(file),
                message=error["msg"],
                field=where or None,
                expected=expectation,
                found=repr(error.get("input"))[:80],
            )
        )
    return problems


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"PGx data file missing: {path}", [Problem(str(path), "file not found")]) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"PGx data file is not valid JSON: {path}", [Problem(str(path), str(exc), expected="UTF-8 JSON")]
        ) from exc


def load_gene_definition(path: Path) -> GeneDefinition:
    """Read and validate one ``<GENE>_translation.json`` (PharmCAT definition format 2)."""
    raw = _read_json(path)
    if not isinstance(raw, dict) or "formatVersion" not in raw:
        raise InvalidInput(
            f"unknown allele-definition schema in {path}",
            [Problem(str(path), "no formatVersion", field="formatVersion", expected="2 (PharmCAT 3.x)")],
        )
    if str(raw["formatVersion"]) != str(SUPPORTED_DEFINITION_FORMAT):
        raise InvalidInput(
            f"unknown allele-definition schema in {path}",
            [
                Problem(
                    str(path),
                    "unsupported definition format",
                    field="formatVersion",
                    expected=str(SUPPORTED_DEFINITION_FORMAT),
                    found=repr(raw["formatVersion"]),
                )
            ],
        )
    try:
        definition = GeneDefinition.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(
            f"malformed allele definition {path}", _problem(path, exc, "PharmCAT translation.json")
        ) from exc
    problems = []
    n_positions = len(definition.variants)
    for index, allele in enumerate(definition.namedAlleles):
        if len(allele.alleles) != n_positions:
            problems.append(
                Problem(
                    str(path),
                    "one allele per defining position needed",
                    field=f"namedAlleles.{index}.alleles",
                    expected=f"{n_positions} entries",
                    found=f"{len(allele.alleles)} entries ({allele.name})",
                )
            )
    if sum(allele.reference for allele in definition.namedAlleles) != 1:
        problems.append(Problem(str(path), "exactly one named allele must be the reference", field="reference"))
    if not definition.chromosome.startswith("chr"):
        problems.append(
            Problem(str(path), "GRCh38 chr-style name needed", field="chromosome", found=definition.chromosome)
        )
    if path.name != f"{definition.gene}_translation.json":
        problems.append(Problem(str(path), "file name and gene differ", field="gene", expected=path.name.split("_")[0]))
    if problems:
        raise InvalidInput(f"malformed allele definition {path}", problems)
    return definition


def load_exemptions(path: Path) -> dict[str, GeneExemption]:
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise InvalidInput(
            f"unknown exemptions schema in {path}",
            [Problem(str(path), "top level must map gene → exemption", expected="JSON object")],
        )
    out: dict[str, GeneExemption] = {}
    problems: list[Problem] = []
    for gene, value in raw.items():
        try:
            out[gene] = GeneExemption.model_validate(value)
        except ValidationError as exc:
            problems.extend(_problem(path, exc, f"PharmCAT exemption for {gene}"))
    if problems:
        raise InvalidInput(f"malformed exemptions file {path}", problems)
    return out


def load_gene_phenotype(path: Path) -> GenePhenotype:
    raw = _read_json(path)
    if not isinstance(raw, dict) or "diplotypes" not in raw or "haplotypes" not in raw:
        raise InvalidInput(
            f"unknown phenotype schema in {path}",
            [Problem(str(path), "missing haplotypes/diplotypes", expected="PharmCAT phenotype/<GENE>.json")],
        )
    try:
        return GenePhenotype.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"malformed phenotype file {path}", _problem(path, exc, "PharmCAT phenotype")) from exc


def load_cyp2d6_activity(path: Path) -> Cyp2d6Activity:
    alleles: dict[str, tuple[str | None, str]] = {}
    with path.open(encoding="utf-8") as handle:
        rows = [line for line in handle if not line.startswith("#") and line.strip()]
    reader = csv.reader(rows, delimiter="\t")
    header = next(reader, None)
    if header != ["allele", "activity_value", "function"]:
        raise InvalidInput(
            f"unknown CYP2D6 activity table schema in {path}",
            [Problem(str(path), "bad header", location="line 1", expected="allele, activity_value, function")],
        )
    for number, row in enumerate(reader, start=2):
        if len(row) != 3:
            raise InvalidInput(
                f"malformed CYP2D6 activity table {path}",
                [Problem(str(path), "three columns needed", location=f"data row {number}", found=str(row))],
            )
        value = None if row[1] in ("n/a", "") else row[1]
        alleles[row[0]] = (value, row[2])
    return Cyp2d6Activity(alleles)


def data_version_of(root: Path | None = None) -> str:
    """The data version a PGx data directory (default: the packaged one) names, read from its manifest only."""
    path = (root or packaged_data_dir()).expanduser().resolve() / "manifest.json"
    try:
        return DataManifest.model_validate(_read_json(path)).data_version
    except ValidationError as exc:
        raise InvalidInput(
            f"unknown or malformed PGx data manifest {path}",
            _problem(path, exc, f"genomdb PGx manifest schema_version {MANIFEST_SCHEMA_VERSION}"),
        ) from exc


def load_pgx_data(root: Path | None = None) -> PgxData:
    """Load and validate a PGx data directory (default: the packaged one)."""
    root = (root or packaged_data_dir()).expanduser().resolve()
    if not root.is_dir():
        raise InvalidInput(
            f"PGx data directory not found: {root}", [Problem(str(root), "not a directory", field="GENOMDB_PGX_DATA")]
        )
    manifest_path = root / "manifest.json"
    raw_manifest = _read_json(manifest_path)
    try:
        manifest = DataManifest.model_validate(raw_manifest)
    except ValidationError as exc:
        raise InvalidInput(
            f"unknown or malformed PGx data manifest {manifest_path}",
            _problem(manifest_path, exc, f"genomdb PGx manifest schema_version {MANIFEST_SCHEMA_VERSION}"),
        ) from exc
    alleles_dir = root / "definition" / "alleles"
    definitions: dict[str, GeneDefinition] = {}
    for path in sorted(alleles_dir.glob("*_translation.json")):
        definition = load_gene_definition(path)
        definitions[definition.gene] = definition
    missing = [gene for gene in VCF_GENES if gene not in definitions]
    if missing:
        raise InvalidInput(
            f"PGx data directory {root} lacks allele definitions",
            [Problem(str(alleles_dir), "definition missing", field=gene) for gene in missing],
        )
    exemptions = load_exemptions(alleles_dir / "exemptions.json")
    phenotypes: dict[str, GenePhenotype] = {}
    for path in sorted((root / "phenotype").glob("*.json")):
        phenotype = load_gene_phenotype(path)
        phenotypes[phenotype.gene] = phenotype
    cyp2d6 = load_cyp2d6_activity(root / "phenotype" / "CYP2D6_activity.tsv")
    return PgxData(
        root=root,
        manifest=manifest,
        definitions=definitions,
        exemptions=exemptions,
        phenotypes=phenotypes,
        cyp2d6_activity=cyp2d6,
        recommendations_dir=root / "recommendations",
    )
