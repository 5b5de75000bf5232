"""GA4GH Beacon v2: every response the service produces validates against the official schemas
(../shared/beacon-v2, by relative path); tiers cap the granularity; frequencies per stratum; bad queries → 400."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from genomdb.access.records import Role
from genomdb.api.settings import ServiceSettings
from tests.api.beacon_schemas import RESPONSES, BeaconSchemas
from tests.api.conftest import make_app
from tests.api.world import World

FRAMEWORK = {
    "/api/beacon": "beaconInfoResponse",
    "/api/beacon/info": "beaconInfoResponse",
    "/api/beacon/service-info": "ga4gh-service-info-1-0-0-schema",
    "/api/beacon/configuration": "beaconConfigurationResponse",
    "/api/beacon/map": "beaconMapResponse",
    "/api/beacon/entry_types": "beaconEntryTypesResponse",
    "/api/beacon/filtering_terms": "beaconFilteringTermsResponse",
}


@pytest.fixture(scope="module")
def schemas(beacon_dir: Path) -> BeaconSchemas:
    return BeaconSchemas(beacon_dir)


def _sequence(key: str) -> dict[str, str]:
    chrom, pos, ref, alt = key.split("-")
    return {
        "referenceName": chrom.removeprefix("chr"),
        "start": str(int(pos) - 1),
        "referenceBases": ref,
        "alternateBases": alt,
        "assemblyId": "GRCh38",
    }


def test_framework_endpoints_validate(client: TestClient, schemas: BeaconSchemas) -> None:
    for path, schema in FRAMEWORK.items():
        response = client.get(path)
        assert response.status_code == 200, path
        schemas.check(response.json(), f"{RESPONSES}{schema}.json")


def test_the_schemas_own_examples_validate(schemas: BeaconSchemas) -> None:
    """The registry resolves the copy the way the tests need (the spec's own minimal example passes)."""
    example = (
        schemas.root / "models/json/beacon-v2-default-model/genomicVariations/examples/genomicVariant-MIN-example.json"
    )
    import json

    schemas.check(
        json.loads(example.read_text()), "models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json"
    )


@pytest.mark.parametrize("role", [None, Role.RESEARCHER, Role.CLINICIAN])
@pytest.mark.parametrize("granularity", ["boolean", "count", "record"])
def test_sequence_range_and_gene_queries_validate_at_every_tier(
    client: TestClient, world: World, schemas: BeaconSchemas, role: Role | None, granularity: str
) -> None:
    queries: list[dict[str, str]] = [
        _sequence(world.observed),
        _sequence(world.not_observed),
        {"referenceName": "1", "start": "99999", "end": "101500", "assemblyId": "GRCh38"},
        {"referenceName": "chr1", "start": "99999", "end": "101500", "variantType": "SNP"},
        {"geneId": "LDLR"},
    ]
    for params in queries:
        response = client.get(
            "/api/beacon/g_variants",
            params={**params, "requestedGranularity": granularity},
            headers=world.headers(role),
        )
        assert response.status_code == 200, response.text
        document = response.json()
        schemas.check_response(document)
        cap = "count" if role is None else "record"
        expected = (
            granularity
            if ["boolean", "count", "record"].index(granularity) <= ["boolean", "count", "record"].index(cap)
            else cap
        )
        assert document["meta"]["returnedGranularity"] == expected
        body: dict[str, Any] = {
            "meta": {"apiVersion": "v2.0.1"},
            "query": {"requestParameters": params, "requestedGranularity": granularity},
        }
        posted = client.post("/api/beacon/g_variants", json=body, headers=world.headers(role))
        assert posted.status_code == 200, posted.text
        schemas.check_response(posted.json())
        assert posted.json()["responseSummary"] == document["responseSummary"]


def test_records_carry_frequencies_per_stratum_and_a_handover(
    client: TestClient, world: World, schemas: BeaconSchemas
) -> None:
    response = client.get(
        "/api/beacon/g_variants",
        params={**_sequence(world.observed), "requestedGranularity": "record"},
        headers=world.headers(Role.CLINICIAN),
    )
    document = response.json()
    schemas.check_response(document)
    assert document["responseSummary"] == {"exists": True, "numTotalResults": 1}
    (record,) = document["response"]["resultSets"][0]["results"]
    (source,) = record["frequencyInPopulations"]
    populations = {f["population"] for f in source["frequencies"]}
    assert "all" in populations and {"XX", "XY"} <= populations and any(p.startswith("region:") for p in populations)
    assert source["version"] == world.releases[-1]
    assert document["beaconHandovers"][0]["url"].endswith(f"/variant/{world.observed}")
    single = client.get(f"/api/beacon/g_variants/{world.observed}", headers=world.headers(Role.CLINICIAN)).json()
    schemas.check_response(single)
    assert single["response"]["resultSets"][0]["results"][0]["variantInternalId"] == world.observed


def test_a_variant_withheld_at_a_tier_does_not_exist_at_that_tier(
    client: TestClient, world: World, schemas: BeaconSchemas
) -> None:
    params = {**_sequence(world.suppressed), "requestedGranularity": "count"}
    public = client.get("/api/beacon/g_variants", params=params).json()
    controlled = client.get("/api/beacon/g_variants", params=params, headers=world.headers(Role.STEWARD)).json()
    schemas.check_response(public)
    assert public["responseSummary"]["exists"] is False
    assert controlled["responseSummary"]["exists"] is True


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (
            {
                "referenceName": "1",
                "start": "100",
                "referenceBases": "A",
                "alternateBases": "G",
                "assemblyId": "GRCh37",
            },
            "assembly",
        ),
        ({"referenceName": "1", "start": "0", "end": "9000000"}, "too long"),
        ({"referenceName": "chr99", "start": "100", "end": "200"}, "chromosome"),
        ({"referenceName": "1", "start": "x", "end": "200"}, "integer"),
        ({"referenceName": "1", "start": "100,200", "end": "300"}, "bracket"),
        ({"referenceName": "1", "start": "100", "referenceBases": "A", "alternateBases": "Z"}, "DNA"),
        ({}, "referenceName"),
        ({"geneId": "LDLR", "requestedGranularity": "everything"}, "granularity"),
    ],
)
def test_bad_queries_get_a_beacon_error(
    client: TestClient, schemas: BeaconSchemas, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/api/beacon/g_variants", params=params)
    assert response.status_code == 400, response.text
    document = response.json()
    schemas.check(document, f"{RESPONSES}beaconErrorResponse.json")
    assert fragment in document["error"]["errorMessage"] or fragment in response.text


def test_unknown_gene_is_a_404_beacon_error(client: TestClient, schemas: BeaconSchemas) -> None:
    response = client.get("/api/beacon/g_variants", params={"geneId": "NOTAGENE"})
    assert response.status_code == 404
    schemas.check(response.json(), f"{RESPONSES}beaconErrorResponse.json")


def test_public_beacon_spends_the_query_budget(world: World, schemas: BeaconSchemas) -> None:
    app = make_app(world, ServiceSettings(public_queries_per_minute=2))
    with TestClient(app, raise_server_exceptions=False) as client:
        params = _sequence(world.observed)
        assert client.get("/api/beacon/g_variants", params=params).status_code == 200
        assert client.get("/api/beacon/g_variants", params=params).status_code == 200
        refused = client.get("/api/beacon/g_variants", params=params)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        schemas.check(refused.json(), f"{RESPONSES}beaconErrorResponse.json")
        with_token = client.get("/api/beacon/g_variants", params=params, headers=world.headers(Role.RESEARCHER))
        assert with_token.status_code == 200
