"""The CPR detector: every written form of a CPR number is found, ordinary genomic numbers are not."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genomdb.errors import InvalidInput
from genomdb.privacy import (
    CPR_MASK,
    RedactingFilter,
    check_arguments,
    contains_cpr,
    control_characters,
    escape_controls,
    redact,
)
from tests.identities import fake_cpr

FORMS = ("plain", "dash", "space", "dots", "dotted-dash", "spaced")
NOT_DIGIT = st.text(alphabet=st.characters(exclude_categories=("Nd",), exclude_characters="\x00"), max_size=12)


def written(day: int, month: int, year2: int, serial: int, form: str) -> str:
    dd, mm, yy, ssss = f"{day:02d}", f"{month:02d}", f"{year2:02d}", f"{serial:04d}"
    return {
        "plain": f"{dd}{mm}{yy}{ssss}",
        "dash": f"{dd}{mm}{yy}-{ssss}",
        "space": f"{dd}{mm}{yy} {ssss}",
        "dots": f"{dd}.{mm}.{yy}.{ssss}",
        "dotted-dash": f"{dd}.{mm}.{yy}-{ssss}",
        "spaced": f"{dd} {mm} {yy} {ssss}",
    }[form]


@st.composite
def cpr_texts(draw: st.DrawFn) -> tuple[str, str]:
    """(a CPR number in some written form inside some text, its ten digits)."""
    birth = draw(st.dates(min_value=dt.date(1858, 1, 1), max_value=dt.date(2057, 12, 31)))
    serial = draw(st.integers(0, 9999))
    number = written(birth.day, birth.month, birth.year % 100, serial, draw(st.sampled_from(FORMS)))
    prefix, suffix = draw(NOT_DIGIT), draw(NOT_DIGIT)
    return prefix + number + suffix, fake_cpr(birth.day, birth.month, birth.year % 100, serial)


@settings(max_examples=300, deadline=None)
@given(cpr_texts())
def test_every_written_form_is_found_and_redacted(case: tuple[str, str]) -> None:
    text, digits = case
    assert contains_cpr(text)
    cleaned = redact(text)
    assert CPR_MASK in cleaned
    assert digits not in "".join(ch for ch in cleaned if ch.isdigit())


@settings(max_examples=200, deadline=None)
@given(
    chrom=st.sampled_from([f"chr{c}" for c in [*range(1, 23), "X", "Y", "M"]]),
    pos=st.integers(1, 248_956_422),
    end=st.integers(1, 248_956_422),
    ref=st.text("ACGT", min_size=1, max_size=5),
    seed=st.binary(min_size=1, max_size=16),
    stamp=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1)),
)
def test_genomic_text_is_not_mistaken_for_cpr(
    chrom: str, pos: int, end: int, ref: str, seed: bytes, stamp: dt.datetime
) -> None:
    for text in (
        f"{chrom}:{pos}",
        f"{chrom}:{min(pos, end)}-{max(pos, end)}",
        f"{chrom}-{pos}-{ref}-T",
        f"{chrom}\t{pos}\t.\t{ref}\tT\t50\tPASS\tAC=3;AN=1818;AF=0.00165",
        hashlib.sha256(seed).hexdigest(),
        hashlib.md5(seed).hexdigest(),
        str(uuid.UUID(bytes=hashlib.md5(seed).digest())),
        stamp.isoformat(),
        stamp.strftime("%Y%m%dT%H%M%S"),
        str(int(stamp.timestamp() * 1000)),
    ):
        assert not contains_cpr(text), text


@pytest.mark.parametrize(
    "text",
    ["chr19:11089362", "12345678901", "0101701234567", "320170-1234", "011370-1234", "300201-1234", "AN=1818"],
)
def test_not_cpr(text: str) -> None:
    assert not contains_cpr(text)


def test_leap_day_counts_when_some_century_has_one() -> None:
    assert contains_cpr(fake_cpr(29, 2, 0, 1234, dash=True))  # 2000 and 1900: 2000 is a leap year
    assert not contains_cpr(fake_cpr(29, 2, 1, 1234, dash=True))


def test_control_characters_and_escaping() -> None:
    text = "a\x1b[2Jb\u202ec\x00d\te\nf"
    assert control_characters(text) == ["U+001B", "U+202E", "U+0000"]
    assert control_characters("x\ty", allow_newlines=False) == ["U+0009"]
    assert escape_controls(text) == "a\\u001b[2Jb\\u202ec\\u0000d\te\nf"


def test_escaping_covers_exactly_the_control_category_and_bidi_overrides() -> None:
    """Escaped iff Unicode calls it a control (Cc) other than tab and newline, or a bidi override (the escaping is
    one regular-expression pass; this pins it to the Unicode definition). Every control and override is below
    U+3000."""
    import unicodedata

    for code in range(0x3000):
        char = chr(code)
        expected = (unicodedata.category(char) == "Cc" and char not in "\t\n") or control_characters(char) != []
        assert (escape_controls(f"x\n{char}") != f"x\n{char}") == expected, hex(code)


def test_log_filter_redacts_message_arguments_and_traceback() -> None:
    cpr = fake_cpr(7, 7, 77, 7777, dash=True)
    try:
        raise ValueError(f"bad {cpr}")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "id %s on %s", (cpr, 3), (ValueError, exc, None))
    RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert cpr not in formatted and formatted.count(CPR_MASK) == 2


def test_arguments_are_named_never_echoed() -> None:
    cpr = fake_cpr(1, 2, 3, 4567)
    with pytest.raises(InvalidInput) as caught:
        check_arguments(["out", "request", "--sample", cpr, f"--reason=for {cpr}", "ok"])
    fields = [p.field for p in caught.value.problems]
    assert fields == ["--sample", "--reason"]
    assert cpr not in str(caught.value)


def test_control_characters_in_arguments_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_arguments(["catalog", "show", "SUB-1\x1b[2J", "--as", "ok"])
    [problem] = caught.value.problems
    assert "U+001B" in problem.message and "\x1b" not in str(caught.value)
