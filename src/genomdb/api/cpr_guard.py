"""The CPR guard of the service: one ASGI middleware checks every request before routing.

The path, every query parameter (names and values) and the body are checked before the request reaches the
router: every string of a JSON body (keys and values, and ten-digit numbers), every field of a urlencoded form,
and every part header (field names, file names) and non-file field of a multipart form. Uploads (multipart
bodies to the submission path, which may be gigabytes) are not held in memory: they are checked part by part as
the application reads them, before the route runs; the content of uploaded files is checked by the manifest
guard and the file-header checks of data-in. A CPR-like number anywhere is refused with 400 and a problem
document that names where it was, never what.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from genomdb.api import problems
from genomdb.errors import GenomdbError
from genomdb.privacy import contains_cpr, control_characters, redact, walk_strings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BUFFERED_BYTES = 16 << 20
"""Largest non-multipart body checked (the body limit of the service is far lower outside uploads)."""
MAX_FIELD_BYTES = 1 << 20
"""Largest non-file multipart field kept for checking (larger ones are refused: form fields are short)."""
_MESSAGE = (
    "the request holds a CPR number or a control character; genomdb takes pseudonyms (GDB-…), ids and printable "
    "text, never personal identifiers"
)


class CprRefused(StarletteHTTPException):
    """A request carrying a CPR-like number (raised while the body is read; answered as a 400 problem)."""

    def __init__(self, where: str) -> None:
        super().__init__(400, f"{_MESSAGE} (found in {redact(where)})")


def _refused(text: str) -> bool:
    return contains_cpr(text) or bool(control_characters(text, allow_newlines=False))


def request_line_problems(scope: Scope) -> list[str]:
    """Where in the path and query a CPR-like number (or a control character) is (``the path``, ``query parameter
    NAME``)."""
    found: list[str] = []
    if _refused(scope.get("path", "")) or contains_cpr(scope.get("raw_path", b"").decode("latin-1")):
        found.append("the path")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        for name, value in pairs:
            if _refused(name) or _refused(value):
                found.append(f"query parameter {name}")
        if not found and contains_cpr(query):
            found.append("the query string")
    return found


def json_problem(body: bytes) -> str | None:
    """Where in a JSON body a CPR-like number is, or None."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return "the body" if contains_cpr(body.decode("utf-8", "replace")) else None
    for path, text in walk_strings(document):
        if contains_cpr(text) or control_characters(text):
            return f"body field {path or '(value)'}"
    for path, number in _numbers(document, ""):
        if contains_cpr(str(number)):
            return f"body field {path or '(value)'}"
    return None


def _numbers(value: Any, path: str) -> list[tuple[str, int]]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [(path, value)] if len(str(abs(value))) == 10 else []
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _numbers(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _numbers(v, f"{path}[{i}]")]
    return []


def form_problem(body: bytes) -> str | None:
    """Where in a urlencoded form a CPR-like number is, or None."""
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if _refused(name) or contains_cpr(value) or control_characters(value):
            return f"form field {name}"
    return None


class _MultipartCheck:
    """Streams a multipart body through python-multipart, checking part headers and non-file fields."""

    def __init__(self, boundary: bytes) -> None:
        self.found: str | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field: bytearray | None = None
        self._field_name = ""
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        if chunk and self.found is None:
            self._parser.write(chunk)

    def _part_begin(self) -> None:
        self._headers = {}
        self._field = None
        self._field_name = ""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name, value = self._header_name.lower(), self._header_value
        self._header_name, self._header_value = b"", b""
        self._headers[name] = value
        if self.found is None and contains_cpr(value.decode("utf-8", "replace")):
            self.found = "a part header (field or file name)"

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._field_name = options.get(b"name", b"").decode("utf-8", "replace")
        self._field = None if b"filename" in options else bytearray()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                self._field = None
                self.found = self.found or f"form field {self._field_name} (larger than {MAX_FIELD_BYTES:,} bytes)"

    def _part_end(self) -> None:
        if self._field is not None and self.found is None and contains_cpr(self._field.decode("utf-8", "replace")):
            self.found = f"form field {self._field_name}"
        self._field = None


class CprGuard:
    """Refuse any request that carries a CPR-like number in its path, query or body (see the module docstring).

    Bodies are read whole and checked before the application runs (the body limit bounds them), except multipart
    uploads to the ``streamed`` paths, which are checked part by part as the application reads them.
    """

    def __init__(self, app: ASGIApp, *, streamed: tuple[str, ...] = (), raw: tuple[str, ...] = ()) -> None:
        self.app = app
        self.streamed = streamed
        self.raw = raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = request_line_problems(scope)
        if found:
            await self._refuse(scope, receive, send, found)
            return
        content_type = next((value for name, value in scope.get("headers") or () if name == b"content-type"), b"")
        kind, options = parse_options_header(content_type)
        is_multipart = kind == b"multipart/form-data" and b"boundary" in options
        if is_multipart and scope["path"].startswith(self.streamed):
            await self.app(scope, self._multipart(receive, options[b"boundary"]), send)
            return
        if kind == b"application/octet-stream" and self.raw and scope["path"].startswith(self.raw):
            await self.app(scope, receive, send)  # a file part's bytes: checked by data-in when submitted
            return
        try:
            messages = await self._read_body(receive)
        except GenomdbError as exc:  # the body limit, enforced by the middleware around this one
            status, slug = problems.status_of(exc)
            await problems.respond(Request(scope), status, slug, exc.message)(scope, receive, send)
            return
        except StarletteHTTPException as exc:
            await problems.respond(Request(scope), exc.status_code, "http", str(exc.detail))(scope, receive, send)
            return
        body = b"".join(message.get("body", b"") for message in messages)
        where: str | None = None
        if body and is_multipart:
            check = _MultipartCheck(options[b"boundary"])
            check.feed(body)
            where = check.found
        elif body and kind == b"application/x-www-form-urlencoded":
            where = form_problem(body)
        elif body:
            where = json_problem(body)
        if where is not None:
            await self._refuse(scope, receive, send, [where])
            return
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _read_body(receive: Receive) -> list[Message]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message.get("type") != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > MAX_BUFFERED_BYTES:
                raise StarletteHTTPException(413, "the request body is too large to be checked")
            if not message.get("more_body", False):
                return messages

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, found: list[str]) -> None:
        detail = f"{_MESSAGE} (found in {redact(', '.join(found))})"
        extensions = {
            "problems": [
                {
                    "file": "request",
                    "location": redact(where),
                    "message": "CPR-like number or control character refused",
                }
                for where in found
            ]
        }
        response = problems.respond(Request(scope), 400, "invalid-input", detail, extensions=extensions)
        await response(scope, receive, send)

    @staticmethod
    def _multipart(receive: Receive, boundary: bytes) -> Receive:
        check = _MultipartCheck(boundary)

        async def checked() -> Message:
            message = await receive()
            if message.get("type") == "http.request":
                check.feed(message.get("body", b""))
                if check.found is not None:
                    raise CprRefused(check.found)
            return message

        return checked
