"""Every route × every role (and no token) → the expected status. A route without a row here fails the suite,
and the app itself refuses to start with a route that declares no access rule."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from genomdb.access.records import Role
from genomdb.access.users import resolve_actor
from genomdb.api.app import ROUTERS
from genomdb.api.security import access_rule, require_rules, served_routes
from genomdb.classification.acmg import AcmgClass
from genomdb.classification.database import ClassificationDatabase
from genomdb.dataout.block_grants import BlockGrant, block_key, expiry
from genomdb.ingest import uploads
from genomdb.model.catalog import SearchFilters
from genomdb.screening import service
from genomdb.screening.policy import shipped_policy_text
from tests.api.conftest import make_app
from tests.api.world import ROLE_USER, World, fh

ROLES: tuple[Role | None, ...] = (None, Role.SUBMITTER, Role.CLINICIAN, Role.RESEARCHER, Role.STEWARD, Role.ADMIN)
Request = tuple[str, dict[str, Any]]
"""The URL to call and the keyword arguments of the call (json, data, files; headers added to the caller's)."""


def everyone(status: int) -> dict[Role | None, int]:
    return dict.fromkeys(ROLES, status)


def users_only(status: int) -> dict[Role | None, int]:
    return {None: 401, **dict.fromkeys(ROLES[1:], status)}


def for_roles(allowed: dict[Role, int]) -> dict[Role | None, int]:
    return {None: 401, **{role: allowed.get(role, 403) for role in ROLES[1:]}}


CATALOG = for_roles({Role.SUBMITTER: 200, Role.CLINICIAN: 200, Role.STEWARD: 200})
"""Catalogue reads: the clinical roles and stewards (the world's clinician is in RH-KG, like its samples)."""
SUBMISSIONS = for_roles({Role.SUBMITTER: 200, Role.STEWARD: 200})


def _rejected_upload(world: World) -> dict[str, Any]:
    manifest = b"schema_version: 1\nsubmitter: {department: RH-KG}\nindividuals: []\nsamples: []\nfiles: []\n"
    return {"files": [("manifest", ("manifest.yaml", manifest, "application/yaml"))]}


SUBMITTERS_ONLY = for_roles({Role.SUBMITTER: 200})
"""Uploads ahead of a submission: a department's submitters (the world's submitter is in RH-KG)."""
_UPLOAD_BYTES = b"ACGT" * 64


def _upload(world: World, *, sent: bool = False) -> str:
    """A fresh RH-KG upload of ``_UPLOAD_BYTES`` (one part; ``sent``: that part already received)."""
    actor = resolve_actor(world.instance, "sub-rh")
    record = uploads.start_upload(world.instance, actor, file_name="m.cram", size=len(_UPLOAD_BYTES), via="api")
    if sent:
        uploads.receive_part(world.instance, actor, record.upload_id, 1, _UPLOAD_BYTES, content_md5=None, via="api")
    return record.upload_id


def _complete_body() -> dict[str, Any]:
    md5 = hashlib.md5(_UPLOAD_BYTES, usedforsecurity=False).hexdigest()
    return {"json": {"sha256": hashlib.sha256(_UPLOAD_BYTES).hexdigest(), "parts": [{"number": 1, "md5": md5}]}}


def _login(world: World, role: Role | None) -> dict[str, Any]:
    return {"data": {"token": world.token(role) or "gdb_not-a-token", "next": "/"}}


def _bam(world: World) -> tuple[str, str]:
    """The key of an RH-KG sample with a BAM, and the BAM's sha256 (the GA4GH routes' objects)."""
    for summary in world.instance.catalog.search(SearchFilters(department="RH-KG", file_format="BAM", limit=10)):
        files = world.instance.catalog.sample(summary.sample_key).files
        bam = next((f for f in files if f.format == "BAM"), None)
        if bam is not None:
            return summary.sample_key, bam.sha256
    raise AssertionError("RH-KG has no sample with a BAM")


DATA = for_roles({Role.SUBMITTER: 200, Role.CLINICIAN: 200})
"""GA4GH data routes: the rule lets data-holding roles in; the policy then refuses those without access."""

CLASSIFICATION_READ = for_roles({Role.SUBMITTER: 200, Role.CLINICIAN: 200, Role.STEWARD: 200})
"""The national variant database is read by the clinical roles and data stewards (the access policy's table)."""
CLINICIANS = for_roles({Role.CLINICIAN: 200})
"""Writes, conflict cases and worklists: a department's clinicians (the world's clinician is in RH-KG)."""

SCREENING_CLINICAL = for_roles({Role.SUBMITTER: 200, Role.CLINICIAN: 200})
"""Early detection's person-level reads: the clinical roles (the policy then decides per person)."""


def _own_assertion(world: World) -> str:
    """A fresh RH-KG assertion (the clinician's department) for a route that changes one."""
    with ClassificationDatabase(world.instance) as database:
        outcome = database.add("RH-KG", fh(world.fresh_variant(), AcmgClass.UNCERTAIN, "PM2_Supporting"))
    return outcome.version.assertion_id


def _new_assertion(world: World) -> dict[str, Any]:
    return {
        "json": {
            "variant": world.fresh_variant(),
            "acmg_class": "VUS",
            "condition": "Familial hypercholesterolemia",
            "condition_id": "MONDO:0007750",
            "inheritance": "AD",
            "criteria": ["PM2_Supporting"],
        }
    }


ROUTES: dict[tuple[str, str], tuple[Callable[[World, Role | None], Request], dict[Role | None, int]]] = {
    ("GET", "/health/live"): (lambda w, r: ("/health/live", {}), everyone(200)),
    ("GET", "/health/ready"): (lambda w, r: ("/health/ready", {}), everyone(200)),
    ("GET", "/api/whoami"): (lambda w, r: ("/api/whoami", {}), users_only(200)),
    ("GET", "/api/catalog/samples"): (lambda w, r: ("/api/catalog/samples?department=RH-KG", {}), CATALOG),
    ("GET", "/api/catalog/samples/{key}"): (lambda w, r: (f"/api/catalog/samples/{w.samples['RH-KG']}", {}), CATALOG),
    ("GET", "/api/catalog/persons/{pseudonym}"): (
        lambda w, r: (f"/api/catalog/persons/{w.persons['RH-KG']}", {}),
        CATALOG,
    ),
    ("GET", "/api/submissions"): (lambda w, r: ("/api/submissions", {}), SUBMISSIONS),
    ("POST", "/api/submissions"): (
        lambda w, r: ("/api/submissions", _rejected_upload(w)),
        for_roles({Role.SUBMITTER: 422}),
    ),
    ("GET", "/api/submissions/{submission_id}"): (
        lambda w, r: (f"/api/submissions/{w.submissions['RH-KG']}", {}),
        SUBMISSIONS,
    ),
    ("GET", "/api/submissions/{submission_id}/history"): (
        lambda w, r: (f"/api/submissions/{w.submissions['RH-KG']}/history", {}),
        SUBMISSIONS,
    ),
    ("POST", "/api/uploads"): (
        lambda w, r: ("/api/uploads", {"json": {"file_name": "m.cram", "size": 10}}),
        for_roles({Role.SUBMITTER: 201}),
    ),
    ("GET", "/api/uploads"): (lambda w, r: ("/api/uploads", {}), SUBMITTERS_ONLY),
    ("GET", "/api/uploads/{upload_id}"): (lambda w, r: (f"/api/uploads/{_upload(w)}", {}), SUBMITTERS_ONLY),
    ("POST", "/api/uploads/{upload_id}/parts"): (
        lambda w, r: (f"/api/uploads/{_upload(w)}/parts", {"json": {"numbers": [1]}}),
        SUBMITTERS_ONLY,
    ),
    ("PUT", "/api/uploads/{upload_id}/parts/{number}"): (
        lambda w, r: (
            f"/api/uploads/{_upload(w)}/parts/1",
            {"content": _UPLOAD_BYTES, "headers": {"Content-Type": "application/octet-stream"}},
        ),
        SUBMITTERS_ONLY,
    ),
    ("POST", "/api/uploads/{upload_id}/complete"): (
        lambda w, r: (f"/api/uploads/{_upload(w, sent=True)}/complete", _complete_body()),
        SUBMITTERS_ONLY,
    ),
    ("DELETE", "/api/uploads/{upload_id}"): (
        lambda w, r: (f"/api/uploads/{_upload(w)}", {}),
        for_roles({Role.SUBMITTER: 204}),
    ),
    ("POST", "/api/classifications/assertions"): (
        lambda w, r: ("/api/classifications/assertions", _new_assertion(w)),
        for_roles({Role.CLINICIAN: 201}),
    ),
    ("GET", "/api/classifications/assertions/{assertion_id}"): (
        lambda w, r: (f"/api/classifications/assertions/{w.assertions['RM-KG']}", {}),
        CLASSIFICATION_READ,
    ),
    ("POST", "/api/classifications/assertions/{assertion_id}/versions"): (
        lambda w, r: (
            f"/api/classifications/assertions/{_own_assertion(w)}/versions",
            {"json": {"acmg_class": "LB", "criteria": ["BP4", "BP6"], "reason": "segregation data"}},
        ),
        for_roles({Role.CLINICIAN: 201}),
    ),
    ("POST", "/api/classifications/assertions/{assertion_id}/withdraw"): (
        lambda w, r: (
            f"/api/classifications/assertions/{_own_assertion(w)}/withdraw",
            {"json": {"reason": "sample mix-up"}},
        ),
        CLINICIANS,
    ),
    ("GET", "/api/classifications/variants/{key}"): (
        lambda w, r: (f"/api/classifications/variants/{w.classified}", {}),
        CLASSIFICATION_READ,
    ),
    ("GET", "/api/classifications/variants/{key}/history"): (
        lambda w, r: (f"/api/classifications/variants/{w.classified}/history", {}),
        CLASSIFICATION_READ,
    ),
    ("GET", "/api/classifications/variants/{key}/frequency-evidence"): (
        lambda w, r: (f"/api/classifications/variants/{w.classified}/frequency-evidence", {}),
        for_roles({Role.CLINICIAN: 200, Role.STEWARD: 200}),
    ),
    ("GET", "/api/classifications/conflicts"): (
        lambda w, r: ("/api/classifications/conflicts?state=unresolved", {}),
        CLASSIFICATION_READ,
    ),
    ("PATCH", "/api/classifications/conflicts/{conflict_id}"): (
        lambda w, r: (
            f"/api/classifications/conflicts/{w.conflict}",
            {"json": {"state": "under discussion", "note": "national variant forum"}},
        ),
        CLINICIANS,
    ),
    ("GET", "/api/classifications/worklists"): (lambda w, r: ("/api/classifications/worklists", {}), CLINICIANS),
    ("GET", "/api/classifications/export"): (
        lambda w, r: ("/api/classifications/export?format=tsv", {}),
        CLASSIFICATION_READ,
    ),
    ("GET", "/api/frequency/variants/{key}"): (
        lambda w, r: (f"/api/frequency/variants/{w.observed}", {}),
        everyone(200),
    ),
    ("POST", "/api/frequency/variants"): (
        lambda w, r: ("/api/frequency/variants", {"json": {"variants": [w.observed, w.not_observed]}}),
        everyone(200),
    ),
    ("GET", "/api/frequency/regions/{region}"): (
        lambda w, r: ("/api/frequency/regions/chr1:100000-101500", {}),
        everyone(200),
    ),
    ("GET", "/api/frequency/genes/{symbol}"): (lambda w, r: ("/api/frequency/genes/LDLR", {}), everyone(200)),
    ("GET", "/api/releases"): (lambda w, r: ("/api/releases", {}), everyone(200)),
    ("GET", "/api/releases/{release_id}"): (lambda w, r: (f"/api/releases/{w.releases[0]}", {}), everyone(200)),
    ("GET", "/api/releases/{release_id}/diff"): (
        lambda w, r: (f"/api/releases/{w.releases[0]}/diff", {}),
        everyone(200),
    ),
    ("GET", "/api/beacon"): (lambda w, r: ("/api/beacon", {}), everyone(200)),
    ("GET", "/api/beacon/info"): (lambda w, r: ("/api/beacon/info", {}), everyone(200)),
    ("GET", "/api/beacon/service-info"): (lambda w, r: ("/api/beacon/service-info", {}), everyone(200)),
    ("GET", "/api/beacon/configuration"): (lambda w, r: ("/api/beacon/configuration", {}), everyone(200)),
    ("GET", "/api/beacon/map"): (lambda w, r: ("/api/beacon/map", {}), everyone(200)),
    ("GET", "/api/beacon/entry_types"): (lambda w, r: ("/api/beacon/entry_types", {}), everyone(200)),
    ("GET", "/api/beacon/filtering_terms"): (lambda w, r: ("/api/beacon/filtering_terms", {}), everyone(200)),
    ("GET", "/api/beacon/g_variants"): (
        lambda w, r: ("/api/beacon/g_variants?geneId=LDLR&requestedGranularity=record", {}),
        everyone(200),
    ),
    ("POST", "/api/beacon/g_variants"): (
        lambda w, r: (
            "/api/beacon/g_variants",
            {"json": {"meta": {"apiVersion": "v2.0"}, "query": {"requestParameters": {"geneId": "LDLR"}}}},
        ),
        everyone(200),
    ),
    ("GET", "/api/beacon/g_variants/{variant_id}"): (
        lambda w, r: (f"/api/beacon/g_variants/{w.observed}", {}),
        everyone(200),
    ),
    ("GET", "/htsget/reads/{object_id}"): (
        lambda w, r: (f"/htsget/reads/{_bam(w)[0]}?referenceName=chr1&start=0&end=1000", {}),
        DATA,
    ),
    ("GET", "/htsget/variants/{object_id}"): (
        lambda w, r: (f"/htsget/variants/{_bam(w)[0]}?referenceName=chr1&start=9999&end=10000", {}),
        DATA,
    ),
    ("GET", "/htsget/reads/service-info"): (lambda w, r: ("/htsget/reads/service-info", {}), everyone(200)),
    ("GET", "/htsget/variants/service-info"): (lambda w, r: ("/htsget/variants/service-info", {}), everyone(200)),
    ("GET", "/htsget/blocks/{token}"): (
        lambda w, r: (_signed_block(w), {"headers": {"Range": "bytes=0-99"}}),
        {**dict.fromkeys(ROLES, 403), None: 206, Role.SUBMITTER: 206},
    ),
    ("GET", "/ga4gh/drs/v1/objects/{object_id}"): (lambda w, r: (f"/ga4gh/drs/v1/objects/{_bam(w)[1]}", {}), DATA),
    ("POST", "/api/pgx/runs/{key}"): (
        lambda w, r: (f"/api/pgx/runs/{w.samples['RH-KG']}", {}),
        for_roles({Role.CLINICIAN: 404, Role.STEWARD: 404}),
    ),
    ("GET", "/api/pgx/results"): (lambda w, r: ("/api/pgx/results", {}), CATALOG),
    ("GET", "/api/pgx/reports/{key}"): (
        lambda w, r: (f"/api/pgx/reports/{w.samples['RH-KG']}", {}),
        for_roles({Role.SUBMITTER: 404, Role.CLINICIAN: 404}),
    ),
    ("GET", "/api/pgx/reports/{key}/html"): (
        lambda w, r: (f"/api/pgx/reports/{w.samples['RH-KG']}/html", {}),
        for_roles({Role.SUBMITTER: 404, Role.CLINICIAN: 404}),
    ),
    ("GET", "/pgx"): (lambda w, r: ("/pgx", {}), for_roles({Role.SUBMITTER: 200, Role.CLINICIAN: 200})),
    ("GET", "/pgx/{key}"): (
        lambda w, r: (f"/pgx/{w.samples['RH-KG']}", {}),
        for_roles({Role.SUBMITTER: 404, Role.CLINICIAN: 404}),
    ),
    ("GET", "/pgx/{key}/print"): (
        lambda w, r: (f"/pgx/{w.samples['RH-KG']}/print", {}),
        for_roles({Role.SUBMITTER: 404, Role.CLINICIAN: 404}),
    ),
    ("GET", "/"): (lambda w, r: ("/", {}), everyone(200)),
    ("GET", "/search"): (lambda w, r: ("/search?q=ldlr", {}), everyone(303)),
    ("GET", "/variant/{key}"): (lambda w, r: (f"/variant/{w.observed}", {}), everyone(200)),
    ("GET", "/gene/{symbol}"): (lambda w, r: ("/gene/LDLR", {}), everyone(200)),
    ("GET", "/gene/{symbol}/variants.csv"): (lambda w, r: ("/gene/LDLR/variants.csv", {}), everyone(200)),
    ("GET", "/region/{region}"): (lambda w, r: ("/region/chr1:100000-101500", {}), everyone(200)),
    ("GET", "/region/{region}/variants.csv"): (
        lambda w, r: ("/region/chr1:100000-101500/variants.csv", {}),
        everyone(200),
    ),
    ("GET", "/login"): (lambda w, r: ("/login", {}), everyone(200)),
    ("POST", "/login"): (lambda w, r: ("/login", _login(w, r)), {**everyone(303), None: 401}),
    ("POST", "/logout"): (lambda w, r: ("/logout", {}), everyone(303)),
    ("GET", "/static/genomdb.css"): (lambda w, r: ("/static/genomdb.css", {}), everyone(200)),
    ("GET", "/static/genomdb.js"): (lambda w, r: ("/static/genomdb.js", {}), everyone(200)),
    ("GET", "/static/favicon.svg"): (lambda w, r: ("/static/favicon.svg", {}), everyone(200)),
    ("GET", "/api/screening/programmes"): (lambda w, r: ("/api/screening/programmes", {}), users_only(200)),
    ("GET", "/api/screening/programmes/{programme}/policy"): (
        lambda w, r: ("/api/screening/programmes/fh/policy", {}),
        users_only(200),
    ),
    ("PUT", "/api/screening/programmes/{programme}/policy"): (
        lambda w, r: ("/api/screening/programmes/fh/policy", {"json": {"yaml": _edited_fh_policy()}}),
        for_roles({Role.STEWARD: 200}),
    ),
    ("POST", "/api/screening/runs"): (
        lambda w, r: ("/api/screening/runs", {"json": {"programme": "fh"}}),
        for_roles({Role.STEWARD: 201}),
    ),
    ("GET", "/api/screening/runs"): (lambda w, r: ("/api/screening/runs", {}), users_only(200)),
    ("GET", "/api/screening/runs/{run_a}/diff/{run_b}"): (
        lambda w, r: ("/api/screening/runs/{}/diff/{}".format(*_screening_runs(w)), {}),
        SCREENING_CLINICAL,
    ),
    ("GET", "/api/screening/worklists/{programme}"): (
        lambda w, r: (f"/api/screening/worklists/fh?run={_screening_runs(w)[1]}", {}),
        SCREENING_CLINICAL,
    ),
    ("GET", "/api/screening/cascade"): (lambda w, r: ("/api/screening/cascade", {}), SCREENING_CLINICAL),
    ("POST", "/api/screening/cascade/{ident}/status"): (
        lambda w, r: ("/api/screening/cascade/REL-NOSUCHENTRY/status", {"json": {"status": "invited"}}),
        for_roles({Role.SUBMITTER: 404, Role.CLINICIAN: 404}),
    ),
    ("GET", "/api/screening/capacity"): (lambda w, r: ("/api/screening/capacity", {}), users_only(200)),
    ("PUT", "/api/screening/capacity/{region}/{programme}"): (
        lambda w, r: ("/api/screening/capacity/RH/fh", {"json": {"monthly_capacity": 5}}),
        for_roles({Role.STEWARD: 200}),
    ),
    ("POST", "/api/screening/releases/{programme}"): (
        lambda w, r: (f"/api/screening/releases/{_screening_programme_run(w)}", {}),
        for_roles({Role.STEWARD: 200}),
    ),
    ("PUT", "/api/screening/persons/{pseudonym}/does-not-want-to-know"): (
        lambda w, r: (
            f"/api/screening/persons/{w.persons['RH-KG']}/does-not-want-to-know",
            {"json": {"does_not_want_to_know": False}},
        ),
        for_roles({Role.STEWARD: 200}),
    ),
    ("GET", "/screening/{programme}"): (
        lambda w, r: (f"/screening/{_screening_programme_run(w)}", {}),
        {**dict.fromkeys(ROLES, 403), None: 303, Role.SUBMITTER: 200, Role.CLINICIAN: 200},
    ),
    ("GET", "/screening/family/{pseudonym}"): (
        lambda w, r: (f"/screening/family/{w.persons['RH-KG']}", {}),
        {**dict.fromkeys(ROLES, 403), None: 303, Role.SUBMITTER: 404, Role.CLINICIAN: 404},
    ),
}


def _edited_fh_policy() -> str:
    return shipped_policy_text("fh").replace('policy_version: "2026.1"', 'policy_version: "2026.1-matrix"')


def _screening_runs(world: World) -> tuple[str, str]:
    """Two runs of the FH programme (made by the world's steward when there are fewer)."""
    steward = resolve_actor(world.instance, ROLE_USER[Role.STEWARD])
    while len(service.runs(world.instance, "fh")) < 2:
        service.run_programme(world.instance, steward, "fh")
    first, *_, last = service.runs(world.instance, "fh")
    return first.run_id, last.run_id


def _screening_programme_run(world: World) -> str:
    _screening_runs(world)
    return "fh"


def _signed_block(world: World) -> str:
    """A block URL as a ticket gives it to the RH-KG submitter: its grant works alone, or with that user's token;
    anyone else's token is refused."""
    sha256 = _bam(world)[1]
    grant = BlockGrant(sha256, "sub-rh", 0, 999, expiry(60), 0, "")
    return grant.url("/htsget", block_key(world.instance))


def _api_routes() -> set[tuple[str, str]]:
    return {
        (method, route.path) for route in served_routes(ROUTERS) for method in route.methods or () if method != "HEAD"
    }


def test_every_route_has_a_row_in_the_matrix() -> None:
    served = _api_routes()
    assert served - set(ROUTES) == set(), "routes without an expected status per role: add them to ROUTES"
    assert set(ROUTES) - served == set(), "rows for routes the app does not serve"


def test_every_route_declares_one_access_rule() -> None:
    assert all(access_rule(route) is not None for route in served_routes(ROUTERS))
    stray = APIRouter()

    @stray.get("/api/unruled")
    def unruled() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="deny by default"):
        require_rules([*ROUTERS, stray])


def test_route_role_matrix(world: World) -> None:
    failures = []
    with TestClient(make_app(world), raise_server_exceptions=False, follow_redirects=False) as client:
        for (method, _template), (build, expected) in sorted(ROUTES.items()):
            for role in ROLES:
                url, kwargs = build(world, role)
                headers = {**world.headers(role), **kwargs.pop("headers", {})}
                response = client.request(method, url, headers=headers, **kwargs)
                if response.status_code != expected[role]:
                    who = role.value if role else "no token"
                    failures.append(
                        f"{method} {url} as {who}: {response.status_code} ≠ {expected[role]}: {response.text[:200]}"
                    )
    assert not failures, "\n".join(failures)
