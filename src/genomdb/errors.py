"""One exception tree for the whole package.

Grouped by what the caller can do about it. The CLI maps these to exit codes and the API to HTTP status
codes, each in one place. Messages never contain personal identifiers: callers build them from field names
and submitter-chosen ids, never from a CPR number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, precise enough for the submitter to fix it.

    ``file`` is the manifest or data file, ``location`` a line, record or manifest path (``line 12``,
    ``record 3041``, ``samples[2]``), ``field`` the field or column, ``expected`` and ``found`` what should be
    there and what is.
    """

    file: str
    message: str
    location: str | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.location:
            where += f", {self.location}"
        if self.field:
            where += f", field {self.field}"
        text = f"{where}: {self.message}"
        if self.expected is not None:
            text += f" (expected {self.expected}"
            text += f", found {self.found})" if self.found is not None else ")"
        elif self.found is not None:
            text += f" (found {self.found})"
        return text

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


class GenomdbError(Exception):
    """Base of every error genomdb raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(GenomdbError):
    """The input is wrong; nothing was changed. ``problems`` lists every problem found."""

    exit_code = 2

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems: Sequence[Problem] = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        return "\n".join(lines)


class NotFound(GenomdbError):
    """The named thing does not exist (or the caller may not know that it does)."""

    exit_code = 3


class Conflict(GenomdbError):
    """The request contradicts the current state (already exists, superseded, wrong version)."""

    exit_code = 4


class Forbidden(GenomdbError):
    """The caller may not do this; the decision has been audited."""

    exit_code = 5


class IntegrityError(GenomdbError):
    """Stored data does not match what was recorded (checksum, hash chain, missing blob)."""

    exit_code = 6


class Unavailable(GenomdbError):
    """A backend cannot be reached or a resource is not available yet (for example a cold-tier file)."""

    exit_code = 7
