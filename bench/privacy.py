"""Benchmark: membership inference against a running `genomdb serve`, per surface, tier and query count.

    python bench/privacy.py                 # 1,000 members, 100 + 100 targets, 4 Mb: a few minutes
    python bench/privacy.py --small         # the size the test uses (seconds)

The attack of Shringarpure & Bustamante (2015): an attacker holds a target's genome and asks whether the
target's alternate alleles are in the database, rarest first; a log-likelihood ratio of "in the cohort" against
"not in it", with allele frequencies from a separate reference panel of the same population, says how likely
the target is a member. The floor-aware version knows the disclosure rule (a variant is revealed only when its
allele count reaches a floor that lies somewhere in a known range), so it models P(revealed | member) and
P(revealed | non-member) with the binomial and asks the variants whose answer differs most between the two first.

Cohort: one msprime population (genomdb's demo demography) simulated over ``--regions`` stretches of
``--region-mb`` Mb; ``--members`` individuals form the released cohort, ``--targets`` of them are the member
targets, ``--targets`` more are held-out non-members and ``--panel`` more are the attacker's reference panel. The
members are submitted through the ordinary ingest path (one small VCF each, so the catalog knows them), their
genotypes are written as one variant-store batch exactly as harmonisation lays it out (docs/variant-store.md),
and the release is built with `genomdb.frequency.publish.build_release`. Then `genomdb serve` runs on a free
loopback port and the attack talks to it over HTTP only, with a bounded number of requests (each distinct variant
is asked once per surface; answers are cached like an attacker would) and a deadline.

Surfaces at the public tier (no token): the Beacon (sequence queries), the frequency API's variant look-ups (bulk
POST, 1,000 per request), the region and gene listings of the API, and the browser's CSV download. For scale,
the same attack on answers at the registered and controlled tiers (with tokens), and offline on answers the
bench computes itself for rules genomdb does not use (a fixed floor of 10; nothing withheld) — labelled so.

Then the budget over days: the server is started with its default budgets and a client asks until refused; the
refusal (HTTP 429, when it resets) must survive a restart of the server.

Prints AUC and the true-positive rate at 5% false positives per surface and query count, and writes them as JSON
(``--json``). Peer tool: none exists for this attack, so no ratio; the figures are the attack's own.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).parent / "out"
QUERY_COUNTS = (3, 10, 100, 2400)
COUNT_CAP = 240
"""Largest allele count the count-reading attack models."""
SB_ERROR = 1e-6
"""δ of Shringarpure & Bustamante: the chance a member's allele is missed (a sequencing error)."""
DEPARTMENT = "RSD-KG-OUH"
REGION_STARTS = (("chr19", 10_500_001), ("chr1", 20_000_001), ("chr2", 30_000_001), ("chr3", 40_000_001))
"""Where the simulated stretches sit on GRCh38 (the chr19 one covers LDLR, so the gene listing is exercised)."""


@dataclass(frozen=True)
class Size:
    members: int
    targets: int
    panel: int
    regions: int
    region_bp: int
    query_counts: tuple[int, ...]


DEFAULT = Size(members=1000, targets=100, panel=1000, regions=4, region_bp=1_000_000, query_counts=QUERY_COUNTS)
SMALL = Size(members=160, targets=24, panel=160, regions=1, region_bp=400_000, query_counts=(3, 10, 100))


# --- the cohort ------------------------------------------------------------------------------------------------


@dataclass
class Cohort:
    """Biallelic sites of every simulated individual: members first, then non-member targets, then the panel."""

    chrom: list[str] = field(default_factory=list)
    pos: list[np.ndarray] = field(default_factory=list)
    ref: list[str] = field(default_factory=list)
    alt: list[str] = field(default_factory=list)
    dosage: list[np.ndarray] = field(default_factory=list)
    """Per region: sites × individuals alternate-allele counts (0, 1, 2)."""

    def keys(self) -> list[str]:
        return [f"{c}-{p}-{r}-{a}" for c, p, r, a in zip(self.chrom, self.all_pos, self.ref, self.alt, strict=True)]

    @property
    def all_pos(self) -> np.ndarray:
        return np.concatenate(self.pos)

    @property
    def all_dosage(self) -> np.ndarray:
        return np.concatenate(self.dosage, axis=0)


def simulate(size: Size, seed: int) -> Cohort:
    import msprime

    from genomdb.demo.cohort import MUTATION_RATE, RECOMBINATION_RATE, human_demography

    n = size.members + size.targets + size.panel
    cohort = Cohort()
    for index in range(size.regions):
        chrom, start = REGION_STARTS[index % len(REGION_STARTS)]
        ancestry = msprime.sim_ancestry(
            samples=n,
            demography=human_demography(),
            sequence_length=size.region_bp,
            recombination_rate=RECOMBINATION_RATE,
            random_seed=seed + 10 * index,
        )
        ts = msprime.sim_mutations(ancestry, rate=MUTATION_RATE, random_seed=seed + 10 * index + 1)
        positions, refs, alts, rows = [], [], [], []
        for variant in ts.variants():
            if len(variant.alleles) != 2 or variant.alleles[1] is None:
                continue
            haplotypes = variant.genotypes
            positions.append(start + int(variant.site.position))
            refs.append(variant.alleles[0])
            alts.append(variant.alleles[1])
            rows.append((haplotypes[0::2] + haplotypes[1::2]).astype(np.int8))
        cohort.chrom += [chrom] * len(positions)
        cohort.pos.append(np.asarray(positions, dtype=np.int64))
        cohort.ref += refs
        cohort.alt += alts
        cohort.dosage.append(np.vstack(rows))
    return cohort


