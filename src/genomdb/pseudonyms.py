"""Personal identifiers at the edge: CPR numbers are checked and turned into keyed pseudonyms.

A CPR number (DDMMYY-SSSS) never leaves this module: callers get a :class:`PersonIdentity` with the pseudonym,
the birth year and the declared sex, which is all the catalog keeps. Error messages name the field, never the
value.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from genomdb.errors import InvalidInput, Problem

_CPR = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$")
PSEUDONYM_PREFIX = "GDB-"
_PSEUDONYM = re.compile(r"^GDB-[A-Z2-7]{16}$")


class DeclaredSex(StrEnum):
    FEMALE = "female"
    MALE = "male"


@dataclass(frozen=True, slots=True)
class PersonIdentity:
    pseudonym: str
    birth_year: int
    declared_sex: DeclaredSex


def _century_year(two_digit_year: int, seventh_digit: int) -> int:
    """The full birth year from the year digits and the first serial digit (the CPR office's table)."""
    if seventh_digit <= 3:
        return 1900 + two_digit_year
    if seventh_digit in (4, 9):
        return (2000 if two_digit_year <= 36 else 1900) + two_digit_year
    return (2000 if two_digit_year <= 57 else 1800) + two_digit_year


def parse_cpr(cpr: str) -> tuple[dt.date, DeclaredSex]:
    """Birth date and declared sex of a CPR number; raises ``ValueError`` without echoing the number."""
    match = _CPR.match(cpr.strip())
    if match is None:
        raise ValueError("not 10 digits in the form DDMMYYSSSS or DDMMYY-SSSS")
    day, month, year2, seventh, rest = (int(g) for g in match.groups())
    year = _century_year(year2, seventh)
    try:
        birth_date = dt.date(year, month, day)
    except ValueError:
        raise ValueError("the first six digits are not a real date (DDMMYY)") from None
    last_digit = rest % 10
    return birth_date, DeclaredSex.MALE if last_digit % 2 else DeclaredSex.FEMALE


def is_pseudonym(text: str) -> bool:
    return bool(_PSEUDONYM.match(text))


class Pseudonymizer:
    """Turns CPR numbers into pseudonyms with HMAC-SHA256 under a secret key kept outside the catalog."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the pseudonymisation key must be at least 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymizer(<key hidden>)"

    def pseudonym(self, cpr: str, *, namespace: str = "clinical") -> str:
        """The pseudonym of a valid CPR number in a namespace (``clinical``, or a research project id)."""
        digits = cpr.strip().replace("-", "")
        mac = hmac.new(self._key, f"{namespace}\x00{digits}".encode(), hashlib.sha256).digest()
        return PSEUDONYM_PREFIX + base64.b32encode(mac[:10]).decode("ascii")

    def identify(self, cpr: str, *, file: str, location: str, field: str = "cpr") -> PersonIdentity:
        """Check a CPR number and return what the catalog may keep of it."""
        try:
            birth_date, sex = parse_cpr(cpr)
        except ValueError as exc:
            raise InvalidInput(
                f"{file}: invalid CPR number",
                [
                    Problem(
                        file,
                        f"invalid CPR number: {exc}",
                        location=location,
                        field=field,
                        expected="10 digits DDMMYYSSSS with a real date",
                    )
                ],
            ) from None
        return PersonIdentity(self.pseudonym(cpr), birth_date.year, sex)
