"""GA4GH over HTTP: htsget tickets whose blocks (fetched through the service with Range) decode to the records
samtools/bcftools give for the region, the access policy behind them, and DRS objects of stored files."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pysam
import pytest
from fastapi.testclient import TestClient

from genomdb.access.records import Role
from genomdb.model.catalog import SearchFilters, StoredFile
from tests.api.world import World

pytestmark = pytest.mark.skipif(
    shutil.which("samtools") is None or shutil.which("bcftools") is None, reason="needs samtools and bcftools"
)


def _child(world: World, department: str) -> tuple[str, StoredFile]:
    """The key of the department's sample with a BAM, and that BAM."""
    for summary in world.instance.catalog.search(SearchFilters(department=department, file_format="BAM", limit=10)):
        detail = world.instance.catalog.sample(summary.sample_key)
        bam = next((f for f in detail.files if f.format == "BAM"), None)
        if bam is not None:
            return summary.sample_key, bam
    raise AssertionError(f"{department} has no sample with a BAM")


def _fetch(client: TestClient, world: World, role: Role, ticket: dict[str, Any]) -> bytes:
    """Every URL of a ticket: inline data, and the service's block URLs with the ticket's Range headers."""
    blocks = []
    for entry in ticket["htsget"]["urls"]:
        url: str = entry["url"]
        if url.startswith("data:"):
            blocks.append(base64.b64decode(url.split(",", 1)[1]))
            continue
        assert url.startswith("http://testserver/htsget/blocks/"), url
        response = client.get(url, headers=entry["headers"])  # the URL's signed grant is the credential
        assert response.status_code == 206, response.text
        assert response.headers["content-range"].startswith(entry["headers"]["Range"].replace("=", " ", 1))
        blocks.append(response.content)
    return b"".join(blocks)


def _run(*command: str) -> list[str]:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout.splitlines()


