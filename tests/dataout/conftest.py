"""A world for data-out tests: the demo reference, a family submitted by RH-KG with dense CRAM/BAM/gVCF/VCF
(the mother opted out of research), users in three places with registered delivery keys."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from genomdb.access.records import SampleFacts
from genomdb.config import Settings
from genomdb.demo import DemoCohort, generate_demo
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance, init_instance
from tests.access.conftest import People, make_people
from tests.dataout.factory import write_calls, write_reads
from tests.identities import fake_cpr

N_INDIVIDUALS = 12
REGION_LENGTH_BP = 100_000
WINDOW_BP = 30_000
PROBAND, MOTHER = "RH-KG-D0001", "RH-KG-D0002"
BCF_SAMPLE = "RH-KG-D0003"


@dataclass(frozen=True)
class Kit:
    folder: Path
    manifest: Path
    reference: Path
    window: tuple[str, int, int]
    """(chrom, start, end), 1-based: where the reads and calls are."""
    declared: dict[str, str]
    """file id → the sha256 the manifest declares."""


@dataclass(frozen=True)
class World:
    instance: Instance
    people: People
    kit: Kit
    proband: SampleFacts
    mother: SampleFacts
    keys: dict[str, tuple[Path, Path]]
    """username → (secret key, public key) files."""

    def secret_key(self, username: str) -> bytes:
        from crypt4gh.keys import get_private_key

        return bytes(get_private_key(str(self.keys[username][0]), lambda: ""))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.integration),
        pytest.param("s3", marks=pytest.mark.rgw),
    ]
)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Data-out runs on each catalog backend and on the S3 store (SQLite catalog, blobs in the real Ceph RGW)."""
    home = tmp_path / "home"
    if request.param == "postgresql":
        return Settings(home=home, database_url=request.getfixturevalue("postgres_url"), gc_grace_seconds=0)
    if request.param == "s3":
        from pydantic import SecretStr

        rgw = request.getfixturevalue("rgw")
        return Settings(
            home=home,
            gc_grace_seconds=0,
            store_url=rgw.store_url(request.getfixturevalue("rgw_bucket"), "genomdb"),
            s3_access_key_id=SecretStr(rgw.access_key),
            s3_secret_access_key=SecretStr(rgw.secret_key),
        )
    return Settings(home=home, gc_grace_seconds=0)


@pytest.fixture(scope="session")
def demo_cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    return generate_demo(
        tmp_path_factory.mktemp("demo"), n_individuals=N_INDIVIDUALS, seed=5, region_length_bp=REGION_LENGTH_BP
    )


@pytest.fixture(scope="session")
def kit(demo_cohort: DemoCohort, tmp_path_factory: pytest.TempPathFactory) -> Kit:
    folder = tmp_path_factory.mktemp("dataout-kit")
    ldlr = next(r for r in demo_cohort.regions if r.name == "LDLR")
    chrom, start, end = ldlr.chrom, ldlr.start_1based + 5_000, ldlr.start_1based + 5_000 + WINDOW_BP
    reference = demo_cohort.reference_fasta
    write_reads(reference, folder / "proband", sample_id=PROBAND, chrom=chrom, start_1based=start, end_1based=end)
    write_reads(
        reference, folder / "mother", sample_id=MOTHER, chrom=chrom, start_1based=start, end_1based=end, depth=8, seed=3
    )
    write_calls(
        reference,
        folder / "proband.g.vcf.gz",
        sample_id=PROBAND,
        chrom=chrom,
        start_1based=start,
        end_1based=end,
        gvcf=True,
    )
    write_calls(
        reference,
        folder / "mother.vcf.gz",
        sample_id=MOTHER,
        chrom=chrom,
        start_1based=start,
        end_1based=end,
        gvcf=False,
        seed=4,
    )
    files = {
        "p-cram": "proband/RH-KG-D0001.cram",
        "p-bam": "proband/RH-KG-D0001.bam",
        "p-gvcf": "proband.g.vcf.gz",
        "m-cram": "mother/RH-KG-D0002.cram",
        "m-vcf": "mother.vcf.gz",
    }
    declared = {ref: hashlib.sha256((folder / path).read_bytes()).hexdigest() for ref, path in files.items()}
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submitter": {"department": "RH-KG"},
        "title": "data-out family",
        "individuals": [
            {"id": "mother", "cpr": fake_cpr(3, 4, 75, 1236), "research_opt_out": True},
            {
                "id": "proband",
                "cpr": fake_cpr(9, 10, 5, 4417),
                "relatives": [{"relation": "mother", "individual": "mother"}],
            },
        ],
        "samples": [
            {"id": PROBAND, "individual": "proband", "tissue": "blood", "collection_date": "2026-03-02"},
            {"id": MOTHER, "individual": "mother", "tissue": "saliva"},
        ],
        "runs": [
            {"id": "run1", "sample": PROBAND, "platform": "ILLUMINA", "read_type": "short", "instrument": "NovaSeq X"}
        ],
        "files": [
            {
                "id": ref,
                "path": path,
                "format": "CRAM" if ref.endswith("cram") else ref.split("-")[1].upper(),
                "sha256": declared[ref],
            }
            for ref, path in files.items()
        ],
        "analyses": [
            {
                "id": "a1",
                "samples": [PROBAND],
                "pipeline": {"name": "DRAGEN", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "outputs": ["p-cram", "p-bam", "p-gvcf"],
            },
            {
                "id": "a2",
                "samples": [MOTHER],
                "pipeline": {"name": "DRAGEN", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "outputs": ["m-cram", "m-vcf"],
            },
        ],
    }
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False))
    return Kit(folder, manifest, reference, (chrom, start, end), declared)


