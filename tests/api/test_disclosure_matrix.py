"""One disclosure rule on every aggregate surface: a matrix of every surface × tier × (above the floor, under it,
not observed).

At the public tier a variant under the floor must not be revealed to exist: on every surface its answer is the
answer for a variant nobody carries at the same position (with only the variant's own name differing), and no
listing, neighbour link, plot, CSV, Beacon count or annotation names it. The registered tier sees that it exists
with its counts withheld; the controlled tier sees its counts. Every answer names its tier.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from genomdb.access.records import Role
from genomdb.frequency.disclosure import Tier
from genomdb.frequency.keys import parse_variant_key
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.refdata.genes import find_gene
from tests.api.conftest import make_app
from tests.api.world import WORLD_FLOOR_ENV, WORLD_FLOORS, World

TIERS = (Tier.PUBLIC, Tier.REGISTERED, Tier.CONTROLLED)
TIER_ROLE = {Tier.PUBLIC: None, Tier.REGISTERED: Role.RESEARCHER, Tier.CONTROLLED: Role.STEWARD}
GENE = "LDLR"
PUBLIC_HIGHEST_FLOOR = int(WORLD_FLOORS["public_floor_max"])
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "genomdb"


@dataclass(frozen=True)
class Trio:
    above: str
    """Revealed at every tier, whatever its keyed floor (AC ≥ the highest public floor, AN − AC ≥ 10)."""
    under: str
    """0 < AC < 5: under every floor."""
    absent: str
    """Nobody carries it; same position as ``under``, another alternate allele."""


def _window(key: str, flank: int = 200) -> str:
    v = parse_variant_key(key)
    return f"{v.chrom}:{v.pos_1based - flank}-{v.pos_1based + flank}"


@pytest.fixture(scope="module")
def trio(world: World) -> Trio:
    gene = find_gene(GENE)
    with FrequencyDatabase(world.instance) as database:
        exact = database.lookup_gene(GENE, "controlled").variants
    snvs = [v for v in exact if len(v.variant.ref) == len(v.variant.alt) == 1]
    above = next(
        v
        for v in snvs
        if (v.total.allele_count or 0) >= PUBLIC_HIGHEST_FLOOR
        and (v.total.allele_number or 0) - (v.total.allele_count or 0) >= 10
    )
    under = next(v for v in snvs if 0 < (v.total.allele_count or 0) < 5)
    taken = {v.variant.alt for v in exact if v.variant.pos_1based == under.variant.pos_1based}
    other = next(b for b in "ACGT" if b not in taken and b != under.variant.ref)
    u = under.variant
    assert gene.start_1based <= u.pos_1based <= gene.end_1based
    return Trio(above.variant.key, u.key, f"{u.chrom}-{u.pos_1based}-{u.ref}-{other}")


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(make_app(world), raise_server_exceptions=False) as test_client:
        yield test_client


# --- the surfaces: each answers "what does this surface say about this variant at this tier" -----------------

Answer = Any
Surface = Callable[[TestClient, World, Trio, Tier, str], Answer]


def _headers(world: World, tier: Tier) -> dict[str, str]:
    return world.headers(TIER_ROLE[tier])


def _anonymous(document: Any, key: str) -> Any:
    """The answer with the variant's own name (its key, alternate allele, 0-based start) taken out."""
    v = parse_variant_key(key)
    text = json.dumps(document, sort_keys=True)
    text = text.replace(key, "<KEY>").replace(f'"{v.alt}"', '"<ALT>"')
    return json.loads(text)


def _named_tier(document: dict[str, Any], tier: Tier) -> None:
    assert document["tier"] == tier.value, document


