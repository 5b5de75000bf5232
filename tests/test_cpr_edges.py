"""The CPR guard at every edge, property-tested: CPR-like strings injected into every manifest field, every
argument of every CLI command and every parameter of every API route — each list enumerated from the code, so a
new field, command or route is covered without touching this file — must be refused without echo, and afterwards
neither the instance home (catalog and WAL, blobs' headers, audit anchor, logs) nor any output holds the digits.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gzip
import io
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genomdb.access.records import Actor, Role
from genomdb.access.tokens import create_token
from genomdb.access.users import add_user
from genomdb.api.app import create_app
from genomdb.api.settings import ServiceSettings
from genomdb.config import Settings
from genomdb.errors import InvalidInput
from genomdb.ingest.submit import SubmissionRejected, submit_manifest
from genomdb.instance import Instance, init_instance
from tests.identities import fake_cpr
from tests.ingest.submission_kit import CHILD_CPR, MOTHER_CPR, Kit, make_kit

FORMS = ("{d}{m}{y}{s}", "{d}{m}{y}-{s}", "{d}{m}{y} {s}", "{d}.{m}.{y}-{s}", "{d} {m} {y} {s}")
SURROUNDINGS = ("{}", "patient {}", "id:{}.", "{}x", "note ({}) here")
_NUMBER = re.compile(rb"(?<![0-9])[0-9]{2}[ .\-]?[0-9]{2}[ .\-]?[0-9]{2}[ .\-]?[0-9]{4}(?![0-9])")


@dataclass
class Injected:
    """Every CPR number injected so far (as ten digits), to look for afterwards."""

    digits: set[str] = field(default_factory=lambda: {MOTHER_CPR, CHILD_CPR})

    def assert_absent(self, text: str | bytes, where: str) -> None:
        data = text.encode() if isinstance(text, str) else text
        for match in _NUMBER.finditer(data):
            number = re.sub(rb"[ .\-]", b"", match.group()).decode()
            assert number not in self.digits, f"a CPR number injected by the test is in {where}"


INJECTED = Injected()


@st.composite
def cpr_text(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2036, 12, 31)))
    serial = draw(st.integers(0, 9999))
    digits = fake_cpr(birth.day, birth.month, birth.year % 100, serial)
    INJECTED.digits.add(digits)
    number = draw(st.sampled_from(FORMS)).format(d=digits[:2], m=digits[2:4], y=digits[4:6], s=digits[6:])
    return draw(st.sampled_from(SURROUNDINGS)).format(number)


@dataclass
class Home:
    instance: Instance
    kit: Kit
    tokens: dict[str, str]
    log_file: Path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    folder = tmp_path_factory.mktemp("cpr-edges")
    settings_ = Settings(home=folder / "home")
    init_instance(settings_)
    log_file = settings_.resolved_home() / "logs" / "service.log"
    log_file.parent.mkdir()
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    with Instance.open(settings_) as instance:
        admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
        acting = Actor(admin.username, admin.role)
        tokens = {"admin": create_token(instance, acting, "admin", label="tests").secret}
        for username, role, department in (("steward", Role.STEWARD, None), ("sub-rh", Role.SUBMITTER, "RH-KG")):
            add_user(instance, acting, username, role=role, department=department)
            tokens[username] = create_token(instance, acting, username, label="tests").secret
        kit = make_kit(folder / "kit")
        submit_manifest(instance, kit.write())
        try:
            yield Home(instance, kit, tokens, log_file)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()


def scan_home(home: Home) -> None:
    """No injected CPR number in any file of the instance home, nor in a stored blob's decompressed header."""
    root = home.instance.settings.resolved_home()
    for handler in logging.getLogger().handlers:
        handler.flush()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        INJECTED.assert_absent(data, str(path.relative_to(root)))
        if data[:2] == b"\x1f\x8b":
            with contextlib.suppress(OSError, EOFError), gzip.open(io.BytesIO(data)) as handle:
                INJECTED.assert_absent(handle.read(1 << 20), f"the decompressed start of {path.name}")


# --- manifests ---------------------------------------------------------------------------------------------------


