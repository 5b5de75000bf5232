"""Synthetic CPR-like numbers for tests, built from parts so no literal identifier sits in the code."""

from __future__ import annotations


def fake_cpr(day: int, month: int, year2: int, serial: int, *, dash: bool = False) -> str:
    """A CPR-shaped string; ``serial`` is the four-digit sequence (first digit → century, last → sex)."""
    head = f"{day:02d}{month:02d}{year2:02d}"
    return f"{head}-{serial:04d}" if dash else f"{head}{serial:04d}"
