"""How long-running core work reports progress without knowing who is watching (CLI bar, API job, nothing)."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def begin(self, description: str, total: int) -> None: ...

    def advance(self, amount: int = 1, *, note: str | None = None) -> None: ...

    def end(self) -> None: ...


class SilentProgress:
    """The default sink: reports nothing."""

    def begin(self, description: str, total: int) -> None:
        return None

    def advance(self, amount: int = 1, *, note: str | None = None) -> None:
        return None

    def end(self) -> None:
        return None