@pytest.fixture(scope="session")
def recipient_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    from crypt4gh.keys import c4gh

    folder = tmp_path_factory.mktemp("keys")
    keys = {}
    for name in ("kg", "gm", "aarhus", "rita"):
        secret, public = folder / f"{name}.sec", folder / f"{name}.pub"
        c4gh.generate(str(secret), str(public), passphrase=b"", comment=name.encode())
        keys[name] = (secret, public)
    return keys


def build_world(instance: Instance, kit: Kit, keys: dict[str, tuple[Path, Path]]) -> World:
    from genomdb.access.users import register_key

    instance.add_reference("GRCh38", kit.reference)
    submit_manifest(instance, kit.manifest)
    people = make_people(instance)
    for name, (_, public) in keys.items():
        register_key(instance, people.admin, name, public)
    proband, mother = instance.catalog.sample_facts(PROBAND), instance.catalog.sample_facts(MOTHER)
    assert proband is not None and mother is not None
    return World(instance, people, kit, proband, mother, keys)


@pytest.fixture
def world(instance: Instance, kit: Kit, recipient_keys: dict[str, tuple[Path, Path]]) -> World:
    return build_world(instance, kit, recipient_keys)


@pytest.fixture
def sealed_world(settings: Settings, kit: Kit, recipient_keys: dict[str, tuple[Path, Path]]) -> Any:
    """The same world on an instance that stores every blob crypt4gh-encrypted for the archive key."""
    sealed = settings.model_copy(update={"encrypt_blobs": True})
    init_instance(sealed)
    with Instance.open(sealed) as opened:
        yield build_world(opened, kit, recipient_keys)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submit_bcf(instance: Instance, kit: Kit, folder: Path) -> Path:
    """A second RH-KG submission whose calls are a BCF (bcftools' conversion of generated calls); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    chrom, start, end = kit.window
    vcf = write_calls(
        kit.reference, folder / "bcf-source.vcf.gz", sample_id=BCF_SAMPLE, chrom=chrom, start_1based=start,
        end_1based=end, gvcf=False, seed=9,
    )  # fmt: skip
    bcf = folder / "calls.bcf"
    subprocess.run(["bcftools", "view", "--no-version", "-Ob", "-o", str(bcf), str(vcf)], check=True)
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submitter": {"department": "RH-KG"},
        "title": "BCF calls",
        "individuals": [{"id": "p3", "cpr": fake_cpr(11, 12, 80, 1238)}],
        "samples": [{"id": BCF_SAMPLE, "individual": "p3", "tissue": "blood"}],
        "files": [
            {
                "id": "calls",
                "path": "calls.bcf",
                "format": "BCF",
                "sha256": hashlib.sha256(bcf.read_bytes()).hexdigest(),
            }
        ],
        "analyses": [
            {
                "id": "a3",
                "samples": [BCF_SAMPLE],
                "pipeline": {"name": "DRAGEN", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "outputs": ["calls"],
            }
        ],
    }
    manifest = folder / "bcf.yaml"
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False))
    submit_manifest(instance, manifest)
    return bcf
