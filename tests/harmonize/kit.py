"""Hand-made call files for harmonisation tests: a small GRCh38-shaped reference, VCF/gVCF records built against
it, manifests submitted through data-in, Debian bcftools as the normalisation oracle, and store snapshots."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import yaml
from sqlalchemy import select

from genomdb.catalog.tables import SampleRow
from genomdb.demo.reference import RegionSequence, synthesize_region_sequence, write_reference
from genomdb.demo.regions import Gene, GenomicRegion
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.submission import SubmissionOutcome
from genomdb.refdata import get_build
from genomdb.variants import repository as variant_repository
from tests.identities import fake_cpr

AUTOSOME = "chr21"
WINDOW_START = 30_000_001
X_NON_PAR_START = 31_000_001
X_PAR_BOUNDARY = 2_781_479
"""Last base of GRCh38 PAR1 on chrX."""
Y_START = 10_000_001


def _window(chrom: str, start: int, length: int) -> GenomicRegion:
    gene = Gene(f"{chrom}-window", chrom, start + 1_000, start + 2_000)
    return GenomicRegion(gene.symbol, chrom, start, start + length - 1, gene)


@dataclass(frozen=True)
class SmallReference:
    """A bgzipped, indexed FASTA with real GRCh38 contig lengths and synthetic sequence in a few windows."""

    fasta: Path
    sequences: dict[str, RegionSequence]

    @property
    def contigs(self) -> list[tuple[str, int]]:
        with pysam.FastaFile(str(self.fasta)) as reference:
            return list(zip(reference.references, reference.lengths, strict=True))

    def bases(self, chrom: str, pos_1based: int, length: int = 1) -> str:
        with pysam.FastaFile(str(self.fasta)) as reference:
            return reference.fetch(chrom, pos_1based - 1, pos_1based - 1 + length).upper()

    def repeat(
        self, unit_length: int, *, min_copies: int = 4, chrom: str = AUTOSOME, skip: int = 0
    ) -> tuple[int, str, int]:
        """(start_1based, unit, copies) of a planted repeat tract, the ``skip``-th that fits."""
        found = [
            t
            for t in self.sequences[chrom].repeats
            if len(t.unit) == unit_length and t.n_copies >= min_copies and t.start_1based > WINDOW_START + 100
        ]
        tract = found[skip]
        return tract.start_1based, tract.unit, tract.n_copies


def write_test_reference(path: Path, *, sex_chromosomes: bool = False) -> SmallReference:
    """chr21 (a 40 kb window of sequence) and, with ``sex_chromosomes``, chrX (PAR1 boundary and a non-PAR window)
    and chrY; everything else ``N``."""
    build = get_build("GRCh38")
    regions = [_window(AUTOSOME, WINDOW_START, 40_000)]
    names = [AUTOSOME]
    if sex_chromosomes:
        regions += [
            _window("chrX", X_PAR_BOUNDARY - 9_999, 20_000),
            _window("chrX", X_NON_PAR_START, 20_000),
            _window("chrY", Y_START, 10_000),
        ]
        names += ["chrX", "chrY"]
    rng = np.random.default_rng(17)
    sequences = [synthesize_region_sequence(region, rng) for region in regions]
    lengths = {c.name: c.length for c in build.contigs if c.name in names}
    written = write_reference(path, sequences, contig_lengths=lengths)
    keys = [AUTOSOME, "chrX-par", "chrX", "chrY"]
    return SmallReference(written.fasta, dict(zip(keys, sequences, strict=False)))


# --- records --------------------------------------------------------------------------------------------------


def _default_ad(gt: str, n_alts: int, dp: int, gvcf: bool) -> str:
    alleles = [a for a in gt.replace("|", "/").split("/") if a != "."]
    counts = [0] * (n_alts + 1)
    for allele in alleles:
        counts[int(allele)] += dp // max(1, len(alleles))
    return ",".join(map(str, counts + ([0] if gvcf else [])))


def call(
    chrom: str,
    pos: int,
    ref: str,
    alts: str,
    gt: str,
    *,
    gq: int | None = 50,
    dp: int | None = 30,
    ad: str | None = None,
    gvcf: bool = False,
) -> str:
    """A variant record; ``alts`` comma-separated; AD (REF and ALTs) split evenly over the called alleles unless
    given; a gVCF record gets ``<NON_REF>`` and its AD of 0."""
    n_alts = len(alts.split(","))
    alt_text = alts + (",<NON_REF>" if gvcf else "")
    ad_text = _default_ad(gt, n_alts, dp or 0, gvcf) if ad is None else ad + (",0" if gvcf and ad != "." else "")
    values = [gt, ad_text, "." if dp is None else str(dp), "." if gq is None else str(gq)]
    return "\t".join([chrom, str(pos), ".", ref, alt_text, "50", "PASS", ".", "GT:AD:DP:GQ", ":".join(values)])


def block(
    reference: SmallReference, chrom: str, start: int, end: int, *, gq: int = 60, min_dp: int = 25, gt: str = "0/0"
) -> str:
    """A gVCF reference block with the right REF base."""
    return "\t".join(
        [
            chrom,
            str(start),
            ".",
            reference.bases(chrom, start),
            "<NON_REF>",
            ".",
            ".",
            f"END={end}",
            "GT:DP:GQ:MIN_DP",
            f"{gt}:{min_dp + 5}:{gq}:{min_dp}",
        ]
    )


HEADER_META = (
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
    '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP in the block">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">',
)


def write_calls(
    path: Path,
    lines: Sequence[str],
    *,
    samples: Sequence[str],
    contigs: Sequence[tuple[str, int]],
    gvcf: bool,
) -> Path:
    """A bgzipped, tabix-indexed VCF or gVCF; records are sorted by contig order and position."""
    order = {name: i for i, name in enumerate(name for name, _ in contigs)}
    meta = ["##fileformat=VCFv4.2"]
    if gvcf:
        meta.append('##ALT=<ID=NON_REF,Description="Any other allele">')
    meta += [*HEADER_META, *(f"##contig=<ID={name},length={length}>" for name, length in contigs)]
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    records = sorted(lines, key=lambda line: (order[line.split("\t")[0]], int(line.split("\t")[1])))
    plain = path.with_name(path.name.removesuffix(".gz") + ".plain")
    plain.write_text("\n".join([*meta, "\t".join(columns), *records]) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


# --- submissions ----------------------------------------------------------------------------------------------


@dataclass
class CallFileSpec:
    """One sample (and its person) with its call file's records."""

    sample_id: str
    lines: list[str]
    sex: str = "female"
    gvcf: bool = True
    person: int = 0
    """Index of the person: the same index means the same CPR number, so the same pseudonym."""
    platform: str = "ILLUMINA"
    build: str = "GRCh38"
    extra_samples: list[str] = field(default_factory=list)
    """Further samples in the same file (a multi-sample VCF); their columns repeat the first genotype."""
    withdrawn: bool = False


