"""The regions and departments a new instance starts with: the Danish default, kept as data.

Regions merge and rename, and departments move; these rows are inserted once by ``genomdb init`` and are
edited afterwards like any other catalog data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegionSeed:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DepartmentSeed:
    code: str
    name: str
    region_code: str


DANISH_REGIONS: tuple[RegionSeed, ...] = (
    RegionSeed("RH", "Region Hovedstaden"),
    RegionSeed("RSJ", "Region Sjælland"),
    RegionSeed("RSD", "Region Syddanmark"),
    RegionSeed("RM", "Region Midtjylland"),
    RegionSeed("RN", "Region Nordjylland"),
)

DANISH_DEPARTMENTS: tuple[DepartmentSeed, ...] = (
    DepartmentSeed("RH-KG", "Klinisk Genetisk Klinik, Rigshospitalet", "RH"),
    DepartmentSeed("RH-GM", "Genomisk Medicin, Rigshospitalet", "RH"),
    DepartmentSeed("RSJ-KG", "Klinisk Genetisk Afdeling, Sjællands Universitetshospital", "RSJ"),
    DepartmentSeed("RSD-KG-OUH", "Klinisk Genetisk Afdeling, Odense Universitetshospital", "RSD"),
    DepartmentSeed("RSD-KG-VEJ", "Klinisk Genetisk Afdeling, Sygehus Lillebælt Vejle", "RSD"),
    DepartmentSeed("RM-KG", "Klinisk Genetisk Afdeling, Aarhus Universitetshospital", "RM"),
    DepartmentSeed("RN-KG", "Klinisk Genetisk Afdeling, Aalborg Universitetshospital", "RN"),
)
