"""The CPR guard: find CPR-like numbers in any text, redact them, and refuse input that carries them.

One detector serves every edge (manifests, CLI arguments, HTTP requests, imported cells, file headers) and every
last line of defence (error printers, problem documents, stored rejection reports, log handlers).

What counts as CPR-like — deliberately generous on dates, strict on digit boundaries:

* ``DDMMYY`` followed by four serial digits, written ``DDMMYYSSSS``, ``DDMMYY-SSSS``, ``DDMMYY SSSS`` or with
  the date parts separated by one same character (``DD.MM.YY-SSSS``, ``DD MM YY SSSS``, ``DD-MM-YY-SSSS``);
* ``DDMMYY`` is a real calendar date in some century (so 29 Feb counts when any of 1800+YY, 1900+YY, 2000+YY is
  a leap year); any four serial digits are accepted (no modulus-11 check: numbers issued since 2007 fail it);
* the ten digits are not part of a longer digit run (``chr19:11089362``, a 12-digit count, a 13-digit epoch in
  milliseconds are not CPR numbers); letters around them do not protect them (``patient`` + a CPR number is
  caught);
* a run inside a hexadecimal digest (32 or more hex characters: md5, sha1, sha256) or a UUID is not a CPR number.

Control characters are the guard's second concern: ESC, NUL and the other C0/C1 controls and the Unicode bidi
overrides (U+202A–U+202E, U+2066–U+2069, …) are refused in free text and escaped on the way to a terminal.
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

CPR_MASK = "••••••-••••"

_CANDIDATE = re.compile(
    r"(?<![0-9])(?P<day>[0-3][0-9])(?P<sep>[ ./\-]?)(?P<month>[01][0-9])(?P=sep)(?P<year>[0-9]{2})"
    r"[ .\-]?(?P<serial>[0-9]{4})(?![0-9])"
)
_TOKEN_CHARS = frozenset("0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_-")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{32,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_WHITESPACE = frozenset("\t\n\r")
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(_BIDI_CONTROLS)) + "]")
"""What :func:`escape_controls` escapes: the Cc category (C0, DEL, C1) but tab and newline, and bidi overrides."""
_PLAIN_ASCII = b"\t\n" + bytes(range(0x20, 0x7F))
"""The ASCII characters :data:`_ESCAPED` leaves alone."""


def _is_real_date(day: int, month: int, year2: int) -> bool:
    if not (1 <= month <= 12 and day >= 1):
        return False
    return any(day <= calendar.monthrange(century + year2, month)[1] for century in (1800, 1900, 2000))


def _inside_digest_or_uuid(text: str, start: int, end: int) -> bool:
    left, right = start, end
    while left > 0 and text[left - 1] in _TOKEN_CHARS:
        left -= 1
    while right < len(text) and text[right] in _TOKEN_CHARS:
        right += 1
    token = text[left:right]
    if _UUID.search(token):
        for uuid in _UUID.finditer(token):
            if uuid.start() <= start - left and end - left <= uuid.end():
                return True
    return any(digest.start() <= start - left and end - left <= digest.end() for digest in _HEX_DIGEST.finditer(token))


def cpr_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of every CPR-like number in ``text`` (see the module docstring for the rules)."""
    spans: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(text):
        if not _is_real_date(int(match["day"]), int(match["month"]), int(match["year"])):
            continue
        if _inside_digest_or_uuid(text, match.start(), match.end()):
            continue
        spans.append((match.start(), match.end()))
    return spans


def contains_cpr(text: str) -> bool:
    """Whether ``text`` holds a CPR-like number anywhere."""
    return bool(cpr_spans(text))


def contains_cpr_bytes(data: bytes) -> bool:
    """Whether raw bytes (a file header, a request body) hold a CPR-like number."""
    return contains_cpr(data.decode("latin-1"))


def redact(text: str) -> str:
    """``text`` with every CPR-like number replaced by ``'••••••-••••'``."""
    spans = cpr_spans(text)
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(CPR_MASK)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def redact_value(value: Any) -> Any:
    """A JSON-like value with every string (keys too) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(path, text)`` of a parsed document: mapping keys (path ends in the key) and string values."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            child = f"{path}.{key_text}" if path else key_text
            yield child, key_text
            yield from walk_strings(item, child)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{index}]")


def control_characters(text: str, *, allow_newlines: bool = True) -> list[str]:
    """Names of the control characters in ``text`` (``U+001B``…), each once, in order of appearance.

    C0/C1 controls and Unicode bidi overrides count; tab, newline and carriage return do not when
    ``allow_newlines`` (free text may span lines).
    """
    found: list[str] = []
    for char in text:
        if allow_newlines and char in _ALLOWED_WHITESPACE:
            continue
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            name = f"U+{ord(char):04X}"
            if name not in found:
                found.append(name)
    return found


def escape_controls(text: str) -> str:
    """``text`` safe for a terminal: control characters (but tab and newline) and bidi overrides as ``\\uXXXX``."""
    if text.isprintable():
        return text
    if text.isascii() and not text.encode("ascii").translate(None, _PLAIN_ASCII):
        return text  # printable ASCII, tabs and newlines only (a listing, a JSON document): a byte-table pass
    return _ESCAPED.sub(lambda found: f"\\u{ord(found.group()):04x}", text)  # one C-speed pass over long JSON


def _redacted_argument(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    text = str(value)
    return redact(text) if contains_cpr(text) else value


class RedactingFilter(logging.Filter):
    """A log filter that redacts CPR-like numbers from messages, their arguments and tracebacks (on handlers).

    Arguments keep their shape (uvicorn's access formatter unpacks them), only their text is redacted.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_argument(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _redacted_argument(v) for k, v in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install_log_redaction(*logger_names: str) -> None:
    """Put a :class:`RedactingFilter` on every handler of the root logger and the named loggers (idempotent)."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def check_arguments(arguments: list[str] | tuple[str, ...], *, source: str = "command line") -> None:
    """Refuse a command line with a CPR-like number or a control character in any argument or option value.

    Raises :class:`~genomdb.errors.InvalidInput` naming the option (or the argument's position), never the value.
    Run before the arguments are parsed, so that no usage error, look-up, audit entry or log line sees them.
    """
    from genomdb.errors import InvalidInput, Problem

    problems: list[Problem] = []
    for position, argument in enumerate(arguments, start=1):
        named = argument.startswith("--") or source == "environment"
        option, _, value = argument.partition("=") if named else ("", "", argument)
        if not option and position > 1 and arguments[position - 2].startswith("-"):
            option = arguments[position - 2]
        what = f"argument {position}" + (f" ({redact(option)})" if option else "")
        if source == "environment":
            what = f"variable {redact(option)}"
        if contains_cpr(argument):
            problems.append(
                Problem(
                    source,
                    f"{what} looks like it contains a CPR number; genomdb takes pseudonyms (GDB-…) and ids, "
                    "never personal identifiers",
                    field=redact(option) or None,
                    expected="no personal identifier",
                )
            )
        elif control_characters(value):
            problems.append(
                Problem(
                    source,
                    f"{what} contains control characters ({', '.join(control_characters(value))})",
                    field=redact(option) or None,
                    expected="printable text",
                )
            )
    if problems:
        raise InvalidInput("refused: the command line holds values genomdb does not accept", problems)
