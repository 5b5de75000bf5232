"""The GA4GH reference htsget client (``htsget`` from PyPI) against a running ``genomdb serve`` over loopback.

The client sends the bearer token to the ticket request only; every block it then fetches must work with what
the ticket gives (the signed grant in the URL and the Range header). What it assembles must decode to the
records ``samtools view`` / ``bcftools view`` give for the same region of the submitted file, plain and as
crypt4gh for the user's registered key. Block URLs without their grant, expired, altered or presented by
another user are refused.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import httpx
import pysam
import pytest

from genomdb.access.tokens import create_token
from genomdb.config import Settings
from genomdb.dataout.block_grants import BlockGrant, block_key
from genomdb.instance import Instance, init_instance
from tests.conftest import IN_CI
from tests.dataout.conftest import BCF_SAMPLE, PROBAND, Kit, build_world, submit_bcf

try:
    import htsget
except ImportError:
    if IN_CI:  # a test dependency: in CI its absence is a failure, never a skip
        raise
    pytest.skip("the reference client is a test dependency: pip install -e '.[test]'", allow_module_level=True)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("samtools") is None or shutil.which("bcftools") is None, reason="needs samtools and bcftools"
    ),
]


@dataclass(frozen=True)
class Served:
    url: str
    settings: Settings
    kit: Kit
    tokens: dict[str, str]
    """username → API token."""
    secret_keys: dict[str, bytes]
    bcf: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(
    kit: Kit, recipient_keys: dict[str, tuple[Path, Path]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    settings = Settings(home=folder / "home")
    init_instance(settings)
    with Instance.open(settings) as instance:
        world = build_world(instance, kit, recipient_keys)
        bcf = submit_bcf(instance, kit, folder)
        tokens = {name: create_token(instance, world.people.admin, name).secret for name in ("kg", "aarhus")}
        secret_keys = {name: world.secret_key(name) for name in ("kg",)}
    port = _free_port()
    genomdb = Path(sys.executable).with_name("genomdb")
    env = {**os.environ, "GENOMDB_HOME": str(settings.home)}
    server = subprocess.Popen(
        [str(genomdb), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"genomdb serve did not start: {server.stderr.read().decode() if server.stderr else ''}"
                )
            time.sleep(0.2)
        yield Served(url, settings, kit, tokens, secret_keys, bcf)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _client_fetch(served: Served, path: str, out: Path, **kwargs: Any) -> Path:
    """What the reference client writes, given only the bearer token."""
    with out.open("wb") as handle:
        htsget.get(f"{served.url}{path}", handle, bearer_token=served.tokens["kg"], max_retries=0, **kwargs)
    return out


def _decrypt(served: Served, sealed: Path, target: Path) -> Path:
    from crypt4gh import lib

    with sealed.open("rb") as source, target.open("wb") as plain:
        lib.decrypt([(0, served.secret_keys["kg"], None)], source, plain)
    return target


def _samtools(path: Path, reference: Path, region: str | None) -> list[str]:
    if region is not None and not Path(f"{path}.bai").exists() and not Path(f"{path}.crai").exists():
        pysam.index(str(path))
    command = ["samtools", "view", "-T", str(reference), str(path), *([region] if region else [])]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()


def _bcftools(path: Path, region: str | None) -> list[str]:
    if region is not None:
        subprocess.run(["bcftools", "index", "-f", str(path)], check=True, capture_output=True)
    command = ["bcftools", "view", "-H", *(["-r", region] if region else []), str(path)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "c4gh"])
@pytest.mark.parametrize("fmt", ["BAM", "CRAM"])
def test_reference_client_fetches_reads(served: Served, tmp_path: Path, fmt: str, encrypted: bool) -> None:
    chrom, start, _ = served.kit.window
    original = served.kit.folder / "proband" / f"{PROBAND}.{fmt.lower()}"
    query = "?encryptionScheme=C4GH" if encrypted else ""
    for label, region in (("whole", None), ("region", (start - 1 + 12_000, start - 1 + 14_500))):
        kwargs: dict[str, Any] = {"data_format": fmt}
        if region is not None:
            kwargs.update(reference_name=chrom, start=region[0], end=region[1])
        got = _client_fetch(served, f"/htsget/reads/{PROBAND}{query}", tmp_path / f"{label}.{fmt.lower()}", **kwargs)
        if encrypted:
            assert got.read_bytes()[:8] == b"crypt4gh"
            got = _decrypt(served, got, tmp_path / f"{label}.plain.{fmt.lower()}")
        samtools_region = f"{chrom}:{region[0] + 1}-{region[1]}" if region else None
        expected = _samtools(original, served.kit.reference, samtools_region)
        assert expected
        assert _samtools(got, served.kit.reference, samtools_region) == expected
        if region is None and fmt == "CRAM":
            assert got.read_bytes() == original.read_bytes()  # a whole CRAM is the stored bytes


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "c4gh"])
def test_reference_client_fetches_variants_as_vcf_and_bcf(served: Served, tmp_path: Path, encrypted: bool) -> None:
    chrom, start, _ = served.kit.window
    query = "?encryptionScheme=C4GH" if encrypted else ""
    cases = (
        (PROBAND, "VCF", served.kit.folder / "proband.g.vcf.gz", ".vcf.gz"),
        (BCF_SAMPLE, "BCF", served.bcf, ".bcf"),
    )
    for sample, fmt, original, suffix in cases:
        for label, region in (("whole", None), ("region", (start - 1 + 3_000, start - 1 + 9_000))):
            kwargs: dict[str, Any] = {"data_format": fmt}
            if region is not None:
                kwargs.update(reference_name=chrom, start=region[0], end=region[1])
            got = _client_fetch(served, f"/htsget/variants/{sample}{query}", tmp_path / f"{label}{suffix}", **kwargs)
            if encrypted:
                got = _decrypt(served, got, tmp_path / f"{label}.plain{suffix}")
            if fmt == "BCF":
                assert got.read_bytes()[:2] == b"\x1f\x8b" and pysam.VariantFile(str(got)).is_bcf
            bcftools_region = f"{chrom}:{region[0] + 1}-{region[1]}" if region else None
            expected = _bcftools(original, bcftools_region)
            assert expected
            assert _bcftools(got, bcftools_region) == expected


def test_reference_client_command_line_with_only_a_bearer_token(served: Served, tmp_path: Path) -> None:
    chrom, start, _ = served.kit.window
    out = tmp_path / "cli.bam"
    command = [
        str(Path(sys.executable).with_name("htsget")),
        f"{served.url}/htsget/reads/{PROBAND}",
        "--format", "BAM", "--reference-name", chrom, "--start", str(start + 20_000), "--end", str(start + 21_000),
        "--bearer-token", served.tokens["kg"], "--output", str(out), "--max-retries", "0",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    region = f"{chrom}:{start + 20_001}-{start + 21_000}"
    original = served.kit.folder / "proband" / f"{PROBAND}.bam"
    assert _samtools(out, served.kit.reference, region) == _samtools(original, served.kit.reference, region)


def _ticket(served: Served, user: str, **params: str) -> dict[str, Any]:
    response = httpx.get(
        f"{served.url}/htsget/reads/{PROBAND}",
        params={"format": "BAM", **params},
        headers={"Authorization": f"Bearer {served.tokens[user]}"},
    )
    assert response.status_code == 200, response.text
    ticket: dict[str, Any] = response.json()["htsget"]
    return ticket


def test_block_urls_need_their_grant_and_refuse_tampering_expiry_and_other_users(served: Served) -> None:
    ticket = _ticket(served, "kg")
    block = next(u for u in ticket["urls"] if u["url"].startswith("http"))
    url, range_header = urlparse(block["url"]), block["headers"]
    assert httpx.get(block["url"], headers=range_header).status_code == 206  # the grant alone suffices
    bare = f"{served.url}{url.path}"
    token = {"Authorization": f"Bearer {served.tokens['kg']}"}
    without = httpx.get(bare, headers={**range_header, **token})  # even with the owner's API token
    assert without.status_code == 401 and without.json()["htsget"]["error"] == "InvalidAuthentication"
    query = dict(parse_qsl(url.query))
    tampered = {**query, "b": str(int(query["b"]) + 1_000_000)}
    assert httpx.get(f"{bare}?{urlencode(tampered)}", headers=range_header).status_code == 401
    outside = httpx.get(block["url"], headers={"Range": f"bytes={int(query['b']) + 1}-{int(query['b']) + 10}"})
    assert outside.status_code == 400 and outside.json()["htsget"]["error"] == "InvalidRange"
    with Instance.open(served.settings) as instance:  # a correctly signed grant that has expired
        grant = BlockGrant(url.path.rsplit("/", 1)[1], "kg", int(query["a"]), int(query["b"]), int(time.time()) - 1,
                           int(query["d"]), query.get("g", ""))  # fmt: skip
        expired = grant.url(f"{served.url}/htsget", block_key(instance))
    response = httpx.get(expired, headers=range_header)
    assert response.status_code == 401 and "expired" in response.json()["htsget"]["message"]
    other_user = httpx.get(block["url"], headers={**range_header, "Authorization": f"Bearer {served.tokens['aarhus']}"})
    assert other_user.status_code == 403 and other_user.json()["htsget"]["error"] == "PermissionDenied"
    refused = httpx.get(
        f"{served.url}/htsget/reads/{PROBAND}", headers={"Authorization": f"Bearer {served.tokens['aarhus']}"}
    )
    assert refused.status_code == 403  # aarhus (another region) gets no ticket of its own either


def test_c4gh_needs_a_registered_key_and_service_info_follows_the_spec(served: Served) -> None:
    with Instance.open(served.settings) as instance:
        from genomdb.access.records import Role
        from genomdb.access.users import add_user, resolve_actor

        admin = resolve_actor(instance, "root")
        add_user(instance, admin, "nokey", role=Role.CLINICIAN, department="RH-KG")
        nokey = create_token(instance, admin, "nokey").secret
    response = httpx.get(
        f"{served.url}/htsget/reads/{PROBAND}",
        params={"encryptionScheme": "C4GH"},
        headers={"Authorization": f"Bearer {nokey}"},
    )
    assert response.status_code == 400
    assert "no delivery key" in response.json()["htsget"]["message"]
    for kind, formats in (("reads", ["BAM", "CRAM"]), ("variants", ["VCF", "BCF"])):
        info = httpx.get(f"{served.url}/htsget/{kind}/service-info")
        assert info.status_code == 200
        body = info.json()
        assert body["type"] == {"group": "org.ga4gh", "artifact": "htsget", "version": "1.3.0"}
        assert {"id", "name", "organization", "version"} <= set(body)
        assert body["htsget"]["datatype"] == kind and body["htsget"]["formats"] == formats


def test_data_uris_are_what_the_reference_client_reads(served: Served, tmp_path: Path) -> None:
    from htsget.protocol import DownloadManager

    ticket = _ticket(served, "kg", **{"class": "header"})
    assert [u["class"] for u in ticket["urls"]] == ["header", "body"]
    assert all(u["url"].startswith("data:application/vnd.ga4gh.bam;base64,") for u in ticket["urls"])
    sink = io.BytesIO()
    manager = DownloadManager("http://unused/", sink)
    for entry in ticket["urls"]:  # the client's own decoding of data: URIs
        manager._handle_data_uri(urlparse(entry["url"]))
    header = tmp_path / "header.bam"
    header.write_bytes(sink.getvalue())
    with pysam.AlignmentFile(str(header)) as bam:
        assert served.kit.window[0] in bam.references
        assert list(bam) == []
