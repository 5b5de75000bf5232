"""Strata of a frequency release and the sample labels they are built from.

A sample version carries three labels: the sex used for ploidy (``XX``, ``XY`` or unknown), the region of its
department and its sequencing platform. The labels of one sample form its *cell*; per-batch partial aggregates are
kept per cell, and every stratum is a sum of cells: ``all`` (every cell), ``XX``/``XY``, ``region:<code>`` and
``platform:<name>``. Stratum names and the column-safe slugs used in release files are defined here only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from genomdb.errors import InvalidInput, Problem
from genomdb.refdata.builds import GRCH38_PAR_1BASED

TOTAL = "all"
SEXES = ("XX", "XY")
REGION_PREFIX = "region:"
PLATFORM_PREFIX = "platform:"

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


@lru_cache(maxsize=1024)
def _usable_label(value: str) -> bool:
    """A label can name a stratum column (cohorts repeat a handful of labels, so the answer is cached)."""
    return _LABEL.match(value) is not None


@dataclass(frozen=True, slots=True, order=True)
class SampleLabels:
    """The cell of a sample version: sex used for ploidy, region code and sequencing platform (None: unknown)."""

    sex: str | None
    region: str | None
    platform: str | None

    def __post_init__(self) -> None:
        if self.sex is not None and self.sex not in SEXES:
            raise InvalidInput(
                "unknown sex label",
                [Problem("cohort", "unknown sex", field="sex", expected="XX or XY", found=self.sex)],
            )
        for name, value in (("region", self.region), ("platform", self.platform)):
            if value is not None and not _usable_label(value):
                raise InvalidInput(
                    f"unusable {name} label",
                    [Problem("cohort", f"unusable {name}", field=name, expected="letters, digits, _ . -", found=value)],
                )

    @property
    def strata(self) -> tuple[str, ...]:
        """The strata this cell counts towards, ``all`` first."""
        names = [TOTAL]
        if self.sex is not None:
            names.append(self.sex)
        if self.region is not None:
            names.append(REGION_PREFIX + self.region)
        if self.platform is not None:
            names.append(PLATFORM_PREFIX + self.platform)
        return tuple(names)


def ordered_strata(strata: Iterable[str]) -> tuple[str, ...]:
    """Strata in release order: ``all``, the sexes, regions, then platforms (each group sorted)."""
    unique = set(strata) | {TOTAL}

    def rank(name: str) -> tuple[int, str]:
        if name == TOTAL:
            return (0, name)
        if name in SEXES:
            return (1, name)
        if name.startswith(REGION_PREFIX):
            return (2, name)
        return (3, name)

    return tuple(sorted(unique, key=rank))


def strata_of_cells(cells: Iterable[SampleLabels]) -> tuple[str, ...]:
    """Every stratum that at least one of the cells counts towards, in release order."""
    return ordered_strata(name for cell in cells for name in cell.strata)


def stratum_slug(stratum: str) -> str:
    """The column-safe form of a stratum name: ``region:RH`` → ``region_RH``."""
    return stratum.replace(":", "_").replace("-", "_").replace(".", "_")


def hemizygous_sql(chrom: str, pos: str) -> str:
    """A SQL predicate true where an XY individual is haploid: chrX outside the PARs, and chrY outside them."""
    par = " OR ".join(
        f"({chrom} = '{name}' AND {pos} BETWEEN {start} AND {end})" for name, start, end in GRCH38_PAR_1BASED
    )
    return f"({chrom} IN ('chrX', 'chrY') AND NOT ({par}))"


def is_hemizygous(chrom: str, pos_1based: int) -> bool:
    """Whether an XY individual is haploid at this GRCh38 position (the Python twin of :func:`hemizygous_sql`)."""
    if chrom not in ("chrX", "chrY"):
        return False
    return not any(name == chrom and start <= pos_1based <= end for name, start, end in GRCH38_PAR_1BASED)
