"""Working copies end to end: decided, built, sealed for the recipient, fetched, decrypted and checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genomdb.access.grants import create_grant
from genomdb.access.policy import Policy
from genomdb.access.records import AuditFilters, CatalogQuery, GenomicInterval, GrantScope, NewGrant, Purpose
from genomdb.dataout.assembly import package_dir
from genomdb.dataout.packages import fetch_package
from genomdb.dataout.records import CopyRequest, RequestStatus
from genomdb.dataout.requests import process_waiting_requests, request_copy, request_status, set_tier
from genomdb.dataout.sealing import decrypt_for_recipient
from genomdb.dataout.sources import stored_blob
from genomdb.errors import Forbidden, Unavailable
from genomdb.model.catalog import StorageTier
from tests.dataout.conftest import BCF_SAMPLE, MOTHER, PROBAND, World, submit_bcf
from tests.dataout.factory import offline_cold_policy


@dataclass
class Opened:
    folder: Path
    manifest: dict[str, Any]
    metadata: dict[str, Any]
    files: dict[str, Path]


def open_package(world: World, username: str, request_id: str, target: Path) -> Opened:
    """Fetch a package as its recipient and decrypt every part with the recipient's secret key."""
    actor = {p.username: p for p in vars(world.people).values()}[username]
    fetch_package(world.instance, actor, request_id, target)
    plain = target / "plain"
    plain.mkdir()
    files = {}
    for part in json.loads((target / "package.json").read_text())["parts"]:
        name = part["name"].removesuffix(".c4gh")
        with (target / part["name"]).open("rb") as sealed, (plain / name).open("wb") as out:
            decrypt_for_recipient(sealed, out, secret_key=world.secret_key(username))
        files[name] = plain / name
    manifest = json.loads(files.pop("manifest.json").read_text())
    metadata = json.loads(files["metadata.json"].read_text())
    return Opened(plain, manifest, metadata, files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checksums_verify(opened: Opened) -> None:
    for entry in opened.manifest["files"]:
        assert _sha256(opened.files[entry["name"]]) == entry["sha256"], entry["name"]


def test_whole_files_arrive_identical_to_what_was_submitted(world: World, tmp_path: Path) -> None:
    state = request_copy(world.instance, world.people.own, CopyRequest(samples=(PROBAND,), formats=("CRAM", "GVCF")))
    assert state.status == RequestStatus.READY and state.purpose == "treatment"
    opened = open_package(world, "kg", state.request_id, tmp_path / "got")
    _checksums_verify(opened)
    cram = opened.files["RH-KG-D0001.cram"]
    assert _sha256(cram) == world.kit.declared["p-cram"]  # the checksum the submitter declared at data-in
    assert _sha256(opened.files["proband.g.vcf.gz"]) == world.kit.declared["p-gvcf"]
    entry = next(e for e in opened.manifest["files"] if e["name"] == "RH-KG-D0001.cram")
    assert entry["whole_file"] and entry["declared_sha256"] == world.kit.declared["p-cram"]
    assert set(opened.files) == {
        "RH-KG-D0001.cram",
        "RH-KG-D0001.cram.crai",
        "proband.g.vcf.gz",
        "proband.g.vcf.gz.tbi",
        "metadata.json",
    }
    individual = opened.metadata["beacon"]["individuals"][0]
    assert individual["id"] == world.proband.pseudonym and individual["sex"]["label"] in ("female", "male")
    biosample = opened.metadata["beacon"]["biosamples"][0]
    assert biosample["id"] == PROBAND and biosample["sampleOriginType"]["id"] == "UBERON:0000178"
    packet = opened.metadata["phenopackets"][0]
    assert {f["uri"] for f in packet["files"]} == {"RH-KG-D0001.cram", "proband.g.vcf.gz"}


def test_stored_sealed_blobs_are_resealed_by_rewriting_only_the_header(sealed_world: World, tmp_path: Path) -> None:
    world = sealed_world
    state = request_copy(world.instance, world.people.own, CopyRequest(samples=(PROBAND,), formats=("CRAM",)))
    part = package_dir(world.instance, state.request_id) / "parts" / "RH-KG-D0001.cram.c4gh"
    stored = stored_blob(world.instance, world.kit.declared["p-cram"])
    assert stored.sealed
    from crypt4gh import header

    with world.instance.blobs.open_stored(stored.sha256) as archive, part.open("rb") as delivered:
        list(header.parse(archive))  # parse is lazy: consume the header packets
        list(header.parse(delivered))
        assert archive.read() == delivered.read()  # the body is byte-for-byte the archive's: only the header changed
    opened = open_package(world, "kg", state.request_id, tmp_path / "got")
    assert _sha256(opened.files["RH-KG-D0001.cram"]) == world.kit.declared["p-cram"]
    with part.open("rb") as delivered, pytest.raises(ValueError):
        decrypt_for_recipient(delivered, io.BytesIO(), secret_key=world.secret_key("gm"))


def _samtools_records(path: Path, reference: Path, region: str | None = None) -> list[str]:
    command = ["samtools", "view", "-T", str(reference), str(path), *([region] if region else [])]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()


def test_slices_hold_exactly_the_region_and_verify_after_decryption(world: World, tmp_path: Path) -> None:
    chrom, start, _ = world.kit.window
    regions = (
        GenomicInterval(chrom, start + 10_000, start + 12_000),
        GenomicInterval(chrom, start + 11_500, start + 14_000),
    )
    state = request_copy(
        world.instance,
        world.people.region,
        CopyRequest(samples=(PROBAND,), regions=regions, formats=("CRAM", "BAM", "GVCF")),
    )
    opened = open_package(world, "gm", state.request_id, tmp_path / "got")
    _checksums_verify(opened)
    wanted = f"{chrom}:{start + 10_000}-{start + 14_000}"
    for suffix in ("cram", "bam"):
        original = world.kit.folder / "proband" / f"RH-KG-D0001.{suffix}"
        expected = _samtools_records(original, world.kit.reference, wanted)
        assert len(expected) > 500
        assert _samtools_records(opened.files[f"RH-KG-D0001.slice.{suffix}"], world.kit.reference) == expected
    calls = subprocess.run(
        ["bcftools", "view", "-H", "-r", wanted, str(world.kit.folder / "proband.g.vcf.gz")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sliced = subprocess.run(
        ["bcftools", "view", "-H", str(opened.files["proband.slice.g.vcf.gz"])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert sliced == calls and sliced.count("\n") > 10
    entry = next(e for e in opened.manifest["files"] if e["name"] == "RH-KG-D0001.slice.cram")
    assert not entry["whole_file"] and entry["regions"] == [wanted] and entry["n_records"] == len(expected)


def test_cross_region_request_is_refused_then_allowed_after_a_grant(world: World, tmp_path: Path) -> None:
    other = world.people.other
    request = CopyRequest(samples=(PROBAND,), formats=("VCF", "GVCF"))
    with pytest.raises(Forbidden, match="deny-by-default") as caught:
        request_copy(world.instance, other, request)
    assert "genomdb grants add" in caught.value.message
    create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(samples=(PROBAND,)),
            purpose=Purpose.TREATMENT,
            reference="REF-RM-7731",
            legal_basis="Sundhedsloven § 42 a: referral for treatment",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
            grantee_user="aarhus",
        ),
    )
    state = request_copy(world.instance, other, request)
    assert state.status == RequestStatus.READY and state.grant_id is not None
    opened = open_package(world, "aarhus", state.request_id, tmp_path / "got")
    assert set(opened.files) == {"proband.g.vcf.gz", "proband.g.vcf.gz.tbi", "metadata.json"}
    # the recipient only: another user cannot fetch it, and the key of another cannot open it
    with pytest.raises(Forbidden, match="recipient-only"):
        fetch_package(world.instance, world.people.own, state.request_id, tmp_path / "stolen")


def test_research_delivery_uses_project_pseudonyms_and_leaves_out_opt_outs(world: World, tmp_path: Path) -> None:
    grant = create_grant(
        world.instance,
        world.people.steward,
        NewGrant(
            scope=GrantScope(query=CatalogQuery(department="RH-KG")),
            purpose=Purpose.RESEARCH,
            reference="VEK-H-2026-117",
            legal_basis="Komitéloven § 14: approved research project",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365),
            grantee_user="rita",
            project="PRJ-LIPIDS",
        ),
    )
    chrom, start, _ = world.kit.window
    region = GenomicInterval(chrom, start + 20_000, start + 21_000)
    state = request_copy(
        world.instance,
        world.people.researcher,
        CopyRequest(grant_id=grant.grant_id, regions=(region,), formats=("CRAM", "VCF", "GVCF")),
    )
    assert state.purpose == "research"
    opened = open_package(world, "rita", state.request_id, tmp_path / "got")
    _checksums_verify(opened)
    individuals = opened.metadata["beacon"]["individuals"]
    assert len(individuals) == 1 and individuals[0]["id"].startswith("RP-")  # the mother opted out
    assert opened.metadata["beacon"]["biosamples"][0]["collectionDate"] == "2026"
    alias = opened.metadata["beacon"]["biosamples"][0]["id"]
    assert alias.startswith("RS-") and f"{alias}.slice.cram" in opened.files
    clinical = [world.proband.pseudonym, world.mother.pseudonym, PROBAND, MOTHER, world.proband.sample_key, "RH-KG"]
    for name, path in opened.files.items():
        text = (
            subprocess.run(
                ["samtools", "view", "-h", "-T", str(world.kit.reference), str(path)],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if name.endswith((".cram", ".bam"))
            else _text_of(path)
        )
        assert not any(identifier in text for identifier in clinical), name
    header = subprocess.run(
        ["samtools", "view", "--no-PG", "-H", str(opened.files[f"{alias}.slice.cram"])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"SM:{alias}" in header and "CL:" not in header
    # the same project sees the same pseudonyms again; another project sees different ones
    again = request_copy(
        world.instance,
        world.people.researcher,
        CopyRequest(grant_id=grant.grant_id, regions=(region,), formats=("VCF",)),
    )
    assert state.request_id != again.request_id


def _text_of(path: Path) -> str:
    import gzip

    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", errors="replace")


def test_cold_files_are_delivered_at_once_and_the_cold_read_is_audited(world: World, tmp_path: Path) -> None:
    """The default cold tier (a Ceph storage class on its own pool) is online: no thaw, but an audit entry."""
    set_tier(world.instance, world.people.steward, PROBAND, StorageTier.COLD)
    state = request_copy(world.instance, world.people.own, CopyRequest(samples=(PROBAND,), formats=("GVCF",)))
    assert state.status == RequestStatus.READY and not state.waiting_for
    opened = open_package(world, "kg", state.request_id, tmp_path / "got")
    assert _sha256(opened.files["proband.g.vcf.gz"]) == world.kit.declared["p-gvcf"]
    entries = Policy(world.instance).audit.search(AuditFilters(actor=world.people.own.username))
    (cold_read,) = [e for e in entries if e.rule == "cold-read"]
    gvcf = world.kit.declared["p-gvcf"]
    assert cold_read.resource_id == state.request_id and gvcf in cold_read.detail["cold_blobs"]
    assert world.instance.catalog.blob_tiers([gvcf])[gvcf] == StorageTier.COLD, "read where it is, not thawed"


def test_cold_files_wait_until_thawed_when_the_cold_tier_is_offline(world: World, tmp_path: Path) -> None:
    world.instance.settings.tier_policy = offline_cold_policy(tmp_path / "policy")
    moved = set_tier(world.instance, world.people.steward, PROBAND, StorageTier.COLD)
    assert moved >= 6  # CRAM, BAM, gVCF and their indexes
    with pytest.raises(Forbidden, match="role-required"):
        set_tier(world.instance, world.people.own, PROBAND, StorageTier.HOT)
    state = request_copy(world.instance, world.people.own, CopyRequest(samples=(PROBAND,), formats=("GVCF",)))
    assert state.status == RequestStatus.WAITING and len(state.waiting_for) == 2
    with pytest.raises(Unavailable, match="waiting"):
        fetch_package(world.instance, world.people.own, state.request_id, tmp_path / "early")
    assert request_status(world.instance, world.people.own, state.request_id).status == RequestStatus.WAITING
    set_tier(world.instance, world.people.steward, world.kit.declared["p-gvcf"], StorageTier.HOT)
    assert request_status(world.instance, world.people.own, state.request_id).status == RequestStatus.WAITING
    # the automatic rule thaws what waiting requests need
    finished = process_waiting_requests(world.instance, thaw=True)
    assert [f.request_id for f in finished] == [state.request_id] and finished[0].status == RequestStatus.READY
    opened = open_package(world, "kg", state.request_id, tmp_path / "got")
    assert _sha256(opened.files["proband.g.vcf.gz"]) == world.kit.declared["p-gvcf"]


def test_bcf_slices_arrive_as_bcf_with_exactly_the_regions_records(world: World, tmp_path: Path) -> None:
    bcf = submit_bcf(world.instance, world.kit, tmp_path / "bcf")
    chrom, start, _ = world.kit.window
    region = GenomicInterval(chrom, start + 2_000, start + 7_000)
    state = request_copy(
        world.instance, world.people.own, CopyRequest(samples=(BCF_SAMPLE,), regions=(region,), formats=("BCF",))
    )
    opened = open_package(world, "kg", state.request_id, tmp_path / "got")
    _checksums_verify(opened)
    (name,) = [n for n in opened.files if n.endswith(".slice.bcf")]
    assert opened.files[name].read_bytes()[:2] == b"\x1f\x8b"
    subprocess.run(["bcftools", "index", "-f", str(bcf)], check=True)
    expected = subprocess.run(
        ["bcftools", "view", "-H", "-r", str(region), str(bcf)], check=True, capture_output=True, text=True
    ).stdout
    got = subprocess.run(
        ["bcftools", "view", "-H", str(opened.files[name])], check=True, capture_output=True, text=True
    ).stdout
    assert got == expected and got.count("\n") > 10
