from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genomdb.errors import InvalidInput
from genomdb.pseudonyms import DeclaredSex, Pseudonymizer, is_pseudonym, parse_cpr
from tests.identities import fake_cpr


@pytest.mark.parametrize(
    ("year2", "serial", "year"),
    [
        (80, 1231, 1980),  # 7th digit 0-3: 1900s
        (10, 4001, 2010),  # 4 with year <= 36: 2000s
        (50, 4001, 1950),  # 4 with year > 36: 1900s
        (20, 5001, 2020),  # 5-8 with year <= 57: 2000s
        (70, 8001, 1870),  # 5-8 with year > 57: 1800s
        (30, 9001, 2030),
        (90, 9001, 1990),
    ],
)
def test_century_from_seventh_digit(year2: int, serial: int, year: int) -> None:
    birth, _ = parse_cpr(fake_cpr(15, 6, year2, serial))
    assert birth.year == year


def test_sex_from_last_digit() -> None:
    assert parse_cpr(fake_cpr(1, 1, 80, 1233))[1] is DeclaredSex.MALE
    assert parse_cpr(fake_cpr(1, 1, 80, 1234))[1] is DeclaredSex.FEMALE


def test_dash_form_accepted() -> None:
    assert parse_cpr(fake_cpr(1, 1, 80, 1234, dash=True)) == parse_cpr(fake_cpr(1, 1, 80, 1234))


@pytest.mark.parametrize("bad", ["12345", "abcdefghij", fake_cpr(31, 2, 80, 1234), fake_cpr(1, 13, 80, 1234)])
def test_invalid_cpr_never_echoed(bad: str) -> None:
    pseudonymizer = Pseudonymizer(secrets.token_bytes(32))
    with pytest.raises(InvalidInput) as info:
        pseudonymizer.identify(bad, file="m.yaml", location="individuals[0]")
    text = str(info.value) + repr(info.value.problems)
    assert bad not in text
    assert "cpr" in text


def test_pseudonyms_are_keyed_and_stable() -> None:
    key_a, key_b = secrets.token_bytes(32), secrets.token_bytes(32)
    cpr = fake_cpr(3, 4, 85, 2345)
    a1, a2 = Pseudonymizer(key_a).pseudonym(cpr), Pseudonymizer(key_a).pseudonym(cpr.replace("-", ""))
    assert a1 == a2 and is_pseudonym(a1)
    assert Pseudonymizer(key_b).pseudonym(cpr) != a1
    assert Pseudonymizer(key_a).pseudonym(cpr, namespace="project-7") != a1
    assert cpr not in repr(Pseudonymizer(key_a))


@given(st.dates(), st.integers(0, 9999))
def test_every_real_date_parses_back(date: object, serial: int) -> None:
    import datetime as dt

    assert isinstance(date, dt.date)
    text = fake_cpr(date.day, date.month, date.year % 100, serial)
    try:
        birth, _ = parse_cpr(text)
    except ValueError:
        # 29 February of a year the century rule maps to a non-leap year is rightly invalid
        assert date.month == 2 and date.day == 29
        return
    assert (birth.day, birth.month, birth.year % 100) == (date.day, date.month, date.year % 100)