# --- the instance: members ingested, their genotypes as one batch, one release -----------------------------------


def _cpr(i: int) -> str:
    """A synthetic CPR-shaped number for individual ``i`` (built from parts, unique for i < 13,440)."""
    day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 50 + (i // 336) % 40
    return f"{day:02d}{month:02d}{year:02d}-{1000 + 2 * (i % 400) + (i // 13_440)}"


def _submit(instance: Any, folder: Path, n: int) -> list[Any]:
    import pysam
    import yaml

    from genomdb.ingest.submit import submit_manifest
    from genomdb.model.catalog import SearchFilters

    folder.mkdir(parents=True, exist_ok=True)
    individuals, samples, files, analyses = [], [], [], []
    for i in range(n):
        name = f"PRV{i:05d}"
        plain = folder / f"{name}.vcf"
        plain.write_text(
            "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n"
            f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{name}\n"
            "chr1\t10000\t.\tA\tG\t50\tPASS\t.\tGT:GQ:DP\t0/1:30:99\n"
        )
        path = folder / f"{name}.vcf.gz"
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        individuals.append({"id": f"p{i}", "cpr": _cpr(i)})
        samples.append({"id": name, "individual": f"p{i}", "tissue": "blood"})
        files.append({"id": f"v{i}", "path": path.name, "format": "VCF", "sha256": digest})
        analyses.append(
            {
                "id": f"a{i}",
                "samples": [name],
                "pipeline": {"name": "dragen", "version": "4.2.4"},
                "reference_build": "GRCh38",
                "outputs": [f"v{i}"],
            }
        )
    manifest = folder / "manifest.yaml"
    document = {
        "schema_version": 1,
        "submitter": {"department": DEPARTMENT},
        "title": "privacy benchmark cohort",
        "individuals": individuals,
        "samples": samples,
        "files": files,
        "analyses": analyses,
    }
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    submit_manifest(instance, manifest)
    found = {s.submitter_sample_id: s for s in instance.catalog.search(SearchFilters(limit=n + 10))}
    return [found[f"PRV{i:05d}"] for i in range(n)]


def _write_batch(root: Path, cohort: Cohort, sample_ids: Sequence[int], size: Size) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from genomdb.frequency.records import BatchSource
    from genomdb.variants import layout

    folder = root / "B1"
    parts: dict[str, str] = {}
    ids = np.asarray(sample_ids, dtype=np.int64)
    chroms = np.asarray(cohort.chrom)
    positions, refs, alts = cohort.all_pos, np.asarray(cohort.ref), np.asarray(cohort.alt)
    dosage = cohort.all_dosage[:, : size.members]
    n_calls = n_blocks = 0
    for chrom in sorted(set(cohort.chrom)):
        rows = np.flatnonzero(chroms == chrom)
        site, person = np.nonzero(dosage[rows] > 0)
        order = np.lexsort((ids[person], positions[rows][site]))
        site, person = site[order], person[order]
        count = len(site)
        calls = pa.table(
            {
                "sample_id": pa.array(ids[person], pa.int64()),
                "chrom": pa.array([chrom] * count, pa.string()),
                "pos": pa.array(positions[rows][site], pa.int32()),
                "ref": pa.array(refs[rows][site], pa.string()),
                "alt": pa.array(alts[rows][site], pa.string()),
                "alt_count": pa.array(dosage[rows][site, person], pa.int8()),
                "called_alleles": pa.array(np.full(count, 2), pa.int8()),
                "phased": pa.array(np.zeros(count, dtype=bool), pa.bool_()),
                "gq": pa.array(np.full(count, 60), pa.int16()),
                "dp": pa.array(np.full(count, 30), pa.int16()),
                "ad_ref": pa.array([None] * count, pa.int32()),
                "ad_alt": pa.array([None] * count, pa.int32()),
                "passes": pa.array(np.ones(count, dtype=bool), pa.bool_()),
            },
            schema=layout.CALLS_SCHEMA,
        )
        start = int(positions[rows].min()) - 1000
        end = int(positions[rows].max()) + 1000
        blocks = pa.table(
            {
                "sample_id": pa.array(np.sort(ids), pa.int64()),
                "chrom": pa.array([chrom] * len(ids), pa.string()),
                "start_1based": pa.array(np.full(len(ids), start), pa.int32()),
                "end_1based": pa.array(np.full(len(ids), end), pa.int32()),
                "callable_alleles": pa.array(np.full(len(ids), 2), pa.int8()),
                "min_gq": pa.array(np.full(len(ids), 60), pa.int16()),
                "min_dp": pa.array(np.full(len(ids), 30), pa.int16()),
            },
            schema=layout.BLOCKS_SCHEMA,
        )
        for table, kind in ((calls, "calls"), (blocks, "blocks")):
            part = folder / kind / f"chrom={chrom}" / "part-0.parquet"
            part.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, part)
            parts[str(part.relative_to(folder))] = hashlib.sha256(part.read_bytes()).hexdigest()
        n_calls += count
        n_blocks += len(ids)
    document = {
        "schema_version": 1,
        "batch_id": "B1",
        "sample_ids": sorted(int(i) for i in ids),
        "n_calls": n_calls,
        "n_blocks": n_blocks,
        "filters": {},
        "parts": parts,
    }
    (folder / "batch.json").write_text(json.dumps(document, indent=1, sort_keys=True))
    return BatchSource(
        batch_id="B1",
        path=folder,
        manifest_sha256=hashlib.sha256((folder / "batch.json").read_bytes()).hexdigest(),
        sample_ids=tuple(sorted(int(i) for i in ids)),
    )


