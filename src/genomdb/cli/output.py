"""Shared output helpers of the CLI: consoles, JSON, progress bars, error reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.segment import Segment

from genomdb.errors import GenomdbError, InvalidInput
from genomdb.privacy import escape_controls, redact


class SafeConsole(Console):
    """A console that never lets data write raw control characters to the terminal.

    Text from the data (titles, free text, names) is rendered with ESC, NUL, the other control characters and
    the bidi overrides escaped as ``\\uXXXX``; Rich's own styling and cursor control are untouched (styles are
    rendered from the segments' style, cursor moves are control segments).
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(escape_controls(segment.text), segment.style) for segment in buffer
        )


console = SafeConsole()
err_console = SafeConsole(stderr=True)


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    """JSON on stdout; control characters and bidi overrides in strings are written as JSON escapes."""
    sys.stdout.write(escape_controls(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False)) + "\n")


def report_error(exc: GenomdbError) -> None:
    """Print an error the user can act on: the message and, for invalid input, every problem."""
    err_console.print(f"[bold red]error:[/] {escape(redact(exc.message))}", highlight=False, markup=True)
    if isinstance(exc, InvalidInput):
        for problem in exc.problems:
            text = escape(redact(str(problem)))
            err_console.print(f"  [red]•[/] {text}", highlight=False, markup=True, soft_wrap=True)


class RichProgress:
    """A ProgressSink drawing a byte-counting bar on stderr (quiet when stderr is not a terminal)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}", style="dim"),
            console=err_console,
            transient=True,
        )
        self._task: Any = None

    def begin(self, description: str, total: int) -> None:
        if not err_console.is_terminal:
            return
        self._progress.start()
        self._task = self._progress.add_task(description, total=total or None, note="")

    def advance(self, amount: int = 1, *, note: str | None = None) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=amount, note=(note or "")[-50:])

    def end(self) -> None:
        if self._task is not None:
            self._progress.stop()
        self._task = None