def person_cpr(index: int, sex: str) -> str:
    """A CPR-like number per person index; the last digit's parity gives the declared sex."""
    return fake_cpr(1 + index % 28, 1 + index // 28 % 12, 60, 1000 + 2 * index + (1 if sex == "male" else 0))


def submit_calls(
    instance: Instance,
    folder: Path,
    specs: Sequence[CallFileSpec],
    reference: SmallReference,
    *,
    department: str = "RH-KG",
    contigs: Sequence[tuple[str, int]] | None = None,
    corrects: str | None = None,
    reason: str | None = None,
    manifest_updates: dict[str, Any] | None = None,
) -> SubmissionOutcome:
    """Write each spec's call file and one manifest for them all, and submit it through data-in."""
    folder.mkdir(parents=True, exist_ok=True)
    contigs = list(contigs or reference.contigs)
    individuals: dict[int, dict[str, Any]] = {}
    samples, runs, files, analyses = [], [], [], []
    for spec in specs:
        names = [spec.sample_id, *spec.extra_samples]
        for offset, name in enumerate(names):
            person = spec.person + offset
            individuals.setdefault(person, {"id": f"P{person}", "cpr": person_cpr(person, spec.sex)})
            samples.append({"id": name, "individual": f"P{person}", "tissue": "blood", "withdrawn": spec.withdrawn})
            read_type = "short" if spec.platform == "ILLUMINA" else "long"
            runs.append({"id": f"{name}-run", "sample": name, "platform": spec.platform, "read_type": read_type})
        suffix = ".g.vcf.gz" if spec.gvcf else ".vcf.gz"
        lines = [line + "".join("\t" + line.split("\t")[-1] for _ in spec.extra_samples) for line in spec.lines]
        path = write_calls(folder / f"{spec.sample_id}{suffix}", lines, samples=names, contigs=contigs, gvcf=spec.gvcf)
        files.append(
            {
                "id": f"{spec.sample_id}-calls",
                "path": path.name,
                "format": "GVCF" if spec.gvcf else "VCF",
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        )
        analyses.append(
            {
                "id": f"{spec.sample_id}-A1",
                "samples": names,
                "pipeline": {"name": "test caller", "version": "1"},
                "reference_build": spec.build,
                "outputs": [f"{spec.sample_id}-calls"],
            }
        )
    document = {
        "schema_version": 1,
        "submitter": {"department": department},
        "individuals": list(individuals.values()),
        "samples": samples,
        "runs": runs,
        "files": files,
        "analyses": analyses,
        **(manifest_updates or {}),
    }
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    return submit_manifest(instance, manifest, corrects=corrects, reason=reason)


# --- the oracle -----------------------------------------------------------------------------------------------

OracleCall = tuple[str, str, int, str, str, int]


def bcftools_norm_calls(vcf: Path, fasta: Path) -> set[OracleCall]:
    """(sample, chrom, pos, ref, alt, copies) of every carried sequence allele after Debian
    ``bcftools norm -m-any -f REF`` (symbolic and ``*`` alleles are not variants)."""
    normalized = subprocess.run(
        ["bcftools", "norm", "-m-any", "-f", str(fasta), "-Ov", str(vcf)], capture_output=True, check=True
    ).stdout
    printed = subprocess.run(
        ["bcftools", "query", "-f", "[%SAMPLE\t%CHROM\t%POS\t%REF\t%ALT\t%GT\n]", "-"],
        input=normalized,
        capture_output=True,
        check=True,
    ).stdout.decode()
    found: set[OracleCall] = set()
    for line in printed.splitlines():
        sample, chrom, pos, ref, alt, gt = line.split("\t")
        if alt.startswith("<") or alt == "*":
            continue
        copies = gt.replace("|", "/").split("/").count("1")
        if copies:
            found.add((sample, chrom, int(pos), ref.upper(), alt.upper(), copies))
    return found


# --- reading what harmonisation stored ------------------------------------------------------------------------


def sample_names(instance: Instance) -> dict[int, str]:
    """Sample version id → the department's own sample id, for every version (current or not)."""
    with instance.db.session() as session:
        return {row[0]: row[1] for row in session.execute(select(SampleRow.id, SampleRow.submitter_sample_id))}


def stored_calls(instance: Instance) -> list[dict[str, Any]]:
    """Every calls row of every registered batch, with the sample's own id, as dicts."""
    from genomdb.variants.store import VariantStore, connect_duckdb

    store = VariantStore.of(instance)
    globs = store.calls_glob()
    if not globs:
        return []
    names = sample_names(instance)
    con = connect_duckdb(threads=1)
    try:
        relation = con.sql(f"SELECT * FROM read_parquet({globs!r}, hive_partitioning = true) ORDER BY chrom, pos")
        columns = relation.columns
        rows = [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()
    for row in rows:
        row["sample"] = names[row["sample_id"]]
    return rows


def stored_blocks(instance: Instance) -> list[dict[str, Any]]:
    """Every blocks row of every registered batch, as dicts."""
    from genomdb.variants.store import VariantStore, connect_duckdb

    globs = VariantStore.of(instance).blocks_glob()
    if not globs:
        return []
    con = connect_duckdb(threads=1)
    try:
        relation = con.sql(
            f"SELECT * FROM read_parquet({globs!r}, hive_partitioning = true) ORDER BY sample_id, chrom, start_1based"
        )
        columns = relation.columns
        return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        con.close()


def allele_number(blocks: Sequence[dict[str, Any]], chrom: str, pos: int) -> int:
    return sum(
        b["callable_alleles"] for b in blocks if b["chrom"] == chrom and b["start_1based"] <= pos <= b["end_1based"]
    )


@dataclass(frozen=True)
class StoreSnapshot:
    counts: dict[str, int]
    variant_counts: dict[str, int]
    files: frozenset[str]


def store_snapshot(instance: Instance) -> StoreSnapshot:
    """Catalog row counts and every file under HOME/variants: what 'unchanged' means."""
    root = instance.settings.resolved_home() / "variants"
    files = (
        frozenset(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else frozenset()
    )
    return StoreSnapshot(instance.catalog.counts(), variant_repository.variant_store_counts(instance.db), files)
