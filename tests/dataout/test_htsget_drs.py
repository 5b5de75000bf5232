"""htsget tickets decode to the records samtools/bcftools give for the same region; DRS objects describe files."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pysam
import pytest

from genomdb.access.grants import create_grant
from genomdb.access.records import Actor, CatalogQuery, GenomicInterval, GrantScope, NewGrant, Purpose
from genomdb.access.research import project_pseudonyms
from genomdb.dataout.block_grants import BlockGrant, block_key, expiry
from genomdb.dataout.drs import drs_object
from genomdb.dataout.htsget import fetch_ticket, htsget_ticket, read_block
from genomdb.dataout.requests import set_tier
from genomdb.errors import Forbidden, InvalidInput, NotFound, Unavailable
from genomdb.model.catalog import StorageTier
from tests.dataout.conftest import BCF_SAMPLE, PROBAND, World, submit_bcf


def _run(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


def _reads(path: Path, reference: Path, region: str | None = None) -> list[str]:
    if region is not None and path.suffix in (".bam", ".cram") and not Path(f"{path}.bai").exists():
        pysam.index(str(path))
    return _run("samtools", "view", "-T", str(reference), str(path), *([region] if region else [])).splitlines()


def _variants(path: Path, region: str | None = None) -> list[str]:
    if region is not None:
        pysam.tabix_index(str(path), preset="vcf", force=True)
    return _run("bcftools", "view", "-H", *(["-r", region] if region else []), str(path)).splitlines()


def _ticket_data(
    world: World, actor: Actor, tmp_path: Path, name: str, **kwargs: object
) -> tuple[dict[str, object], Path]:
    ticket = htsget_ticket(world.instance, actor, **kwargs)  # type: ignore[arg-type]
    data = fetch_ticket(world.instance, actor, ticket)
    path = tmp_path / name
    path.write_bytes(data)
    return ticket, path


REGIONS = [(10_000, 10_400), (0, 30_000), (13_333, 21_000), (29_000, 40_000)]


@pytest.mark.parametrize("fmt", ["BAM", "CRAM"])
def test_read_tickets_decode_to_the_records_samtools_gives(world: World, tmp_path: Path, fmt: str) -> None:
    chrom, start, _ = world.kit.window
    original = world.kit.folder / "proband" / f"{PROBAND}.{fmt.lower()}"
    for first, last in REGIONS:
        begin, end = start - 1 + first, start - 1 + last  # htsget: 0-based, end exclusive
        ticket, got = _ticket_data(
            world,
            world.people.own,
            tmp_path,
            f"r{first}.{fmt.lower()}",
            object_id=PROBAND,
            kind="reads",
            reference_name=chrom,
            start=begin,
            end=end,
            format=fmt,
        )
        urls = ticket["htsget"]["urls"]  # type: ignore[index]
        assert urls[0]["class"] == "header" and urls[0]["url"].startswith("data:")
        # a plain local blob is read in place (file:// with a byte range); an object-store blob through blocks
        direct = "file://" if world.instance.settings.store_url is None else "blocks/"
        assert any(direct in u["url"] and u["headers"]["Range"].startswith("bytes=") for u in urls), urls
        region = f"{chrom}:{begin + 1}-{end}"
        expected = _reads(original, world.kit.reference, region)
        assert expected, region
        # the ticket's data may hold extra records around the region (htsget allows that); within it, the same
        assert _reads(got, world.kit.reference, region) == expected
        assert len(_reads(got, world.kit.reference)) < len(_reads(original, world.kit.reference)) or first == 0
    header_only = htsget_ticket(world.instance, world.people.own, PROBAND, format=fmt, class_="header")
    assert [u["class"] for u in header_only["htsget"]["urls"]] == ["header", "body"]
    whole = fetch_ticket(
        world.instance, world.people.own, htsget_ticket(world.instance, world.people.own, PROBAND, format=fmt)
    )
    assert whole == original.read_bytes() or fmt == "BAM"  # a CRAM is served byte for byte
    (tmp_path / "whole").write_bytes(whole)
    assert _reads(tmp_path / "whole", world.kit.reference) == _reads(original, world.kit.reference)


def test_variant_tickets_decode_to_the_records_bcftools_gives(world: World, tmp_path: Path) -> None:
    chrom, start, _ = world.kit.window
    original = world.kit.folder / "proband.g.vcf.gz"
    for first, last in REGIONS:
        begin, end = start - 1 + first, start - 1 + last
        _, got = _ticket_data(
            world,
            world.people.region,
            tmp_path,
            f"v{first}.vcf.gz",
            object_id=PROBAND,
            kind="variants",
            reference_name=chrom,
            start=begin,
            end=end,
        )
        region = f"{chrom}:{begin + 1}-{end}"
        expected = _variants(original, region)
        assert expected and _variants(got, region) == expected
    _, empty = _ticket_data(
        world,
        world.people.region,
        tmp_path,
        "none.vcf.gz",
        object_id=PROBAND,
        kind="variants",
        reference_name="chr13",
        start=32_315_000,
        end=32_316_000,
    )
    assert _variants(empty) == []  # a contig without records: a valid, empty answer


def test_tickets_over_an_encrypted_store_use_service_blocks(sealed_world: World, tmp_path: Path) -> None:
    world = sealed_world
    chrom, start, _ = world.kit.window
    begin, end = start + 20_000, start + 21_000
    ticket = htsget_ticket(
        world.instance,
        world.people.own,
        PROBAND,
        reference_name=chrom,
        start=begin,
        end=end,
        format="CRAM",
        base_url="https://genomdb.example/ga4gh",
    )
    bodies = [u for u in ticket["htsget"]["urls"] if not u["url"].startswith("data:")]
    assert bodies and all(u["url"].startswith("https://genomdb.example/ga4gh/blocks/") for u in bodies)
    got = tmp_path / "sealed.cram"
    got.write_bytes(fetch_ticket(world.instance, world.people.own, ticket))
    region = f"{chrom}:{begin + 1}-{end}"
    original = world.kit.folder / "proband" / f"{PROBAND}.cram"
    assert _reads(got, world.kit.reference, region) == _reads(original, world.kit.reference, region)
    url = urlparse(bodies[0]["url"])
    token, query = url.path.rsplit("/", 1)[1], dict(parse_qsl(url.query))
    with pytest.raises(Forbidden, match="issued to another user"):
        read_block(world.instance, token, query, 0, 100, presenter=world.people.other)
    first = int(bodies[0]["headers"]["Range"].removeprefix("bytes=").split("-")[0])
    assert read_block(world.instance, token, query, first, first + 100) == original.read_bytes()[first : first + 100]


def test_region_restricted_grants_only_yield_tickets_inside_their_regions(world: World, tmp_path: Path) -> None:
    chrom, start, _ = world.kit.window
    granted = GenomicInterval(chrom, start + 15_000, start + 16_000)
    create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(samples=(PROBAND,), regions=(granted,)),
            purpose=Purpose.TREATMENT,
            reference="REF-RM-0009",
            legal_basis="Sundhedsloven § 42 a: referral for treatment",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            grantee_user="aarhus",
        ),
    )
    other = world.people.other
    original = world.kit.folder / "proband" / f"{PROBAND}.bam"
    inside = (granted.start_0based + 100, granted.end_0based_exclusive - 100)
    ticket, got = _ticket_data(
        world, other, tmp_path, "inside.bam", object_id=PROBAND, reference_name=chrom, start=inside[0], end=inside[1]
    )
    region = f"{chrom}:{inside[0] + 1}-{inside[1]}"
    assert _reads(got, world.kit.reference) == _reads(original, world.kit.reference, region)  # exactly, nothing more
    assert all("derived-" in u["url"] or u["url"].startswith(("data:", "file:")) for u in ticket["htsget"]["urls"])
    _, whole = _ticket_data(world, other, tmp_path, "granted.bam", object_id=PROBAND)
    assert _reads(whole, world.kit.reference) == _reads(original, world.kit.reference, str(granted))
    with pytest.raises(Forbidden, match="outside-grant-scope"):
        htsget_ticket(world.instance, other, PROBAND, reference_name=chrom, start=inside[0], end=inside[1] + 5_000)
    raw = world.kit.declared["p-bam"]  # even a validly signed URL for the original is decided again: refused
    signed = BlockGrant(raw, other.username, 0, 999, expiry(60), 0, "").query(block_key(world.instance))
    with pytest.raises(Forbidden, match="limited"):
        read_block(world.instance, raw, signed, 0, 1000)


def test_research_tickets_use_project_ids_and_relabel_the_data(world: World, tmp_path: Path) -> None:
    grant = create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(query=CatalogQuery(region="RH")),
            purpose=Purpose.RESEARCH,
            reference="VEK-H-2026-117",
            legal_basis="Komitéloven § 14: approved research project",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            grantee_user="rita",
            project="PRJ-LIPIDS",
        ),
    )
    pseudonyms = project_pseudonyms(world.instance, grant.project or "")
    alias = pseudonyms.sample(world.proband.sample_key)
    chrom, start, _ = world.kit.window
    _, got = _ticket_data(
        world,
        world.people.researcher,
        tmp_path,
        "research.vcf.gz",
        object_id=alias,
        kind="variants",
        reference_name=chrom,
        start=start + 1_000,
        end=start + 3_000,
    )
    text = _run("bcftools", "view", "--no-version", str(got))
    assert alias in text and PROBAND not in text
    with pytest.raises(Forbidden):  # the clinical id means nothing under a research grant
        htsget_ticket(world.instance, world.people.researcher, PROBAND, kind="variants")
    with pytest.raises(Forbidden):  # opted out: no project id resolves to the mother
        htsget_ticket(
            world.instance, world.people.researcher, pseudonyms.sample(world.mother.sample_key), kind="variants"
        )


def test_bad_htsget_requests_are_invalid_input(world: World) -> None:
    own = world.people.own
    with pytest.raises(InvalidInput, match=r"UnsupportedFormat: .* stored as GVCF"):
        htsget_ticket(world.instance, own, PROBAND, kind="variants", format="BCF")
    with pytest.raises(InvalidInput, match="UnsupportedFormat: encryptionScheme"):
        htsget_ticket(world.instance, own, PROBAND, encryption_scheme="AES")
    with pytest.raises(InvalidInput, match="InvalidRange"):
        htsget_ticket(world.instance, own, PROBAND, reference_name="chr19", start=10, end=5)
    with pytest.raises(InvalidInput, match="referenceName"):
        htsget_ticket(world.instance, own, PROBAND, start=10)
    with pytest.raises(NotFound, match="no reference chrZ"):
        htsget_ticket(world.instance, own, PROBAND, format="BAM", reference_name="chrZ", start=0, end=10)


def test_drs_objects_describe_files_and_cold_ones_are_unavailable(world: World) -> None:
    sha = world.kit.declared["p-cram"]
    found = drs_object(world.instance, world.people.own, sha, host="genomdb.example")
    assert found["id"] == sha and found["self_uri"] == f"drs://genomdb.example/{sha}"
    assert found["size"] == (world.kit.folder / "proband" / f"{PROBAND}.cram").stat().st_size
    assert {c["type"] for c in found["checksums"]} == {"sha-256", "md5"}
    assert found["created_time"].endswith("Z") and found["mime_type"] == "application/vnd.ga4gh.cram"
    assert found["access_methods"][0]["available"] is True
    set_tier(world.instance, world.people.steward, sha, StorageTier.COLD)
    cold = drs_object(world.instance, world.people.own, sha, base_url="https://genomdb.example")
    (method,) = cold["access_methods"]
    assert method["type"] == "https" and method["available"] is False
    assert method["access_url"]["url"].startswith(f"https://genomdb.example/blocks/{sha}?")
    with pytest.raises(Unavailable, match="cold tier"):
        htsget_ticket(world.instance, world.people.own, PROBAND, format="CRAM")
    with pytest.raises(Forbidden, match="deny-by-default"):
        drs_object(world.instance, world.people.other, sha)
    with pytest.raises(Forbidden, match="deny-by-default"):  # unknown ids are refused like inaccessible ones
        drs_object(world.instance, world.people.other, "0" * 64)


def _decrypted(data: bytes, secret_key: bytes, target: Path) -> Path:
    import io

    from crypt4gh import lib

    with target.open("wb") as plain:
        lib.decrypt([(0, secret_key, None)], io.BytesIO(data), plain)
    return target


def test_c4gh_tickets_open_with_the_requesters_key_only(sealed_world: World, tmp_path: Path) -> None:
    world = sealed_world
    chrom, start, _ = world.kit.window
    begin, end = start + 4_000, start + 6_000
    own = world.people.own
    ticket = htsget_ticket(
        world.instance,
        own,
        PROBAND,
        reference_name=chrom,
        start=begin,
        end=end,
        format="CRAM",
        encryption_scheme="c4gh",
    )
    assert ticket["htsget"]["encryptionScheme"] == "C4GH"
    assert ticket["htsget"]["urls"][0]["url"].startswith("data:application/vnd.ga4gh.crypt4gh;base64,")
    sealed = fetch_ticket(world.instance, own, ticket)
    assert sealed[:8] == b"crypt4gh"
    got = _decrypted(sealed, world.secret_key("kg"), tmp_path / "c4gh.cram")
    region = f"{chrom}:{begin + 1}-{end}"
    original = world.kit.folder / "proband" / f"{PROBAND}.cram"
    assert _reads(got, world.kit.reference, region) == _reads(original, world.kit.reference, region)
    assert fetch_ticket(world.instance, own, ticket) == sealed  # blocks are the same bytes every time
    with pytest.raises(ValueError):  # another user's key does not open it
        _decrypted(sealed, world.secret_key("gm"), tmp_path / "other.cram")


def test_c4gh_research_tickets_are_exact_relabelled_slices(world: World, tmp_path: Path) -> None:
    grant = create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(query=CatalogQuery(region="RH")),
            purpose=Purpose.RESEARCH,
            reference="VEK-H-2026-118",
            legal_basis="Komitéloven § 14: approved research project",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            grantee_user="rita",
            project="PRJ-C4GH",
        ),
    )
    alias = project_pseudonyms(world.instance, grant.project or "").sample(world.proband.sample_key)
    chrom, start, _ = world.kit.window
    researcher = world.people.researcher
    ticket = htsget_ticket(
        world.instance,
        researcher,
        alias,
        kind="variants",
        reference_name=chrom,
        start=start + 1_000,
        end=start + 3_000,
        encryption_scheme="C4GH",
    )
    got = _decrypted(fetch_ticket(world.instance, researcher, ticket), world.secret_key("rita"), tmp_path / "r.vcf.gz")
    text = _run("bcftools", "view", "--no-version", str(got))
    assert alias in text and PROBAND not in text
    region = f"{chrom}:{start + 1_001}-{start + 3_000}"
    assert _variants(got) == _variants(world.kit.folder / "proband.g.vcf.gz", region)


def test_bcf_under_a_region_restricted_grant_is_an_exact_bcf_slice(world: World, tmp_path: Path) -> None:
    bcf = submit_bcf(world.instance, world.kit, tmp_path / "bcf")
    chrom, start, _ = world.kit.window
    granted = GenomicInterval(chrom, start + 5_000, start + 9_000)
    create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(samples=(BCF_SAMPLE,), regions=(granted,)),
            purpose=Purpose.TREATMENT,
            reference="REF-RM-0010",
            legal_basis="Sundhedsloven § 42 a: referral for treatment",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            grantee_user="aarhus",
        ),
    )
    other = world.people.other
    ticket, got = _ticket_data(
        world, other, tmp_path, "granted.bcf", object_id=BCF_SAMPLE, kind="variants", format="BCF"
    )
    assert ticket["htsget"]["format"] == "BCF"  # type: ignore[index]
    subprocess.run(["bcftools", "index", "-f", str(bcf)], check=True)
    expected = _run("bcftools", "view", "-H", "-r", str(granted), str(bcf)).splitlines()
    assert expected and _run("bcftools", "view", "-H", str(got)).splitlines() == expected
    with pytest.raises(InvalidInput, match=r"UnsupportedFormat: .* stored as BCF"):
        htsget_ticket(world.instance, world.people.own, BCF_SAMPLE, kind="variants")
