"""Shared output helpers of the CLI: consoles, JSON, progress bars, error reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from collections.abc import Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
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


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Exact types (not subclasses such as enums) that JSON takes as they are."""


def to_jsonable(value: Any) -> Any:
    if type(value) in _JSON_SCALARS:  # most values: answered before the checks below
        return value
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
    """A ProgressSink: a bar on a terminal, else one line per step on stderr (at most every ``log_every`` seconds).

    ``unit`` is ``"bytes"`` (files read) or ``"steps"``.
    """

    def __init__(self, unit: str = "bytes", *, log_every: float = 5.0, stream: Any = None) -> None:
        self._unit = unit
        self._log_every = log_every
        self._stream = stream
        self._terminal = stream is None and err_console.is_terminal
        amount = [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            *amount,
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}", style="dim"),
            console=err_console,
            transient=True,
        )
        self._task: Any = None
        self._description = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._logged = 0.0

    def _amount(self, value: int) -> str:
        return f"{value / 1e6:,.1f} MB" if self._unit == "bytes" else f"{value:,}"

    def _log(self, text: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(redact(escape_controls(text)) + "\n")
        stream.flush()

    def begin(self, description: str, total: int) -> None:
        self._description, self._total, self._done = description, total, 0
        self._started = self._logged = time.monotonic()
        if self._terminal:
            self._progress.start()
            self._task = self._progress.add_task(description, total=total or None, note="")
        else:
            self._log(f"{description}: started ({self._amount(total)} to do)")

    def advance(self, amount: int = 1, *, note: str | None = None) -> None:
        self._done += amount
        if self._task is not None:
            self._progress.update(self._task, advance=amount, note=(note or "")[-50:])
            return
        now = time.monotonic()
        if not self._terminal and self._description and now - self._logged >= self._log_every:
            self._logged = now
            share = f" ({100 * self._done / self._total:.0f}%)" if self._total else ""
            self._log(
                f"{self._description}: {self._amount(self._done)} of {self._amount(self._total)}{share}"
                + (f", {note}" if note else "")
            )

    def end(self) -> None:
        if self._task is not None:
            self._progress.stop()
        elif not self._terminal and self._description:
            self._log(f"{self._description}: done in {time.monotonic() - self._started:.1f} s")
        self._task = None
        self._description = ""


@dataclasses.dataclass(frozen=True)
class Column:
    """A listing column. Identifiers are never cut; other columns wrap, and the least important are dropped."""

    header: str
    identifier: bool = False
    drop_order: int = 0
    """0: always kept; otherwise dropped (highest first) when the table does not fit the terminal."""
    justify: str = "left"


TsvFlag = Annotated[bool, typer.Option("--tsv", help="print tab-separated values, every column")]


def _tsv_cell(value: str) -> str:
    return escape_controls(value.replace("\t", " ").replace("\n", " "))


TSV_CHUNK_ROWS = 65536
"""Rows joined and escaped at once (memory stays a chunk's text, not the whole listing's)."""


def write_tsv(columns: list[Column], rows: Sequence[Sequence[str]]) -> None:
    """Tab-separated values with a header line on stdout: every column, nothing dropped or cut."""
    sys.stdout.write("\t".join(c.header for c in columns) + "\n")
    for start in range(0, len(rows), TSV_CHUNK_ROWS):
        chunk = rows[start : start + TSV_CHUNK_ROWS]
        body = "\n".join(map("\t".join, chunk))
        if body.count("\t") == sum(map(len, chunk)) - len(chunk) and body.count("\n") == len(chunk) - 1:
            # no cell holds a tab or a newline, and escaping is per character: one pass over the chunk
            sys.stdout.write(escape_controls(body) + "\n")
            continue
        for row in chunk:
            sys.stdout.write("\t".join(_tsv_cell(cell) for cell in row) + "\n")


GUTTER = 2
MIN_FOLDED = 4
"""Spaces between listing columns (listings have no borders: the width goes to the data)."""


def listing_table(
    columns: list[Column], rows: Sequence[Sequence[str]], *, width: int, title: str | None = None
) -> tuple[Any, list[str]]:
    """A Rich table that fits ``width`` without cutting an identifier, and the headers of columns it dropped.

    Identifier columns never wrap and are as wide as their longest value; the others wrap between words only, never
    inside one. When that does not fit, columns are dropped in their ``drop_order`` (highest first).
    """
    from rich.table import Table

    def narrowest(index: int) -> int:
        cells = [columns[index].header, *(row[index] for row in rows)]
        if columns[index].identifier:
            return max(len(cell) for cell in cells)
        return max(len(word) for cell in cells for word in (cell.split() or [""]))

    kept = list(range(len(columns)))
    dropped: list[str] = []
    while True:
        needed = sum(narrowest(i) for i in kept) + GUTTER * (len(kept) - 1)
        droppable = [i for i in kept if columns[i].drop_order > 0]
        if needed <= width or not droppable:
            break
        victim = max(droppable, key=lambda i: (columns[i].drop_order, i))
        kept.remove(victim)
        dropped.append(columns[victim].header)
    widths = {i: max(len(c) for c in [columns[i].header, *(row[i] for row in rows)]) for i in kept}
    while sum(widths.values()) + GUTTER * (len(kept) - 1) > width:
        shrinkable = [i for i in kept if not columns[i].identifier and widths[i] > narrowest(i)]
        if not shrinkable:  # last resort: fold words of the other columns, never an identifier
            shrinkable = [i for i in kept if not columns[i].identifier and widths[i] > MIN_FOLDED]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    table = Table(title=title, header_style="bold", box=None, padding=(0, GUTTER, 0, 0), pad_edge=False)
    for index in kept:
        column = columns[index]
        table.add_column(
            column.header,
            no_wrap=column.identifier,
            overflow="fold",
            width=widths[index],
            justify=column.justify,  # type: ignore[arg-type]
        )
    for row in rows:
        table.add_row(*(escape(row[index]) for index in kept))
    return table, dropped


def print_listing(
    columns: list[Column], rows: Sequence[Sequence[str]], *, as_tsv: bool = False, title: str | None = None
) -> None:
    """A listing on stdout: TSV when asked, else a table fitted to the terminal (80 columns when piped)."""
    if as_tsv:
        write_tsv(columns, rows)
        return
    table, dropped = listing_table(columns, rows, width=console.width, title=title)
    console.print(table)
    if dropped:
        console.print(
            f"[dim]not shown at {console.width} columns: {', '.join(dropped)} (wider terminal, --tsv or --json)[/]",
            highlight=False,
        )