def _injection_points(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string value ("value") and every mapping ("key": a new key is added there) of the document."""
    if isinstance(value, dict):
        yield path, "key"
        for key, item in value.items():
            if not (len(path) == 2 and path[0] == "individuals" and key == "cpr"):
                yield from _injection_points(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _injection_points(item, (*path, index))
    elif isinstance(value, str | int | bool):
        yield path, "value"


def _inject(doc: dict[str, Any], path: tuple[str | int, ...], how: str, text: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    target: Any = doc
    for part in path[:-1] if how == "value" else path:
        target = target[part]
    if how == "key":
        target[text] = "x"
    else:
        target[path[-1]] = text
    return doc


def test_manifest_points_cover_every_field(home: Home) -> None:
    points = list(_injection_points(home.kit.doc))
    assert len(points) > 60 and ("individuals", 1, "relatives", 0, "individual") in {p for p, _ in points}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cpr_in_any_manifest_field_is_refused_and_never_stored(home: Home, data: st.DataObject) -> None:
    points = list(_injection_points(home.kit.doc))
    path, how = data.draw(st.sampled_from(points))
    text = data.draw(cpr_text())
    doc = _inject(home.kit.doc, path, how, text)
    home.kit.manifest.write_text(__import__("yaml").safe_dump(doc, sort_keys=False))
    with pytest.raises(SubmissionRejected) as caught:
        submit_manifest(home.instance, home.kit.manifest)
    INJECTED.assert_absent(str(caught.value) + repr([p.to_dict() for p in caught.value.problems]), "the error")
    assert any("CPR" in p.message for p in caught.value.problems)


def test_home_is_clean_after_manifests(home: Home) -> None:
    scan_home(home)


# --- the command line --------------------------------------------------------------------------------------------


def _cli_targets() -> list[tuple[list[str], list[str]]]:
    """(command words, argv with a placeholder for each value-taking argument/option) of every CLI command."""
    import typer.main

    from genomdb.cli.app import app

    targets: list[tuple[list[str], list[str]]] = []

    def walk(command: Any, words: list[str]) -> None:
        # duck-typed: Typer vendors its own copy of click
        if hasattr(command, "commands"):
            for lazy in getattr(command, "lazy_commands", {}):  # the root imports its groups on first use
                command.load_command(lazy)
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*words, name])
            return
        for param in command.params:
            if param.param_type_name == "argument":
                targets.append((words, [*words, "{}"]))
            elif param.param_type_name == "option" and not param.is_flag and not param.count:
                targets.append((words, [*words, param.opts[0], "{}"]))
                targets.append((words, [*words, f"{param.opts[0]}={{}}"]))
        if not command.params:
            targets.append((words, [*words, "{}"]))

    walk(typer.main.get_command(app), [])
    return targets


CLI_TARGETS = _cli_targets()


def test_every_command_is_enumerated() -> None:
    commands = {" ".join(words) for words, _ in CLI_TARGETS}
    assert {"submit", "out request", "audit show", "catalog history", "classify import"} <= commands
    assert len(commands) > 40


def _run_cli(argv: list[str]) -> tuple[int, str]:
    from genomdb.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old_argv = sys.argv
    sys.argv = ["genomdb", *argv]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
            main()
    finally:
        sys.argv = old_argv
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out.getvalue() + err.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cpr_in_any_cli_argument_is_refused_before_parsing(
    home: Home, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENOMDB_HOME", str(home.instance.settings.resolved_home()))
    _words, template = data.draw(st.sampled_from(CLI_TARGETS))
    text = data.draw(cpr_text())
    code, output = _run_cli([part.replace("{}", text) for part in template])
    assert code == InvalidInput.exit_code, output
    assert "CPR" in output
    INJECTED.assert_absent(output, "the command's output")


def test_each_command_once_with_a_cpr(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic sweep: every (command, argument) pair once, whatever hypothesis drew."""
    monkeypatch.setenv("GENOMDB_HOME", str(home.instance.settings.resolved_home()))
    cpr = fake_cpr(24, 12, 64, 1357, dash=True)
    INJECTED.digits.add(cpr.replace("-", ""))
    for _words, template in CLI_TARGETS:
        code, output = _run_cli([part.replace("{}", cpr) for part in template])
        assert code == InvalidInput.exit_code, (template, output)
        INJECTED.assert_absent(output, f"the output of {template}")


def test_cpr_in_the_acting_user_from_the_environment_is_refused(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENOMDB_HOME", str(home.instance.settings.resolved_home()))
    cpr = fake_cpr(2, 4, 91, 2468)
    INJECTED.digits.add(cpr)
    monkeypatch.setenv("GENOMDB_USER", cpr)
    code, output = _run_cli(["audit", "show", "--person", "GDB-AAAAAAAAAAAAAAAA"])
    assert code == InvalidInput.exit_code and "GENOMDB_USER" in output
    INJECTED.assert_absent(output, "the output")


def test_home_is_clean_after_commands(home: Home) -> None:
    scan_home(home)


# --- the service -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_fields: tuple[str, ...]
    form: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _route_cases() -> list[RouteCase]:
    from genomdb.api.app import ROUTERS

    def flat(dependant: Any, kind: str) -> list[Any]:
        found = list(getattr(dependant, kind))
        for sub in dependant.dependencies:
            found.extend(flat(sub, kind))
        return found

    cases = []
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            dependant = route.dependant
            body = flat(dependant, "body_params")
            form = any(type(p.field_info).__name__ in ("Form", "File") for p in body)
            for method in sorted(route.methods):
                cases.append(
                    RouteCase(
                        method,
                        route.path,
                        tuple(p.name for p in flat(dependant, "path_params")),
                        tuple(p.alias for p in flat(dependant, "query_params")),
                        tuple(p.alias for p in body),
                        form,
                    )
                )
    return cases


ROUTE_CASES = _route_cases()


def test_every_route_is_enumerated() -> None:
    paths = {case.path for case in ROUTE_CASES}
    assert len(paths) > 25 and "/api/submissions/{submission_id}" in paths


def _requests(case: RouteCase, text: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what, url, request keyword arguments): the CPR text in each path parameter, query parameter and body field
    of the route in turn, and in an extra query parameter."""
    plain = case.path
    for name in case.path_params:
        plain = plain.replace(f"{{{name}}}", "x").replace(f"{{{name}:path}}", "x")
    for name in case.path_params:
        path = case.path.replace(f"{{{name}}}", text).replace(f"{{{name}:path}}", text)
        for other in case.path_params:
            path = path.replace(f"{{{other}}}", "x").replace(f"{{{other}:path}}", "x")
        yield f"path parameter {name}", path, {}
    for name in case.query_params:
        yield f"query parameter {name}", plain, {"params": {name: text}}
    yield "an extra query parameter", plain, {"params": {"note": text}}
    if case.method in ("POST", "PUT", "PATCH"):
        if case.form:
            fields = dict.fromkeys(case.body_fields, text)
            yield "form fields", plain, {"data": fields}
            yield "an upload's file name", plain, {"files": {"manifest": (f"{text}.yaml", b"schema_version: 1\n")}}
        else:
            yield "the JSON body", plain, {"json": dict.fromkeys(case.body_fields, text) or {"x": text}}
            yield "a JSON key", plain, {"json": {text: "x"}}


@pytest.fixture(scope="module")
def client(home: Home) -> Iterator[TestClient]:
    app = create_app(home.instance.settings, ServiceSettings(), instance=home.instance)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cpr_in_any_request_is_refused_before_routing(home: Home, client: TestClient, data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(ROUTE_CASES), label="route")
    text = data.draw(cpr_text())
    token = data.draw(st.sampled_from(sorted(home.tokens.values())))
    for what, url, kwargs in _requests(case, text):
        response = client.request(case.method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.status_code == 400, (str(case), what, response.status_code, response.text[:300])
        INJECTED.assert_absent(response.content, f"the response to {case} ({what})")
        INJECTED.assert_absent(repr(response.headers), f"the response headers of {case}")


def test_every_route_once_with_a_cpr(home: Home, client: TestClient) -> None:
    cpr = fake_cpr(11, 11, 11, 1111)
    INJECTED.digits.add(cpr)
    for case in ROUTE_CASES:
        for what, url, kwargs in _requests(case, f"id {cpr}"):
            headers = {"Authorization": f"Bearer {home.tokens['steward']}"}
            response = client.request(case.method, url, headers=headers, **kwargs)
            assert response.status_code == 400, (str(case), what, response.status_code)
            INJECTED.assert_absent(response.content, f"the response to {case} ({what})")


def test_cpr_inside_an_uploaded_manifest_is_rejected_and_redacted(home: Home, client: TestClient) -> None:
    cpr = fake_cpr(30, 6, 55, 4321, dash=True)
    INJECTED.digits.add(cpr.replace("-", ""))
    doc = copy.deepcopy(home.kit.doc)
    doc["submitter"]["department"] = cpr
    doc["title"] = f"family of {cpr}"
    manifest = __import__("yaml").safe_dump(doc).encode()
    response = client.post(
        "/api/submissions",
        headers={"Authorization": f"Bearer {home.tokens['sub-rh']}"},
        files={"manifest": ("m.yaml", manifest)},
    )
    assert response.status_code == 422, response.text
    INJECTED.assert_absent(response.content, "the rejection report")


def test_home_and_logs_are_clean_after_requests(home: Home) -> None:
    scan_home(home)


@pytest.mark.parametrize("control", ["\x1b[2J", "\u202e", "\x00"])
def test_control_characters_in_a_request_are_refused(client: TestClient, control: str) -> None:
    assert client.get("/api/catalog/samples", params={"q": f"a{control}b"}).status_code == 400
    response = client.post("/api/classifications", json={"evidence": f"seen{control}"})
    assert response.status_code == 400 and control not in response.text
