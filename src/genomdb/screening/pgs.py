"""PGS Catalog scoring files (format 2.0, harmonised to GRCh38), read with the PGS Catalog's own ``pgscatalog.core``.

The library parses the header (``#genome_build``, ``#HmPOS_build``) and validates every row against its
``ScoreVariant`` model. Here the file is checked before that, so that a wrong file is refused with the file, line
and column named: the harmonised build must be GRCh38, and the columns ``hm_chr``, ``hm_pos``,
``effect_allele``, ``other_allele`` and ``effect_weight`` must be present. Rows whose harmonisation failed
(empty ``hm_chr``/``hm_pos``) are kept, with no position: the match log counts them as missing.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

from genomdb.errors import InvalidInput, Problem

REQUIRED_COLUMNS = ("hm_chr", "hm_pos", "effect_allele", "other_allele", "effect_weight")
TARGET_BUILD = "GRCh38"
_BUILD_NAMES = {"GRCh38": "GRCh38", "hg38": "GRCh38", "GRCh37": "GRCh37", "hg19": "GRCh37", "NCBI36": "NCBI36"}


@dataclass(frozen=True, slots=True)
class ScoringVariant:
    line: int
    """1-based line of the file."""
    chrom: str | None
    """GRCh38 contig name (``chr19``); None when the variant could not be harmonised."""
    pos: int | None
    """1-based."""
    effect_allele: str
    other_allele: str | None
    effect_weight: float


@dataclass(frozen=True, slots=True)
class ScoringFile:
    path: Path
    pgs_id: str | None
    pgs_name: str | None
    trait: str | None
    build: str
    variants: tuple[ScoringVariant, ...]


def _open_text(path: Path) -> list[str]:
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    if gzipped:
        with gzip.open(path, "rt", encoding="utf-8") as text:
            return text.read().splitlines()
    return path.read_text(encoding="utf-8").splitlines()


def _header(path: Path, lines: list[str]) -> tuple[dict[str, tuple[int, str]], int]:
    """``#key=value`` header fields with their line numbers, and the 1-based line of the column header."""
    fields: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            return fields, number
        key, sep, value = line.lstrip("#").partition("=")
        if sep:
            fields[key.strip()] = (number, value.strip())
    raise InvalidInput(
        "not a scoring file", [Problem(path.name, "no column header line after the # header", expected="a TSV header")]
    )


def _contig(chrom: str) -> str:
    return chrom if chrom.startswith("chr") else f"chr{chrom}"


def read_scoring_file(path: Path) -> ScoringFile:
    """Read and check a harmonised PGS Catalog scoring file (plain or gzipped)."""
    if not path.is_file():
        raise InvalidInput("no scoring file", [Problem(str(path), "file not found", expected="a scoring file")])
    lines = _open_text(path)
    fields, column_line = _header(path, lines)
    build_key = "HmPOS_build" if "HmPOS_build" in fields else "genome_build"
    build_line, build_value = fields.get(build_key, (1, ""))
    build = _BUILD_NAMES.get(build_value, build_value)
    if build_key != "HmPOS_build" or build != TARGET_BUILD:
        raise InvalidInput(
            "scoring file of another build",
            [
                Problem(
                    path.name,
                    "the scores' positions must be harmonised to GRCh38 (the variant store's build)",
                    location=f"line {build_line}",
                    field=f"#{build_key}",
                    expected="#HmPOS_build=GRCh38 (the PGS Catalog's harmonised GRCh38 file)",
                    found=build_value or "absent",
                )
            ],
        )
    columns = lines[column_line - 1].split("\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            "scoring file without a required column",
            [
                Problem(
                    path.name,
                    "required column missing",
                    location=f"line {column_line}",
                    field=column,
                    expected="columns " + ", ".join(REQUIRED_COLUMNS),
                    found=", ".join(columns),
                )
                for column in missing
            ],
        )
    return ScoringFile(
        path=path,
        pgs_id=fields.get("pgs_id", (0, None))[1],
        pgs_name=fields.get("pgs_name", (0, None))[1],
        trait=fields.get("trait_reported", (0, None))[1],
        build=build,
        variants=_variants(path, column_line),
    )


def _variants(path: Path, column_line: int) -> tuple[ScoringVariant, ...]:
    from pgscatalog.core import ScoringFile as CatalogScoringFile
    from pydantic import ValidationError

    logging.getLogger("pgscatalog.core").setLevel(logging.ERROR)
    try:
        parsed = CatalogScoringFile(path)
    except ValidationError as exc:
        raise InvalidInput(
            "bad scoring file header",
            [
                Problem(
                    path.name,
                    error["msg"],
                    location=f"header (lines 1-{column_line - 1})",
                    field="#" + ".".join(str(part) for part in error["loc"]),
                )
                for error in exc.errors(include_input=False)
            ],
        ) from None
    variants: list[ScoringVariant] = []
    rows = iter(parsed.variants)
    while True:
        line = column_line + 1 + len(variants)
        try:
            row = next(rows)
        except StopIteration:
            break
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            raise InvalidInput(
                "bad scoring file row",
                [
                    Problem(
                        path.name,
                        str(first["msg"]).split(" for variant ")[0],
                        location=f"line {line}",
                        field=".".join(str(part) for part in first["loc"]) or None,
                    )
                ],
            ) from None
        try:
            weight = float(row.effect_weight) if row.effect_weight is not None else None
        except ValueError:
            weight = None
        if weight is None:
            raise InvalidInput(
                "bad scoring file row",
                [Problem(path.name, "no numeric weight", location=f"line {line}", field="effect_weight")],
            )
        other = row.other_allele.allele if row.other_allele is not None else None
        harmonised = row.hm_chr not in (None, "") and row.hm_pos is not None
        variants.append(
            ScoringVariant(
                line=line,
                chrom=_contig(str(row.hm_chr)) if harmonised else None,
                pos=int(row.hm_pos) if harmonised and row.hm_pos is not None else None,
                effect_allele=row.effect_allele.allele.upper(),
                other_allele=other.upper() if other else None,
                effect_weight=weight,
            )
        )
    return tuple(variants)