def build_instance(home: Path, cohort: Cohort, size: Size) -> dict[str, str]:
    """An instance with the members' release and two users with tokens; the tokens by tier."""
    from genomdb.access.records import Actor, Role
    from genomdb.access.tokens import create_token
    from genomdb.access.users import add_user
    from genomdb.config import Settings
    from genomdb.frequency.publish import build_release
    from genomdb.frequency.records import CohortMember
    from genomdb.frequency.strata import SampleLabels
    from genomdb.instance import Instance, init_instance

    settings = Settings(home=home)
    init_instance(settings)
    with Instance.open(settings) as instance:
        summaries = _submit(instance, home.parent / "submission", size.members)
        sample_ids = [instance.catalog.sample(s.sample_key).version_ids[-1][2] for s in summaries]
        batch = _write_batch(home.parent / "batches", cohort, sample_ids, size)
        members = [
            CohortMember(
                sample_id=sample_id,
                sample_key=s.sample_key,
                person=s.pseudonym,
                batch_id="B1",
                labels=SampleLabels("XX" if i % 2 == 0 else "XY", "RSD", "ILLUMINA"),
                submission_id=s.submission_id,
                submission_version=s.submission_version,
                call_rate=0.99,
                callable_bases=size.regions * size.region_bp,
            )
            for i, (s, sample_id) in enumerate(zip(summaries, sample_ids, strict=True))
        ]
        build_release(instance, inputs=lambda _: ([batch], members))
        admin = add_user(instance, None, "bench-admin", role=Role.ADMIN, department=None)
        acting = Actor(admin.username, admin.role)
        add_user(instance, acting, "bench-steward", role=Role.STEWARD, department=None)
        add_user(instance, acting, "bench-researcher", role=Role.RESEARCHER, department=DEPARTMENT)
        return {
            "controlled": create_token(instance, acting, "bench-steward", label="privacy bench").secret,
            "registered": create_token(instance, acting, "bench-researcher", label="privacy bench").secret,
        }


# --- the server and the client -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(home: Path, *, budgets: dict[str, str] | None = None) -> Iterator[int]:
    """`genomdb serve` on a free loopback port; stopped (SIGTERM, then SIGKILL) when the block ends."""
    port = _free_port()
    env = {**os.environ, "GENOMDB_HOME": str(home), "GENOMDB_API_RELEASE_REFRESH_SECONDS": "3600"}
    env.update(
        budgets
        if budgets is not None
        else {
            "GENOMDB_API_PUBLIC_QUERIES_PER_MINUTE": "1000000000",
            "GENOMDB_API_PUBLIC_QUERIES_PER_DAY": "1000000000",
            "GENOMDB_API_PUBLIC_QUERIES_PER_WINDOW": "1000000000",
        }
    )
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--no-access-log"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"genomdb serve exited: {server.stderr.read().decode() if server.stderr else ''}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/ready")
                if connection.getresponse().status == 200:
                    connection.close()
                    break
            if time.monotonic() > deadline:
                raise SystemExit("genomdb serve did not become ready in 60 s")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Client:
    """One keep-alive HTTP connection to the server, with a bound on requests and a deadline."""

    def __init__(self, port: int, *, max_requests: int, deadline: float, token: str | None = None) -> None:
        self.port = port
        self.max_requests = max_requests
        self.deadline = deadline
        self.n_requests = 0
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], bytes]:
        if self.n_requests >= self.max_requests:
            raise SystemExit(f"request bound reached ({self.max_requests:,}): the attack stops")
        if time.monotonic() > self.deadline:
            raise SystemExit("deadline reached: the attack stops")
        self.n_requests += 1
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=payload, headers=headers)
        response = self._connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, _, data = self.request(method, path, body)
        if status != 200:
            raise SystemExit(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data)

    def close(self) -> None:
        self._connection.close()


def _revealed(answer: dict[str, Any]) -> bool:
    """How an attacker reads a frequency answer: does it say the variant was seen (with or without counts)?"""
    if answer["status"] == "observed":
        return True
    return answer["status"] == "suppressed" and not answer["message"].startswith("not shown")