def api_variant(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    response = client.get(f"/api/frequency/variants/{key}", headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    _named_tier(response.json(), tier)
    return _anonymous(response.json(), key)


def api_bulk(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    response = client.post("/api/frequency/variants", json={"variants": [key]}, headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    _named_tier(response.json()["variants"][0], tier)
    return _anonymous(response.json(), key)


def _listing(client: TestClient, world: World, tier: Tier, url: str) -> dict[str, Any]:
    response = client.get(url, headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    _named_tier(document, tier)
    assert all(v["tier"] == tier.value for v in document["variants"])
    return document


def api_region(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    document = _listing(client, world, tier, f"/api/frequency/regions/{_window(key)}")
    return key in {v["variant"] for v in document["variants"]}


def api_gene(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    document = _listing(client, world, tier, f"/api/frequency/genes/{GENE}")
    return key in {v["variant"] for v in document["variants"]}


def _beacon(client: TestClient, world: World, tier: Tier, params: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/beacon/g_variants", params=params, headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert document["info"]["tier"] == tier.value
    return document


def _sequence(key: str) -> dict[str, str]:
    v = parse_variant_key(key)
    return {
        "referenceName": v.chrom.removeprefix("chr"),
        "start": str(v.pos_1based - 1),
        "referenceBases": v.ref,
        "alternateBases": v.alt,
        "requestedGranularity": "record",
    }


def beacon_sequence(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    document = _beacon(client, world, tier, _sequence(key))
    document["meta"].pop("receivedRequestSummary")
    return _anonymous(document, key)


def beacon_by_id(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    response = client.get(f"/api/beacon/g_variants/{key}", headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    document = response.json()
    document["meta"].pop("receivedRequestSummary")
    return _anonymous(document, key)


def beacon_range(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    v = parse_variant_key(key)
    params = {
        "referenceName": v.chrom.removeprefix("chr"),
        "start": str(v.pos_1based - 201),
        "end": str(v.pos_1based + 200),
        "requestedGranularity": "record",
        "limit": "1000",
    }
    document = _beacon(client, world, tier, params)
    count = document["responseSummary"].get("numTotalResults")
    listed = _listing(client, world, tier, f"/api/frequency/regions/{_window(key)}")
    assert count == listed["n_variants"]  # the Beacon counts exactly what the listing lists
    if document["meta"]["returnedGranularity"] != "record":  # the public tier: a count, of what the listing lists
        return key in {v["variant"] for v in listed["variants"]}
    results = document["response"]["resultSets"][0]["results"]
    return key in {r["variantInternalId"] for r in results}


def beacon_gene(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    document = _beacon(client, world, tier, {"geneId": GENE, "requestedGranularity": "count", "limit": "0"})
    listed = _listing(client, world, tier, f"/api/frequency/genes/{GENE}")
    assert document["responseSummary"].get("numTotalResults") == listed["n_variants"]
    return document["responseSummary"].get("numTotalResults")


def _page(client: TestClient, world: World, tier: Tier, url: str) -> str:
    response = client.get(url, headers=_headers(world, tier))
    assert response.status_code == 200, response.text
    return response.text


def web_variant_page(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    html = _page(client, world, tier, f"/variant/{key}")
    assert f"shown at tier <strong>{tier.value}</strong>" in html
    v = parse_variant_key(key)
    html = html.replace(key, "<KEY>").replace(key.removeprefix("chr"), "<KEY>")  # links out name it without chr
    return html.replace(f"{v.ref}&gt;{v.alt}", "<CHANGE>").replace(f"{v.ref}>{v.alt}", "<C>")


def web_neighbours(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    """Whether the previous/next links of the variant's revealed neighbours name it."""
    v = parse_variant_key(key)
    with FrequencyDatabase(world.instance) as database:
        around = database.lookup_region(_window(key, 2000), tier).variants
    before = [f for f in around if f.variant < v][-1:]
    after = [f for f in around if f.variant > v][:1]
    return any(key in _page(client, world, tier, f"/variant/{f.key}") for f in before + after)


def web_region_page(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    html = _page(client, world, tier, f"/region/{_window(key)}")
    assert f"shown at tier <strong>{tier.value}</strong>" in html
    plot = html[html.index("<svg") : html.index("</svg>")]
    return key in html, key in plot


def web_gene_page(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    html = _page(client, world, tier, f"/gene/{GENE}")
    assert f"shown at tier <strong>{tier.value}</strong>" in html
    plot = html[html.index("<svg") : html.index("</svg>")]
    return key in html, key in plot


def web_csv(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    gene = _page(client, world, tier, f"/gene/{GENE}/variants.csv")
    region = _page(client, world, tier, f"/region/{_window(key)}/variants.csv")
    for text in (gene, region):
        rows = text.splitlines()[1:]
        assert all(row.endswith(f",{tier.value}") for row in rows), rows[:3]
    return key in gene, key in region


def _cli(world: World, *args: str) -> str:
    from genomdb.cli.app import app

    home = world.instance.settings.resolved_home()
    env = {"COLUMNS": "200", "GENOMDB_HOME": str(home), **WORLD_FLOOR_ENV}
    if world.instance.settings.database_url:
        env["GENOMDB_DATABASE_URL"] = world.instance.settings.database_url
    tier = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--tier"), "public")
    if tier != "public" or args[:2] == ("classify", "show"):
        env["GENOMDB_USER"] = "clin-rh"  # higher tiers (and controlled-tier evidence) need an entitled user
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def cli_freq(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    shown = json.loads(_cli(world, "freq", key, "--json", "--tier", tier.value))
    _named_tier(shown, tier)
    table = _cli(world, "freq", key, "--tier", tier.value)
    assert f"tier {tier.value}" in table
    return _anonymous(shown, key), table.replace(key, "<KEY>")


def cli_freq_listing(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    tsv = _cli(world, "freq", _window(key), "--tsv", "--tier", tier.value)
    assert all(line.split("\t")[1] == tier.value for line in tsv.splitlines()[1:])
    gene = _cli(world, "freq", "--gene", GENE, "--tier", tier.value)
    assert f"tier {tier.value}" in gene
    return key in tsv, key in gene


def cli_annotate(client: TestClient, world: World, trio: Trio, tier: Tier, key: str) -> Answer:
    v = parse_variant_key(key)
    folder = world.folder / "matrix-annotate"
    folder.mkdir(exist_ok=True)
    source = folder / f"{tier.value}-{v.alt}.vcf"
    source.write_text(
        "##fileformat=VCFv4.2\n"
        f"##contig=<ID={v.chrom}>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"{v.chrom}\t{v.pos_1based}\t.\t{v.ref}\t{v.alt}\t.\t.\t.\n"
    )
    target = folder / f"{tier.value}-{v.alt}.out.vcf"
    printed = _cli(world, "freq", "annotate", str(source), "-o", str(target), "--tier", tier.value)
    assert f"tier {tier.value}" in printed
    with pysam.VariantFile(str(target)) as annotated:
        assert f"tier={tier.value}" in str(annotated.header)
        return dict(next(iter(annotated)).info)


SURFACES: dict[str, Surface] = {
    "REST variant": api_variant,
    "REST bulk": api_bulk,
    "REST region listing": api_region,
    "REST gene listing": api_gene,
    "Beacon sequence query": beacon_sequence,
    "Beacon variant by id": beacon_by_id,
    "Beacon range query": beacon_range,
    "Beacon gene query": beacon_gene,
    "browser variant page": web_variant_page,
    "browser neighbour links": web_neighbours,
    "browser region table + plot": web_region_page,
    "browser gene table + plot": web_gene_page,
    "browser CSV": web_csv,
    "CLI freq": cli_freq,
    "CLI freq listings": cli_freq_listing,
    "CLI freq annotate": cli_annotate,
}
LISTINGS = {
    "REST region listing",
    "REST gene listing",
    "Beacon range query",
    "browser neighbour links",
    "browser region table + plot",
    "browser gene table + plot",
    "browser CSV",
    "CLI freq listings",
}
"""Surfaces whose answer is whether the variant is named (True) or which tuple of places name it."""


def _named(answer: Answer) -> bool:
    return any(answer) if isinstance(answer, tuple) else bool(answer)


@pytest.mark.parametrize("tier", TIERS, ids=[t.value for t in TIERS])
@pytest.mark.parametrize("surface", list(SURFACES), ids=list(SURFACES))
def test_disclosure_matrix(client: TestClient, world: World, trio: Trio, surface: str, tier: Tier) -> None:
    ask = SURFACES[surface]
    above, under, absent = (ask(client, world, trio, tier, key) for key in (trio.above, trio.under, trio.absent))
    if surface == "Beacon gene query":  # a count over the gene: the same whichever variant is asked about
        return
    if surface in LISTINGS:
        assert _named(above) or surface == "browser neighbour links"  # (a neighbour may be far away)
        assert not _named(absent)
        assert _named(under) == (tier is not Tier.PUBLIC), (surface, tier, under)
        return
    if tier is Tier.PUBLIC:
        assert under == absent, f"{surface}: under the floor differs from not observed at the public tier"
        assert above != absent
    else:
        assert under != absent, f"{surface}: the {tier} tier should see that the variant exists"


def test_classification_views_name_their_tier(client: TestClient, world: World, trio: Trio) -> None:
    """The national frequency in the classification views is the controlled tier's, and says so; callers who
    may not use that tier get no number at all (and the same refusal for every variant)."""
    refusals = set()
    for key in (trio.under, trio.absent):
        url = f"/api/classifications/variants/{key}/frequency-evidence"
        for role in (None, Role.RESEARCHER):
            response = client.get(url, headers=world.headers(role))
            assert response.status_code in (401, 403)
            refusals.add((role, response.status_code, response.json()["detail"].replace(key, "<KEY>")))
        shown = client.get(url, headers=world.headers(Role.CLINICIAN))
        assert shown.status_code == 200, shown.text
        observation = shown.json()["observation"]
        assert observation is None or observation["tier"] == "controlled"
    assert len(refusals) == 2
    printed = _cli(world, "classify", "show", world.classified)
    assert re.search(r"national frequency \(controlled tier\): AC \d+ / AN \d+", printed), printed


def test_surfaces_get_disclosed_records_only() -> None:
    """Structurally: outside the frequency package nothing imports the exact-count reader or the raw counts, so
    every surface can only show what :func:`~genomdb.frequency.disclosure.disclose` produced."""
    raw = {"ReleaseReader", "RawStratumCounts", "disclose", "variant_counts", "region_counts"}
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "frequency"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("genomdb.frequency"):
                found += [f"{path.relative_to(PACKAGE)}: {a.name}" for a in node.names if a.name in raw]
            if isinstance(node, ast.Attribute) and node.attr in {"_reader", "variant_counts", "region_counts"}:
                found.append(f"{path.relative_to(PACKAGE)}: .{node.attr}")
    assert found == []
