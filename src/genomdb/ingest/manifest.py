"""The submission manifest: what a department hands in alongside its files.

The pydantic models here are the single definition; ``manifest_json_schema()`` exports the JSON Schema that
``genomdb manifest schema`` prints and ``docs/manifest.md`` documents. Parsing collects every problem into
:class:`~genomdb.errors.Problem` records; a CPR number is held as a secret and never echoed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
)

from genomdb.errors import InvalidInput, Problem
from genomdb.privacy import contains_cpr, control_characters, redact

SCHEMA_VERSION = 1
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_TEXT_CHARS = 2000
MAX_DEPTH = 16
"""Manifests nest five levels deep; anything much deeper is an attack on the parser, not a manifest."""
MAX_ALIAS_EXPANSION = 10_000
"""Values YAML aliases may add to a manifest (a shared list written once and referred to again adds a few)."""
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LocalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Md5 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class Platform(StrEnum):
    ILLUMINA = "ILLUMINA"
    ONT = "ONT"
    PACBIO = "PACBIO"


class ReadType(StrEnum):
    SHORT = "short"
    LONG = "long"


class FileFormat(StrEnum):
    FASTQ = "FASTQ"
    BAM = "BAM"
    CRAM = "CRAM"
    VCF = "VCF"
    GVCF = "GVCF"
    BCF = "BCF"


class Relation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    SIBLING = "sibling"
    CHILD = "child"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Submitter(_Strict):
    department: str = Field(description="department code as registered in the catalog, e.g. RH-KG")
    contact: str | None = Field(default=None, description="who to contact about this submission (role, not a person)")


class Relative(_Strict):
    relation: Relation = Field(description="what the other individual is to this one")
    individual: LocalId = Field(description="manifest id of the other individual")


class Individual(_Strict):
    id: LocalId = Field(description="id of the individual within this manifest")
    cpr: SecretStr | None = Field(
        default=None,
        description="Danish CPR number (10 digits, DDMMYYSSSS, with or without dash); pseudonymised on arrival",
        json_schema_extra={"type": "string", "pattern": r"^\d{6}-?\d{4}$", "writeOnly": True},
    )
    pseudonym: str | None = Field(default=None, description="pseudonym of a person genomdb already knows")
    relatives: list[Relative] = Field(default_factory=list)
    research_opt_out: bool = Field(default=False, description="the person has opted out of research use")
    does_not_want_to_know: bool | None = Field(
        default=None,
        description="the person does not want to know of findings from early-detection programmes (true), or has "
        "withdrawn that wish (false); left out: unchanged",
    )

    @field_validator("cpr", mode="before")
    @classmethod
    def _cpr_is_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            # YAML reads unquoted digits as a number and may drop a leading zero: refuse, never guess.
            raise ValueError("a CPR number must be a quoted string, e.g. cpr: 'DDMMYYSSSS'")
        return value


class Sample(_Strict):
    id: LocalId = Field(description="the department's sample id; unique within the department")
    individual: LocalId
    tissue: str = Field(default="blood")
    collection_date: dt.date | None = None
    withdrawn: bool = Field(default=False, description="set in a correction to withdraw the sample")


class Run(_Strict):
    id: LocalId
    sample: LocalId
    platform: Platform
    read_type: ReadType
    instrument: str | None = None
    library_strategy: str = Field(default="WGS", description="WGS, WES, targeted, RNA-Seq, …")
    library_id: str | None = None
    run_date: dt.date | None = None


class File(_Strict):
    id: LocalId
    path: str | None = Field(
        default=None,
        description="path relative to the manifest's folder; may be left out in a correction that keeps a file "
        "already stored (give its sha256)",
    )
    format: FileFormat
    run: LocalId | None = Field(default=None, description="the sequencing run the reads come from (FASTQ, uBAM)")
    mate: LocalId | None = Field(default=None, description="for paired-end FASTQ: the id of the other file")
    sha256: Sha256 | None = None
    md5: Md5 | None = None
    size: int | None = Field(default=None, ge=0)
    uploaded: bool = Field(
        default=False,
        description="the file was sent beforehand with `genomdb upload` (or the REST upload flow) by this department: "
        "it is taken from the upload area by its sha256 (required) instead of a path",
    )


class Pipeline(_Strict):
    name: str
    version: str


class Analysis(_Strict):
    id: LocalId
    samples: list[LocalId] = Field(min_length=1)
    pipeline: Pipeline
    reference_build: Literal["GRCh38", "GRCh37"]
    inputs: list[LocalId] = Field(default_factory=list, description="file ids the analysis read")
    outputs: list[LocalId] = Field(min_length=1, description="file ids the analysis produced (CRAM, BAM, VCF, gVCF)")


class Manifest(_Strict):
    """One submission from one department."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://genomdb.org/schemas/manifest/v1.json"},
    )

    schema_version: Literal[1]
    submitter: Submitter
    title: str | None = None
    individuals: list[Individual] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)
    runs: list[Run] = Field(default_factory=list)
    files: list[File] = Field(default_factory=list)
    analyses: list[Analysis] = Field(default_factory=list)


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema of the manifest, as exported by ``genomdb manifest schema``."""
    schema = Manifest.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "genomdb submission manifest"
    return schema


def _line_of(node_path: tuple[int | str, ...], marks: dict[tuple[int | str, ...], int]) -> str | None:
    for depth in range(len(node_path), -1, -1):
        line = marks.get(node_path[:depth])
        if line is not None:
            return f"line {line}"
    return None


def _collect_marks(node: yaml.Node, path: tuple[int | str, ...], marks: dict[tuple[int | str, ...], int]) -> None:
    marks[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _collect_marks(value, (*path, key.value), marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_marks(item, (*path, index), marks)


def _where(mark: Any) -> str | None:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None


def _too_deep(name: str, location: str | None) -> InvalidInput:
    return InvalidInput(
        f"manifest {name} is nested too deeply",
        [
            Problem(
                name,
                "the manifest is nested too deeply",
                location=location,
                expected=f"at most {MAX_DEPTH} levels",
            )
        ],
    )


def _check_nesting(text: str, name: str) -> None:
    """Refuse a manifest nested deeper than ``MAX_DEPTH`` from the parser's events, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_YamlLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(name, _where(event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_alias_expansion(root: yaml.Node, name: str) -> None:
    """Refuse aliases that expand the document: the "billion laughs" (a few hundred bytes of nested aliases that
    expand into gigabytes), recursive aliases, and alias chains nested too deeply.

    The composed node graph shares aliased nodes, so its expanded size and depth are computed once per distinct
    node (linear in the text). Aliases as PyYAML writes them for a value used twice (``&id001`` … ``*id001``) add
    a few nodes and are accepted.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            in_progress.discard(key)
            continue
        if key in size:
            continue
        if key in in_progress:
            raise InvalidInput(
                f"manifest {name} has a recursive YAML alias",
                [Problem(name, "a YAML alias refers to a value that contains it", location=_where(node.start_mark))],
            )
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    added = size[id(root)] - len(size)
    if added > MAX_ALIAS_EXPANSION:
        raise InvalidInput(
            f"manifest {name} uses YAML aliases that expand it too much",
            [
                Problem(
                    name,
                    "YAML aliases (*name) expand the manifest too much",
                    location="whole file",
                    expected=f"aliases adding at most {MAX_ALIAS_EXPANSION:,} values (better: values written out)",
                    found=f"{added:,} values added",
                )
            ],
        )
    if depth[id(root)] > MAX_DEPTH + 1:
        raise _too_deep(name, "through YAML aliases")


def _load_yaml_with_lines(text: str, marks: dict[tuple[int | str, ...], int], name: str) -> Any:
    """Parse YAML once (libyaml when available), noting the line of every node for error messages."""
    _check_nesting(text, name)
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # no anchor (&name), no alias: a text without an ampersand has nothing to expand
            _check_alias_expansion(node, name)
        _collect_marks(node, (), marks)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return depth
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth


def _walk(value: Any, path: tuple[int | str, ...]) -> Iterator[tuple[tuple[int | str, ...], str, bool]]:
    """``(path, text, is_key)`` for every mapping key and string value of a parsed document."""
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            child = (*path, str(key))
            yield child, str(key), True
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))


def _is_individual_cpr(path: tuple[int | str, ...]) -> bool:
    return len(path) == 3 and path[0] == "individuals" and isinstance(path[1], int) and path[2] == "cpr"


def document_problems(
    data: Any, *, name: str, marks: dict[tuple[int | str, ...], int], max_text_chars: int
) -> list[Problem]:
    """The CPR guard and the text limits over a parsed manifest, before anything in it is looked up or echoed.

    Every key and every string value is checked: a CPR-like number anywhere but an individual's ``cpr`` field,
    a control character (ESC, NUL, bidi overrides…), or a value longer than ``max_text_chars`` is a problem. The
    problems name the field (redacted where the key itself is CPR-like), never the value.
    """
    problems: list[Problem] = []
    for path, text, is_key in _walk(data, ()):
        field = redact(_dotted(path))
        location = _line_of(path, marks)
        what = "key" if is_key else "value"
        if not is_key and _is_individual_cpr(path):
            continue
        if contains_cpr(text):
            problems.append(
                Problem(
                    name,
                    f"the {what} looks like it contains a CPR number; personal identifiers belong only in an "
                    "individual's `cpr` field",
                    location=location,
                    field=field,
                    expected="no personal identifier",
                )
            )
            continue
        controls = control_characters(text, allow_newlines=not is_key)
        if controls:
            problems.append(
                Problem(
                    name,
                    f"the {what} contains control characters ({', '.join(controls)})",
                    location=location,
                    field=field,
                    expected="printable text",
                )
            )
        if len(text) > max_text_chars:
            problems.append(
                Problem(
                    name,
                    f"the {what} is too long",
                    location=location,
                    field=field,
                    expected=f"at most {max_text_chars:,} characters (setting GENOMDB_MAX_TEXT_CHARS)",
                    found=f"{len(text):,} characters",
                )
            )
    return problems


def _dotted(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _read_text(path: Path, name: str, max_bytes: int) -> str:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(
                f"manifest {name} is too large",
                [
                    Problem(
                        name,
                        "the manifest is larger than this instance accepts",
                        location="whole file",
                        expected=f"at most {max_bytes:,} bytes (setting GENOMDB_MANIFEST_MAX_BYTES)",
                        found=f"{size:,} bytes",
                    )
                ],
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"manifest {name} does not exist", [Problem(name, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"manifest {name} is not text",
            [Problem(name, "not UTF-8 text", location=f"byte {exc.start}", expected="a YAML or JSON manifest")],
        ) from None


def _parse_document(path: Path, name: str, max_bytes: int, marks: dict[tuple[int | str, ...], int]) -> Any:
    text = _read_text(path, name, max_bytes)
    data, found_marks = _parsed_text(text, path.suffix.lower() == ".json", name)
    marks.update(found_marks)
    return data


@functools.lru_cache(maxsize=1)
def _parsed_text(text: str, is_json: bool, name: str) -> tuple[Any, dict[tuple[int | str, ...], int]]:
    """The document a manifest's text holds and the line of each node. The last one is kept: a submission reads
    its manifest twice, for the department it names (to decide access first) and then whole, and the same text is
    parsed once. Callers only read what it returns."""
    marks: dict[tuple[int | str, ...], int] = {}
    try:
        data = json.loads(text) if is_json else _load_yaml_with_lines(text, marks, name)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"manifest {name} is not valid JSON",
            [Problem(name, exc.msg, location=f"line {exc.lineno}, column {exc.colno}", expected="valid JSON")],
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        reason = getattr(exc, "problem", None) or "cannot be parsed"
        raise InvalidInput(
            f"manifest {name} is not valid YAML",
            [Problem(name, f"not valid YAML: {redact(reason)}", location=location, expected="a YAML mapping")],
        ) from None
    except RecursionError:
        data = [[]] * (MAX_DEPTH + 1)
    if _depth(data) > MAX_DEPTH:
        raise InvalidInput(
            f"manifest {name} is nested too deeply",
            [Problem(name, "the manifest is nested too deeply", expected=f"at most {MAX_DEPTH} levels")],
        )
    return data, marks


def declared_department(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str | None:
    """The department code a manifest names, read with the same guards as :func:`parse_manifest`; None when the
    manifest cannot be read that far, or when the code is not a plausible one (CPR-like, control characters)."""
    try:
        data = _parse_document(path, str(path), max_bytes, {})
        code = data["submitter"]["department"]
    except (InvalidInput, KeyError, TypeError):
        return None
    if not isinstance(code, str) or len(code) > 64 or contains_cpr(code) or control_characters(code):
        return None
    return code


def parse_manifest(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
) -> Manifest:
    """Read a YAML or JSON manifest and check it against the schema; every problem is reported at once.

    Before the schema, the document is checked as a whole: at most ``max_bytes`` bytes, no YAML aliases, no
    CPR-like number outside an individual's ``cpr``, no control characters, no value over ``max_text_chars``.
    """
    name = str(path)
    marks: dict[tuple[int | str, ...], int] = {}
    try:
        data = _parse_document(path, name, max_bytes, marks)
    finally:
        _parsed_text.cache_clear()  # the document is not kept beyond the submission that reads it
    if not isinstance(data, dict):
        raise InvalidInput(
            f"manifest {name} is not a mapping",
            [
                Problem(
                    name,
                    "the manifest must be a mapping of fields",
                    expected="a YAML/JSON mapping",
                    found=type(data).__name__,
                )
            ],
        )
    guarded = document_problems(data, name=name, marks=marks, max_text_chars=max_text_chars)
    if guarded:
        raise InvalidInput(f"manifest {name} holds values it may not", guarded)
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            loc = tuple(error["loc"])
            field = redact(_dotted(loc)) or None
            problems.append(Problem(name, redact(error["msg"]), location=_line_of(loc, marks), field=field))
        raise InvalidInput(f"manifest {name} does not match the manifest schema", problems) from None