def ask_beacon(client: Client, keys: Sequence[str]) -> dict[str, bool]:
    answers = {}
    for key in keys:
        chrom, pos, ref, alt = key.split("-")
        query = (
            f"/api/beacon/g_variants?referenceName={chrom.removeprefix('chr')}&start={int(pos) - 1}"
            f"&referenceBases={ref}&alternateBases={alt}&assemblyId=GRCh38"
        )
        answers[key] = bool(client.json("GET", query)["responseSummary"]["exists"])
    return answers


def ask_variants(
    client: Client, keys: Sequence[str], tier: str, counts: dict[str, int] | None = None
) -> dict[str, bool]:
    """Whether each variant is revealed; ``counts`` gets the allele count shown (0 when none is)."""
    answers = {}
    for start in range(0, len(keys), 1000):
        chunk = list(keys[start : start + 1000])
        found = client.json("POST", "/api/frequency/variants", {"variants": chunk, "tier": tier})
        for key, answer in zip(chunk, found["variants"], strict=True):
            assert answer["tier"] == tier, answer
            answers[key] = _revealed(answer)
            if counts is not None:
                counts[key] = int(answer["strata"][0]["allele_count"] or 0)
    return answers


def ask_listings(client: Client, cohort: Cohort) -> tuple[set[str], set[str], set[str]]:
    """Every key named by the region listings, the LDLR gene listing and the browser's region CSVs."""
    chroms = np.asarray(cohort.chrom)
    positions = cohort.all_pos
    listed, gene, csv = set(), set(), set()
    for chrom in sorted(set(cohort.chrom)):
        at = positions[chroms == chrom]
        low = int(at.min())
        while low <= int(at.max()):
            high = min(int(at.max()), low + 4_999_999)
            region = f"{chrom}:{low}-{high}"
            listed |= {v["variant"] for v in client.json("GET", f"/api/frequency/regions/{region}")["variants"]}
            status, _, data = client.request("GET", f"/region/{region}/variants.csv")
            assert status == 200, data[:200]
            csv |= {line.split(",")[0] for line in data.decode().splitlines()[1:]}
            low = high + 1
    if "chr19" in cohort.chrom:
        gene = {v["variant"] for v in client.json("GET", "/api/frequency/genes/LDLR")["variants"]}
    return listed, gene, csv


# --- the attack --------------------------------------------------------------------------------------------------


def binomial_pmf(n: int, p: np.ndarray, k_max: int) -> np.ndarray:
    """P(X = k) for X ~ Binomial(n, p), for k = 0 … k_max (rows), per p (columns)."""
    q = np.clip(1 - p, 1e-300, 1)
    pmf = np.empty((k_max + 1, p.size))
    pmf[0] = np.exp(n * np.log(q))
    ratio = p / q
    for k in range(k_max):
        pmf[k + 1] = pmf[k] * (n - k) / (k + 1) * ratio
    return pmf


