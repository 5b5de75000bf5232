"""A served instance for the API tests: users of every role with tokens, two departments' submissions, a cohort
of 40 samples with two frequency releases, a small GRCh38 reference, one variant two departments disagree about
(with its conflict case) and one whose first classification filled both departments' recontact worklists."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import yaml

from genomdb.access.records import Actor, Role
from genomdb.access.tokens import create_token
from genomdb.access.users import add_user
from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import Condition, InheritanceMode, NewAssertion
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.publish import build_release
from genomdb.frequency.records import FrequencyStatus, VariantFrequency
from genomdb.frequency.strata import SampleLabels
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters
from tests.classification.store_kit import Call, ParquetCarriers
from tests.classification.store_kit import write_batch as write_carrier_batch
from tests.frequency.batches import member, simulate_cohort, write_batch
from tests.identities import fake_cpr
from tests.ingest import formats_factory as ff
from tests.ingest.submission_kit import make_kit, sha256_of

WORLD_FLOORS: dict[str, Any] = {"public_floor_center": 16.0, "public_floor_scale": 3.0, "public_floor_max": 24}
"""Public floors scaled to the world's 36 samples (the defaults, 10–300 around 120, would reveal nothing of it)."""
WORLD_FLOOR_ENV = {f"GENOMDB_{name.upper()}": str(value) for name, value in WORLD_FLOORS.items()}
N_COHORT = 36
REGIONS = ("RH", "RSJ", "RSD", "RM", "RN")
PLATFORMS = ("ILLUMINA", "ILLUMINA", "ONT")
CHR1_LENGTH = 102_000
FRESH_FROM = 30_000
"""Fresh variants for tests that write classifications start after this chr1 position."""
FH = Condition("Familial hypercholesterolemia", "MONDO:0007750")
USERS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.ADMIN, None),
    "steward": (Role.STEWARD, None),
    "sub-rh": (Role.SUBMITTER, "RH-KG"),
    "sub-rm": (Role.SUBMITTER, "RM-KG"),
    "clin-rh": (Role.CLINICIAN, "RH-KG"),
    "clin-rm": (Role.CLINICIAN, "RM-KG"),
    "res-rh": (Role.RESEARCHER, "RH-KG"),
}
ROLE_USER: dict[Role, str] = {
    Role.SUBMITTER: "sub-rh",
    Role.CLINICIAN: "clin-rh",
    Role.RESEARCHER: "res-rh",
    Role.STEWARD: "steward",
    Role.ADMIN: "admin",
}