def test_reads_ticket_blocks_decode_to_the_records_samtools_gives(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    key, bam = _child(world, "RH-KG")
    original = tmp_path / "original.bam"
    shutil.copyfile(world.folder / "RH-KG" / "child.bam", original)
    pysam.index(str(original))
    for begin, end in ((1_000, 2_000), (0, 500), (2_500, 40_000)):
        response = client.get(
            f"/htsget/reads/{key}",
            params={"referenceName": "chr1", "start": begin, "end": end, "format": "BAM"},
            headers=world.headers(Role.SUBMITTER),
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.ga4gh.htsget")
        ticket = response.json()
        assert ticket["htsget"]["format"] == "BAM"
        got = tmp_path / f"got-{begin}.bam"
        got.write_bytes(_fetch(client, world, Role.SUBMITTER, ticket))
        pysam.index(str(got))
        region = f"chr1:{begin + 1}-{end}"
        expected = _run("samtools", "view", str(original), region)
        assert expected, region
        with pysam.AlignmentFile(str(got)) as alignments:
            decoded = [r.to_string() for r in alignments.fetch("chr1", begin, end)]
        assert decoded == expected
    by_sha = client.get(
        f"/htsget/reads/{bam.sha256}", params={"class": "header"}, headers=world.headers(Role.SUBMITTER)
    )
    assert by_sha.status_code == 200, by_sha.text
    assert [u["class"] for u in by_sha.json()["htsget"]["urls"]] == ["header", "body"]


def test_variants_ticket_blocks_decode_to_the_records_bcftools_gives(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    key, _ = _child(world, "RH-KG")
    original = tmp_path / "original.g.vcf.gz"
    shutil.copyfile(world.folder / "RH-KG" / "child.g.vcf.gz", original)
    pysam.tabix_index(str(original), preset="vcf", force=True)
    for chrom, begin, end in (("chr1", 9_999, 10_000), ("chr1", 9_500, 15_000), ("chr2", 0, 10_000)):
        response = client.get(
            f"/htsget/variants/{key}",
            params={"referenceName": chrom, "start": begin, "end": end},
            headers=world.headers(Role.SUBMITTER),
        )
        assert response.status_code == 200, response.text
        got = tmp_path / f"got-{chrom}-{begin}.vcf.gz"
        got.write_bytes(_fetch(client, world, Role.SUBMITTER, response.json()))
        pysam.tabix_index(str(got), preset="vcf", force=True)
        region = f"{chrom}:{begin + 1}-{end}"
        expected = _run("bcftools", "view", "-H", "-r", region, str(original))
        assert expected, region
        with pysam.VariantFile(str(got)) as records:
            decoded = [str(r).rstrip("\n") for r in records.fetch(chrom, begin, end)]
        assert decoded == expected


def test_htsget_refusals_use_htsget_errors(client: TestClient, world: World) -> None:
    key, bam = _child(world, "RM-KG")
    params = {"referenceName": "chr1", "start": 0, "end": 1_000}
    refused = client.get(f"/htsget/reads/{key}", params=params, headers=world.headers(Role.CLINICIAN))
    assert refused.status_code == 403, refused.text
    assert refused.json()["htsget"]["error"] == "PermissionDenied"
    block = client.get(f"/htsget/blocks/{bam.sha256}", headers={**world.headers(Role.CLINICIAN), "Range": "bytes=0-99"})
    assert block.status_code == 401  # a block URL without its ticket's grant: a token is not enough
    anonymous = client.get(f"/htsget/reads/{key}", params=params)
    assert anonymous.status_code == 401
    assert anonymous.json()["htsget"]["error"] == "InvalidAuthentication"
    own_key, _ = _child(world, "RH-KG")
    submitter = world.headers(Role.SUBMITTER)
    cram = client.get(f"/htsget/reads/{own_key}", params={"format": "CRAM"}, headers=submitter)
    assert cram.status_code == 400 and cram.json()["htsget"]["error"] == "UnsupportedFormat"
    backwards = client.get(
        f"/htsget/reads/{own_key}", params={"referenceName": "chr1", "start": 10, "end": 5}, headers=submitter
    )
    assert backwards.status_code == 400 and backwards.json()["htsget"]["error"] == "InvalidRange"
    missing = client.get(f"/htsget/reads/{own_key}", params={"referenceName": "chrUn_nowhere"}, headers=submitter)
    assert missing.status_code == 404 and missing.json()["htsget"]["error"] == "NotFound"
    ticket = client.get(f"/htsget/reads/{own_key}", params={"format": "BAM"}, headers=submitter).json()
    signed = next(u["url"] for u in ticket["htsget"]["urls"] if u["url"].startswith("http"))
    bad_range = client.get(signed, headers={"Range": "bytes=5"})
    assert bad_range.status_code == 400 and bad_range.json()["htsget"]["error"] == "InvalidRange"


def test_drs_object_checksum_is_the_stored_files_sha256(client: TestClient, world: World) -> None:
    _, bam = _child(world, "RH-KG")
    original = (world.folder / "RH-KG" / "child.bam").read_bytes()
    response = client.get(f"/ga4gh/drs/v1/objects/{bam.sha256}", headers=world.headers(Role.SUBMITTER))
    assert response.status_code == 200, response.text
    found = response.json()
    checksums = {c["type"]: c["checksum"] for c in found["checksums"]}
    assert checksums["sha-256"] == bam.sha256 == hashlib.sha256(original).hexdigest()
    assert found["id"] == bam.sha256 and found["size"] == len(original)
    assert found["self_uri"] == f"drs://testserver/{bam.sha256}"
    (method,) = found["access_methods"]
    assert method["type"] == "https"
    url = method["access_url"]["url"]
    assert url.startswith(f"http://testserver/htsget/blocks/{bam.sha256}?")
    head = client.get(url, headers={"Range": "bytes=0-99"})  # the signed URL needs no token
    assert head.status_code == 206 and head.content == original[:100]
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == original
    _, other_bam = _child(world, "RM-KG")
    refused = client.get(f"/ga4gh/drs/v1/objects/{other_bam.sha256}", headers=world.headers(Role.CLINICIAN))
    assert refused.status_code == 403 and refused.json()["status_code"] == 403
    assert client.get(f"/ga4gh/drs/v1/objects/{bam.sha256}").status_code == 401


def test_htsget_service_info_validates_against_the_ga4gh_service_info_schema(
    client: TestClient, beacon_dir: Path
) -> None:
    from tests.api.beacon_schemas import RESPONSES, BeaconSchemas

    schemas = BeaconSchemas(beacon_dir)
    for kind, formats in (("reads", ["BAM", "CRAM"]), ("variants", ["VCF", "BCF"])):
        response = client.get(f"/htsget/{kind}/service-info")
        assert response.status_code == 200
        body = response.json()
        schemas.check(body, f"{RESPONSES}ga4gh-service-info-1-0-0-schema.json")
        assert body["type"] == {"group": "org.ga4gh", "artifact": "htsget", "version": "1.3.0"}
        assert body["htsget"] == {
            "datatype": kind,
            "formats": formats,
            "fieldsParameterEffective": False,
            "tagsParametersEffective": False,
        }


def test_the_access_log_shows_block_urls_without_their_signature() -> None:
    import logging

    from genomdb.api.app import HideBlockGrants

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ("127.0.0.1:5", "GET", "/htsget/blocks/abc?v=1&u=kg&sig=SECRET-SIGNATURE&a=0", "1.1", 206)
    assert HideBlockGrants().filter(record)
    message = record.getMessage()
    assert "SECRET-SIGNATURE" not in message and "sig=…" in message and "u=kg" in message