def _rounded(count: np.ndarray, to: int) -> np.ndarray:
    return ((2 * count + to) // (2 * to)) * to


def count_likelihoods(
    rule: Rule, n_members: int, freq: np.ndarray, dose: np.ndarray, shown: np.ndarray, round_to: int, cap: int
) -> tuple[np.ndarray, np.ndarray]:
    """P(the allele count shown | member) and (| non-member): shown is the count rounded to ``round_to`` when it
    reaches the variant's floor (uniform over ``rule.floors``), else 0."""
    counts = np.arange(cap + 1)
    out = binomial_pmf(2 * n_members, freq, cap)
    others = binomial_pmf(2 * (n_members - 1), freq, cap)
    members = np.zeros_like(others)
    for g in (1, 2):
        rows = dose == g
        members[g:, rows] = others[: cap + 1 - g, rows]
    p_in = np.zeros(freq.size)
    p_out = np.zeros(freq.size)
    rounded = _rounded(counts, round_to)[:, None]
    for floor, weight in zip(rule.floors, rule.weight_array(), strict=True):
        below = counts[:, None] < floor
        match = (below & (shown == 0)[None, :]) | (~below & (rounded == shown[None, :]))
        p_in += weight * (members * match).sum(axis=0)
        p_out += weight * (out * match).sum(axis=0)
    return np.clip(p_in, 1e-12, 1), np.clip(p_out, 1e-12, 1)


def binomial_sf(n: int, p: np.ndarray, k_max: int) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(n, p), for k = 0 … k_max (rows), per p (columns)."""
    q = np.clip(1 - p, 1e-300, 1)
    pmf = np.exp(n * np.log(q))
    ratio = p / q
    sf = np.empty((k_max + 1, p.size))
    cdf = np.zeros(p.size)
    for k in range(k_max + 1):
        sf[k] = np.clip(1 - cdf, 0, 1)
        cdf = cdf + pmf
        pmf = pmf * (n - k) / (k + 1) * ratio
    return sf


@dataclass(frozen=True)
class Rule:
    """What the attacker knows of the rule: revealed when AC ≥ the variant's floor, one of ``floors`` drawn with
    ``weights`` (equal weights when None)."""

    name: str
    floors: tuple[int, ...]
    weights: tuple[float, ...] | None = None

    def weight_array(self) -> np.ndarray:
        w = np.ones(len(self.floors)) if self.weights is None else np.asarray(self.weights, dtype=float)
        return w / w.sum()


def reveal_probabilities(rule: Rule, n_members: int, freq: np.ndarray, dose: np.ndarray) -> tuple[np.ndarray, ...]:
    """P(revealed | member) and P(revealed | non-member) per variant of a target carrying ``dose`` copies."""
    k_max = max(rule.floors)
    out = binomial_sf(2 * n_members, freq, k_max)
    others = binomial_sf(2 * (n_members - 1), freq, k_max)
    w = rule.weight_array()
    p_out = sum(wk * out[k] for k, wk in zip(rule.floors, w, strict=True))
    p_in = sum(wk * others[np.maximum(k - dose, 0), np.arange(freq.size)] for k, wk in zip(rule.floors, w, strict=True))
    return np.clip(p_in, 1e-12, 1 - 1e-12), np.clip(p_out, 1e-12, 1 - 1e-12)


def auc(members: np.ndarray, others: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half)."""
    greater = (members[:, None] > others[None, :]).sum()
    ties = (members[:, None] == others[None, :]).sum()
    return float((greater + 0.5 * ties) / (members.size * others.size))


def tpr_at_fpr(members: np.ndarray, others: np.ndarray, fpr: float = 0.05) -> float:
    threshold = np.quantile(others, 1 - fpr, method="higher")
    return float(np.mean(members > threshold))


@dataclass
class Plan:
    """Per target: its carried variants (indices into the cohort's sites) in each attack's order, and doses."""

    sb: list[np.ndarray]
    floor_aware: list[np.ndarray]
    doses: list[np.ndarray]


def plan_queries(cohort: Cohort, size: Size, freq: np.ndarray, rule: Rule, max_q: int) -> Plan:
    dosage = cohort.all_dosage
    targets = list(range(size.targets)) + list(range(size.members, size.members + size.targets))
    sb, aware, doses = [], [], []
    tie = np.frombuffer(hashlib.sha256(b"ties").digest() * (freq.size // 32 + 1), dtype=np.uint8)[: freq.size]
    for t in targets:
        carried = np.flatnonzero(dosage[:, t] > 0)
        dose = dosage[carried, t].astype(np.int64)
        sb.append(carried[np.lexsort((tie[carried], freq[carried]))][:max_q])
        p_in, p_out = reveal_probabilities(rule, size.members, freq[carried], dose)
        gain = p_in * np.log(p_in / p_out) + (1 - p_in) * np.log((1 - p_in) / (1 - p_out))
        aware.append(carried[np.argsort(-gain, kind="stable")][:max_q])
        doses.append(dose)
    return Plan(sb, aware, doses)


def scores(
    plan: Plan,
    cohort: Cohort,
    size: Size,
    freq: np.ndarray,
    answers: np.ndarray,
    rule: Rule,
    q: int,
) -> dict[str, np.ndarray]:
    """Each target's statistic (higher: more likely a member) for both attacks, with ``q`` queries."""
    dosage = cohort.all_dosage
    targets = list(range(size.targets)) + list(range(size.members, size.members + size.targets))
    n = size.members
    sb_scores, aware_scores = [], []
    for index, t in enumerate(targets):
        chosen = plan.sb[index][:q]
        f = freq[chosen]
        d0 = np.exp(2 * n * np.log1p(-f))  # nobody of n carries it
        d1 = np.exp(2 * (n - 1) * np.log1p(-f))  # nobody of the n - 1 others carries it
        yes = np.log1p(-SB_ERROR * d1) - np.log1p(-np.minimum(d0, 1 - 1e-12))
        no = np.log(SB_ERROR) - 2 * np.log1p(-f)  # log(δ·d1 / d0)
        sb_scores.append(np.sum(np.where(answers[chosen], yes, no)))
        chosen = plan.floor_aware[index][:q]
        p_in, p_out = reveal_probabilities(rule, n, freq[chosen], dosage[chosen, t].astype(np.int64))
        x = answers[chosen]
        aware_scores.append(np.sum(np.where(x, np.log(p_in / p_out), np.log((1 - p_in) / (1 - p_out)))))
    return {"SB LRT": np.asarray(sb_scores), "floor-aware LRT": np.asarray(aware_scores)}


def count_scores(
    plan: Plan, cohort: Cohort, size: Size, freq: np.ndarray, shown: np.ndarray, rule: Rule, q: int, round_to: int
) -> np.ndarray:
    """The floor-aware attack that also reads the (rounded) allele count the API shows: the LRT of the counts.
    Variants expected above ``COUNT_CAP / 3`` carriers are skipped (a count that large says little)."""
    dosage = cohort.all_dosage
    targets = list(range(size.targets)) + list(range(size.members, size.members + size.targets))
    values = []
    for index, t in enumerate(targets):
        chosen = plan.floor_aware[index][:q]
        chosen = chosen[2 * size.members * freq[chosen] < COUNT_CAP / 3]
        p_in, p_out = count_likelihoods(
            rule, size.members, freq[chosen], dosage[chosen, t].astype(np.int64), shown[chosen], round_to, COUNT_CAP
        )
        values.append(np.sum(np.log(p_in / p_out)))
    return np.asarray(values)


# --- the run -----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    rows: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    size: dict[str, Any] = field(default_factory=dict)
    n_requests: int = 0
    seconds: float = 0.0


def run(size: Size, *, seed: int = 7, work: Path | None = None, time_limit: float = 900.0) -> Result:
    """Simulate, build, serve, attack; return every measured figure."""
    from genomdb.frequency.disclosure import POLICIES, Tier

    started = time.monotonic()
    deadline = started + time_limit
    result = Result(size=dataclasses.asdict(size))
    folder = Path(tempfile.mkdtemp(prefix="privacy-", dir=work))
    try:
        progress(f"simulating {size.members + 2 * size.targets + size.panel:,} individuals over {size.regions} regions")
        cohort = simulate(size, seed)
        n_sites = cohort.all_pos.size
        progress(f"{n_sites:,} sites; ingesting {size.members:,} members and building the release")
        tokens = build_instance(folder / "home", cohort, size)
        keys = cohort.keys()
        dosage = cohort.all_dosage
        panel = dosage[:, size.members + size.targets :]
        freq = (panel.sum(axis=1) + 0.5) / (2 * size.panel + 1)
        true_ac = dosage[:, : size.members].sum(axis=1)
        public = POLICIES[Tier.PUBLIC]
        distribution = public.floor_distribution()
        served_rule = Rule("public", tuple(f for f, _ in distribution), tuple(w for _, w in distribution))
        max_q = max(size.query_counts)
        plan = plan_queries(cohort, size, freq, served_rule, max_q)
        fixed_plan = plan_queries(cohort, size, freq, Rule("fixed 10", (10,)), max_q)
        none_plan = plan_queries(cohort, size, freq, Rule("none", (1,)), max_q)
        needed = sorted(set(np.concatenate([*plan.sb, *plan.floor_aware])))
        needed_keys = [keys[i] for i in needed]
        token_needed = sorted(set(np.concatenate([*none_plan.sb, *none_plan.floor_aware])))
        token_keys = [keys[i] for i in token_needed]
        bound = len(needed_keys) + 4 * (len(needed_keys) // 1000 + 1) + 100
        result.budget = budget_check(folder / "home", keys[int(needed[0])], deadline)
        result.n_requests += result.budget.get("requests", 0)
        progress(f"attacking: {len(needed_keys):,} variants per public surface, {len(token_keys):,} per token tier")
        with served(folder / "home") as port:
            client = Client(port, max_requests=bound, deadline=deadline)
            surfaces: dict[str, dict[str, bool]] = {"Beacon": ask_beacon(client, needed_keys)}
            shown_counts: dict[str, int] = {}
            surfaces["API variant look-ups"] = ask_variants(client, needed_keys, "public", shown_counts)
            public_counts = sum(1 for n in shown_counts.values() if n)
            listed, gene, csv = ask_listings(client, cohort)
            surfaces["API region listings"] = {k: k in listed for k in needed_keys}
            surfaces["browser CSV"] = {k: k in csv for k in needed_keys}
            public_requests = client.n_requests
            client.close()
            tiers: dict[str, dict[str, bool]] = {}
            for tier in ("registered", "controlled"):
                token_client = Client(port, max_requests=bound, deadline=deadline, token=tokens[tier])
                tiers[f"API, {tier} tier (token)"] = ask_variants(token_client, token_keys, tier)
                result.n_requests += token_client.n_requests
                token_client.close()
        result.n_requests += public_requests
        beacon = surfaces["Beacon"]
        result.checks = {
            "sites": n_sites,
            "variants asked": len(needed_keys),
            "public requests": public_requests,
            "surfaces agreeing with the Beacon on every variant": [
                name for name, answers in surfaces.items() if answers == beacon
            ],
            "public yes for AC < 10": sum(
                1 for i in needed for answers in surfaces.values() if answers[keys[i]] and true_ac[i] < public.min_count
            ),
            "gene listing inside region listing": gene <= listed,
            "gene listing size": len(gene),
            "public counts shown": public_counts,
        }
        is_member = np.r_[np.ones(size.targets, dtype=bool), np.zeros(size.targets, dtype=bool)]
        answer_sets: list[tuple[str, str, np.ndarray, Plan, Rule]] = []
        everything = Rule("every carried variant is revealed", (1,))
        for name, answers in {**surfaces, **tiers}.items():
            vector = np.zeros(n_sites, dtype=bool)
            asked = token_needed if name in tiers else needed
            vector[asked] = [answers[keys[i]] for i in asked]
            if name in tiers:  # registered and controlled tiers reveal every variant the release observed
                answer_sets.append((name, "served", vector, none_plan, everything))
            else:
                answer_sets.append((name, "served", vector, plan, served_rule))
        answer_sets.append(
            ("fixed floor 10 (earlier rule)", "offline", true_ac >= public.min_count, fixed_plan, Rule("fixed", (10,)))
        )
        previous = Rule("fixed 10", (10,))
        rounded = np.where(true_ac >= 10, ((2 * true_ac + 5) // 10) * 5, 0)
        for q in size.query_counts:
            values = count_scores(fixed_plan, cohort, size, freq, rounded, previous, q, 5)
            result.rows.append(
                {
                    "surface": "AC rounded to 5 (earlier rule)",
                    "answers": "offline",
                    "attack": "count-reading LRT",
                    "queries": q,
                    "auc": round(auc(values[is_member], values[~is_member]), 3),
                    "tpr_at_5pct_fpr": round(tpr_at_fpr(values[is_member], values[~is_member]), 3),
                }
            )
        for name, kind, vector, chosen_plan, rule in answer_sets:
            for q in size.query_counts:
                for attack, values in scores(chosen_plan, cohort, size, freq, vector, rule, q).items():
                    result.rows.append(
                        {
                            "surface": name,
                            "answers": kind,
                            "attack": attack,
                            "queries": q,
                            "auc": round(auc(values[is_member], values[~is_member]), 3),
                            "tpr_at_5pct_fpr": round(tpr_at_fpr(values[is_member], values[~is_member]), 3),
                        }
                    )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def progress(message: str) -> None:
    print(f"{dt.datetime.now(dt.UTC):%H:%M:%S} {message}", file=sys.stderr, flush=True)


def budget_check(home: Path, key: str, deadline: float, per_day: int = 50) -> dict[str, Any]:
    """With a daily budget of ``per_day`` public queries (the bench lowers the default 1,000 to keep this quick),
    a client is refused with 429 once it is spent, and still refused after the server restarts."""
    budgets = {
        "GENOMDB_API_PUBLIC_QUERIES_PER_MINUTE": "1000000",
        "GENOMDB_API_PUBLIC_QUERIES_PER_DAY": str(per_day),
        "GENOMDB_API_BUDGET_FLUSH_SECONDS": "0",
    }
    outcome: dict[str, Any] = {"per_day": per_day}
    requests = 0
    with served(home, budgets=budgets) as port:
        client = Client(port, max_requests=per_day + 5, deadline=deadline)
        for _ in range(per_day + 1):
            status, headers, body = client.request("GET", f"/api/frequency/variants/{key}")
            if status == 429:
                problem = json.loads(body)
                outcome.update(
                    refused_after=client.n_requests - 1,
                    retry_after=int(headers.get("retry-after", headers.get("Retry-After", "0"))),
                    resets_at=problem.get("resets_at"),
                    detail=problem["detail"],
                )
                break
        requests += client.n_requests
        client.close()
    with served(home, budgets=budgets) as port:
        client = Client(port, max_requests=2, deadline=deadline)
        status, _, _ = client.request("GET", f"/api/frequency/variants/{key}")
        outcome["refused_after_restart"] = status == 429
        requests += client.n_requests
        client.close()
    outcome["requests"] = requests
    return outcome


def report(result: Result) -> str:
    lines = [
        f"cohort: {result.size['members']:,} members, {result.size['targets']} member and {result.size['targets']} "
        f"non-member targets, reference panel {result.size['panel']:,}; {result.checks['sites']:,} biallelic sites",
        f"requests: {result.n_requests:,} in {result.seconds:.0f} s; public surfaces asked about "
        f"{result.checks['variants asked']:,} variants with {result.checks['public requests']:,} requests",
        f"surfaces whose public answers equal the Beacon's on every variant: "
        f"{', '.join(result.checks['surfaces agreeing with the Beacon on every variant'])}",
        f"public 'yes' answers for variants with AC < 10: {result.checks['public yes for AC < 10']}; "
        f"public answers carrying an allele count: {result.checks.get('public counts shown')}",
        "",
        f"{'surface':<34}{'answers':<9}{'attack':<17}"
        + "".join(f"{f'{q} q':>16}" for q in result.size["query_counts"]),
        f"{'':<60}" + "".join(f"{'AUC  TPR@5%':>16}" for _ in result.size["query_counts"]),
    ]
    keyed: dict[tuple[str, str, str], dict[int, dict[str, Any]]] = {}
    for row in result.rows:
        keyed.setdefault((row["surface"], row["answers"], row["attack"]), {})[row["queries"]] = row
    for (surface, answers, attack), by_q in keyed.items():
        cells = "".join(
            f"{by_q[q]['auc']:>9.2f} {by_q[q]['tpr_at_5pct_fpr']:>5.2f}" + " " for q in result.size["query_counts"]
        )
        lines.append(f"{surface:<34}{answers:<9}{attack:<17}{cells}")
    b = result.budget
    lines += [
        "",
        f"budget over days ({b['per_day']} public queries per day for this check; default 1,000/day, 5,000/30 days):"
        f" refused after {b.get('refused_after')} queries, Retry-After {b.get('retry_after')} s, resets at "
        f"{b.get('resets_at')}; still refused after a restart: {b.get('refused_after_restart')}",
    ]
    return "\n".join(lines)


# --- offline sweep of floor distributions -----------------------------------------------------------------------

SWEEP = ((60.0, 15.0, 150), (80.0, 20.0, 200), (100.0, 25.0, 250), (120.0, 30.0, 300), (150.0, 40.0, 400))
"""(centre, scale, max) of the public floor distributions ``--sweep`` compares; the first is the old default."""


def sweep(
    size: Size, *, seed: int, draws: int, grid: Sequence[tuple[float, float, int]] = SWEEP
) -> list[dict[str, Any]]:
    """The floor-aware attack on answers computed offline from the exact counts, for each floor distribution of
    ``grid`` and ``draws`` independent draws of every variant's floor (the instance's keyed draw is one of them).
    The served run measures one draw; the mean over many says what a distribution gives, the spread how lucky one
    instance's key can be. Also prints what the public loses: the allele count at which half and 95% of variants are
    shown (for scale: at 60,000 genomes an AC of 100 is an allele frequency of 0.083%)."""
    from genomdb.frequency.disclosure import Tier, policies_with_public_floors

    progress(f"simulating {size.members + 2 * size.targets + size.panel:,} individuals over {size.regions} regions")
    cohort = simulate(size, seed)
    dosage = cohort.all_dosage
    panel = dosage[:, size.members + size.targets :]
    freq = (panel.sum(axis=1) + 0.5) / (2 * size.panel + 1)
    true_ac = dosage[:, : size.members].sum(axis=1)
    is_member = np.r_[np.ones(size.targets, dtype=bool), np.zeros(size.targets, dtype=bool)]
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for center, scale, high in grid:
        distribution = policies_with_public_floors(center, scale, high)[Tier.PUBLIC].floor_distribution()
        floors = np.asarray([f for f, _ in distribution])
        weights = np.asarray([w for _, w in distribution])
        rule = Rule(f"logistic {center:g}/{scale:g}, 10–{high}", tuple(floors.tolist()), tuple(weights.tolist()))
        plan = plan_queries(cohort, size, freq, rule, max(size.query_counts))
        cumulative = np.cumsum(weights)
        half = int(floors[np.searchsorted(cumulative, 0.5)])
        most = int(floors[min(np.searchsorted(cumulative, 0.95), floors.size - 1)])
        by_q: dict[int, list[float]] = {q: [] for q in size.query_counts}
        for _ in range(draws):
            drawn = floors[np.minimum(np.searchsorted(cumulative, rng.random(true_ac.size)), floors.size - 1)]
            answers = true_ac >= drawn
            for q in size.query_counts:
                values = scores(plan, cohort, size, freq, answers, rule, q)["floor-aware LRT"]
                by_q[q].append(auc(values[is_member], values[~is_member]))
        for q, values in by_q.items():
            rows.append(
                {
                    "rule": rule.name,
                    "queries": q,
                    "auc_mean": round(float(np.mean(values)), 3),
                    "auc_sd": round(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, 3),
                    "auc_max": round(float(np.max(values)), 3),
                    "half_shown_at_ac": half,
                    "95pct_shown_at_ac": most,
                }
            )
        progress(f"{rule.name}: " + ", ".join(f"{r['queries']} q {r['auc_mean']:.3f}" for r in rows[-len(by_q) :]))
    return rows


def sweep_report(rows: Sequence[dict[str, Any]], draws: int) -> str:
    lines = [
        f"floor-aware LRT on offline answers, {draws} draws of the floors each (AUC mean ± sd, worst draw)",
        f"{'public floors':32s} {'queries':>7s} {'AUC':>13s} {'worst':>6s} {'half shown':>11s} {'95% shown':>10s}",
    ]
    for r in rows:
        lines.append(
            f"{r['rule']:32s} {r['queries']:7d} {r['auc_mean']:7.3f} ±{r['auc_sd']:.3f} {r['auc_max']:6.3f} "
            f"{'AC ' + str(r['half_shown_at_ac']):>11s} {'AC ' + str(r['95pct_shown_at_ac']):>10s}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the small size the test uses")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--targets", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds before the attack stops itself")
    parser.add_argument(
        "--sweep", type=int, default=0, metavar="DRAWS", help="offline: compare floor distributions over DRAWS draws"
    )
    args = parser.parse_args()
    size = SMALL if args.small else DEFAULT
    if args.members is not None:
        size = dataclasses.replace(size, members=args.members, panel=args.members)
    if args.targets is not None:
        size = dataclasses.replace(size, targets=args.targets)
    OUT.mkdir(exist_ok=True)
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores", flush=True)
    if args.sweep:
        rows = sweep(size, seed=args.seed, draws=args.sweep)
        print(sweep_report(rows, args.sweep))
        if args.json is not None:
            args.json.write_text(json.dumps(rows, indent=1))
        return
    result = run(size, seed=args.seed, work=OUT, time_limit=args.time_limit)
    print(report(result))
    if args.json is not None:
        args.json.write_text(json.dumps(dataclasses.asdict(result), indent=1, default=str))


if __name__ == "__main__":
    main()