def vcf_only_manifest(folder: Path, department: str, ids: list[tuple[str, str]], *, title: str) -> Path:
    """A manifest with one VCF per individual: ``ids`` are (sample id, CPR) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    individuals, samples, files, analyses = [], [], [], []
    for n, (sample_id, cpr) in enumerate(ids):
        path = folder / f"{sample_id}.vcf.gz"
        ff.write_vcf(path, [ff.vcf_line("chr1", 10_000)], contigs=ff.grch38_vcf_contigs(), samples=(sample_id,))
        individuals.append({"id": f"p{n}", "cpr": cpr})
        samples.append({"id": sample_id, "individual": f"p{n}", "tissue": "blood"})
        files.append({"id": f"v{n}", "path": path.name, "format": "VCF", "sha256": sha256_of(path)})
        analyses.append(
            {
                "id": f"a{n}",
                "samples": [sample_id],
                "pipeline": {"name": "dragen", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "outputs": [f"v{n}"],
            }
        )
    doc: dict[str, Any] = {
        "schema_version": 1,
        "submitter": {"department": department},
        "title": title,
        "individuals": individuals,
        "samples": samples,
        "files": files,
        "analyses": analyses,
    }
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False))
    return manifest


def write_reference(path: Path, patches: dict[int, str]) -> Path:
    """A bgzipped, indexed chr1 stretch of random bases with the given 1-based positions set."""
    rng = np.random.default_rng(1)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, CHR1_LENGTH)].copy()
    for pos, allele in patches.items():
        for offset, base in enumerate(allele):
            bases[pos - 1 + offset] = ord(base)
    plain = path.with_suffix("")
    sequence = bases.tobytes().decode("ascii")
    plain.write_text(">chr1\n" + "\n".join(sequence[i : i + 60] for i in range(0, len(sequence), 60)) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.faidx(str(path))
    return path


@dataclass
class World:
    instance: Instance
    folder: Path
    tokens: dict[str, str] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    """Department → one of its sample keys."""
    persons: dict[str, str] = field(default_factory=dict)
    submissions: dict[str, str] = field(default_factory=dict)
    releases: list[str] = field(default_factory=list)
    observed: str = ""
    """A variant observed at the public tier."""
    suppressed: str = ""
    """A variant under the floor: answered as not observed at the public tier, withheld (AC < 5) at the registered
    tier, shown at the controlled tier."""
    not_observed: str = ""
    classified: str = ""
    """The chr1 variant RH-KG (LP) and RM-KG (VUS) classified: no consensus, a conflict case."""
    assertions: dict[str, str] = field(default_factory=dict)
    """Department → its assertion (``CLS-…``) about ``classified``."""
    conflict: str = ""
    """The conflict case (``CNF-…``) about ``classified``."""
    recontact: str = ""
    """A chr1 variant whose first classification (RH-KG, LP) put carriers on RH-KG's and RM-KG's worklists."""
    reference: Path = Path()
    taken: set[int] = field(default_factory=set)
    """chr1 positions the cohort or earlier fresh variants use."""
    next_position: int = FRESH_FROM

    def token(self, role: Role | None) -> str | None:
        return self.tokens[ROLE_USER[role]] if role is not None else None

    def headers(self, role: Role | None) -> dict[str, str]:
        token = self.token(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def user_headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def fresh_variant(self) -> str:
        """A chr1 SNV nobody has classified yet, its REF as the reference reads it."""
        with pysam.FastaFile(str(self.reference)) as fasta:
            while True:
                self.next_position += 1
                pos = self.next_position
                if pos in self.taken:
                    continue
                self.taken.add(pos)
                ref = fasta.fetch("chr1", pos - 1, pos).upper()
                return f"chr1-{pos}-{ref}-{'C' if ref == 'T' else 'T'}"

    def reference_base(self, pos_1based: int) -> str:
        with pysam.FastaFile(str(self.reference)) as fasta:
            return fasta.fetch("chr1", pos_1based - 1, pos_1based).upper()


def _find(found: list[VariantFrequency], status: FrequencyStatus) -> VariantFrequency:
    return next(v for v in found if v.status == status)


def build_world(instance: Instance, folder: Path) -> World:
    world = World(instance, folder)
    admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
    acting = Actor(admin.username, admin.role)
    for username, (role, department) in USERS.items():
        if username != "admin":
            add_user(instance, acting, username, role=role, department=department)
        world.tokens[username] = create_token(instance, acting, username, label="tests").secret
    for department, prefix in (("RH-KG", "RH-KG-T"), ("RM-KG", "RM-KG-T")):
        outcome = submit_manifest(instance, make_kit(folder / department, department=department, prefix=prefix).write())
        world.submissions[department] = outcome.submission_id
        found = instance.catalog.search(SearchFilters(department=department, limit=10))
        world.samples[department] = found[0].sample_key
        world.persons[department] = found[0].pseudonym
    cohort_ids = [
        (f"RSD-C{n:03d}", fake_cpr(1 + n % 28, 1 + n % 12, 50 + n % 40, 1000 + 2 * n)) for n in range(N_COHORT)
    ]
    submit_manifest(instance, vcf_only_manifest(folder / "cohort", "RSD-KG-OUH", cohort_ids, title="cohort"))
    summaries = instance.catalog.search(SearchFilters(limit=1000))
    labels = [
        SampleLabels("XX" if i % 2 == 0 else "XY", REGIONS[i % len(REGIONS)], PLATFORMS[i % len(PLATFORMS)])
        for i in range(len(summaries))
    ]
    cohort = simulate_cohort(labels, seed=11, half_missing=0.0, sites_per_window=60)
    members = []
    for sample, summary in zip(cohort.samples, summaries, strict=True):
        sample.sample_id = instance.catalog.sample(summary.sample_key).version_ids[-1][2]
        sample.person = summary.pseudonym
    batch = write_batch(cohort, cohort.samples, folder / "batches", "B1")
    for sample, summary in zip(cohort.samples, summaries, strict=True):
        members.append(
            member(
                sample,
                "B1",
                sample_key=summary.sample_key,
                submission_id=summary.submission_id,
                submission_version=summary.submission_version,
            )
        )
    first = build_release(instance, inputs=lambda _: ([batch], members))
    opted = [dataclasses.replace(members[-1], research_opt_out=True), *members[:-1]]
    second = build_release(instance, inputs=lambda _: ([batch], opted))
    world.releases = [first.release.release_id, second.release.release_id]
    with FrequencyDatabase(instance) as database:
        public = list(database.lookup_region("chr1:100000-101500", "public").variants)
        public += list(database.lookup_region("chr19:11089000-11090000", "public").variants)
        registered = list(database.lookup_region("chr1:100000-101500", "registered").variants)
        controlled = list(database.lookup_region("chr1:100000-101500", "controlled").variants)
    observed = _find(public, FrequencyStatus.OBSERVED)
    world.observed = observed.variant.key
    listed = {f.variant.key for f in public}
    world.suppressed = next(
        f.variant.key
        for f in registered
        if f.status is FrequencyStatus.SUPPRESSED and f.variant.key not in listed and len(f.variant.alt) == 1
    )
    v = observed.variant
    every = public + controlled  # a public listing leaves out variants under their floor: not a proof of absence
    taken = {f.variant.alt for f in every if f.variant.chrom == v.chrom and f.variant.pos_1based == v.pos_1based}
    other = next(b for b in "ACGT" if b not in taken and b != v.ref[0])
    world.not_observed = f"{v.chrom}-{v.pos_1based}-{v.ref[0]}-{other}"
    chr1_sites = {s.pos: s.ref for s in cohort.sites if s.chrom == "chr1"}
    world.reference = write_reference(folder / "GRCh38_chr1.fa.gz", {10_000: "A", **chr1_sites})
    instance.add_reference("GRCh38", world.reference)
    world.taken = {10_000, *(pos + offset for pos, ref in chr1_sites.items() for offset in range(len(ref)))}
    snv = next(f for f in public if f.variant.chrom == "chr1" and len(f.variant.ref) == len(f.variant.alt) == 1)
    world.classified = snv.variant.key
    with ClassificationDatabase(instance) as database:
        for department, acmg_class, criteria in (
            ("RH-KG", AcmgClass.LIKELY_PATHOGENIC, "PVS1 PM2_Supporting"),
            ("RM-KG", AcmgClass.UNCERTAIN, "PM2_Supporting"),
        ):
            outcome = database.add(department, fh(world.classified, acmg_class, criteria))
            world.assertions[department] = outcome.version.assertion_id
        world.conflict = database.conflicts(variant=world.classified)[0].conflict_id
    world.recontact = world.fresh_variant()
    carriers = folder / "carriers"
    write_carrier_batch(
        carriers,
        "W1",
        [
            Call(instance.catalog.sample(world.samples[d]).version_ids[-1][2], world.recontact)
            for d in ("RH-KG", "RM-KG")
        ],
    )
    with ClassificationDatabase(instance, carriers=ParquetCarriers(carriers)) as database:
        crossed = database.add("RH-KG", fh(world.recontact, AcmgClass.LIKELY_PATHOGENIC, "PVS1 PM2_Supporting"))
        assert crossed.effects.crossings and crossed.effects.n_worklist_entries == 2
    return world


def fh(variant: str, acmg_class: AcmgClass, criteria: str, **changes: Any) -> NewAssertion:
    """A familial hypercholesterolemia classification, as the tests record them."""
    values: dict[str, Any] = {
        "variant": variant,
        "acmg_class": acmg_class,
        "condition": FH,
        "inheritance": InheritanceMode.AUTOSOMAL_DOMINANT,
        "criteria": parse_criteria(criteria),
        "evidence": "test",
        "classifier": "AB",
        **changes,
    }
    return NewAssertion(**values)
