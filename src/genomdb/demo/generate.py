"""Generate the demo cohort: reference, simulated genomes, per-sample files and one manifest per department."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genomdb.demo.carriers import PlantedKey, plan_planting, plant_carriers
from genomdb.demo.cohort import (
    BoolArray,
    CohortPlan,
    IntArray,
    Person,
    RegionVariants,
    plan_cohort,
    simulate_region_variants,
)
from genomdb.demo.manifests import DemoAnalysis, DemoFile, DemoRun, DepartmentSubmission, write_manifests
from genomdb.demo.pgx_alleles import DemoPgx
from genomdb.demo.reference import synthesize_region_sequence, write_reference
from genomdb.demo.regions import DEFAULT_REGION_LENGTH_BP, GenomicRegion, demo_contig_lengths, demo_regions
from genomdb.demo.writers import (
    CallFileResult,
    CallTask,
    SiteTable,
    called_sites,
    init_call_worker,
    plan_gaps,
    write_calls,
    write_calls_in_worker,
    write_long_reads,
    write_short_reads,
)
from genomdb.ingest.manifest import FileFormat, Platform, ReadType
from genomdb.pgx.evidence import GenotypeCall
from genomdb.worker_pool import worker_pool

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages: simulate, reference, calls, reads, manifests."""

REFERENCE_FILE_NAME = "GRCh38_demo.fa.gz"
DRAGEN = ("DRAGEN", "4.2.4")
GATK = ("GATK HaplotypeCaller", "4.5.0.0")
CLAIR3 = ("Clair3", "1.0.10")
DEEPVARIANT = ("DeepVariant", "1.6.1")
_DRAGEN_DEPARTMENTS = frozenset({"RH-GM", "RSD-KG-OUH", "RM-KG"})
_SOURCE_LINE = {DRAGEN: "DRAGEN 4.2.4", GATK: "HaplotypeCaller", CLAIR3: "Clair3", DEEPVARIANT: "DeepVariant"}
ONT_FRACTION = 0.08
PACBIO_FRACTION = 0.05
"""Shares of people without submitted reads whose genome was sequenced on ONT PromethION / PacBio Revio."""
_INSTRUMENTS = {
    Platform.ILLUMINA: (ReadType.SHORT, "NovaSeq 6000"),
    Platform.ONT: (ReadType.LONG, "PromethION"),
    Platform.PACBIO: (ReadType.LONG, "Revio"),
}
_IN_FLIGHT_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class ExampleVariant:
    """A variant present in the cohort, for frequency look-up demos; ``key`` is ``chrom-pos-ref-alt`` (1-based)."""

    key: str
    label: str
    region: str
    allele_count: int
    allele_number: int


@dataclass(frozen=True, slots=True)
class DemoCohort:
    """What :func:`generate_demo` wrote. Counts are of the simulated truth, before no-call gaps."""

    out_dir: Path
    reference_fasta: Path
    contig_md5: dict[str, str]
    regions: tuple[GenomicRegion, ...]
    manifest_paths: tuple[Path, ...]
    n_individuals: int
    n_samples: int
    n_sites: dict[str, int]
    n_singleton_sites: dict[str, int]
    example_variants: tuple[ExampleVariant, ...]
    n_files: int
    total_bytes: int
    sex_chromosomes: bool = False
    """The cohort includes the chrX region (XY people hemizygous there)."""
    sex_mismatch_sample_ids: tuple[str, ...] = ()
    """Samples whose declared sex deliberately contradicts their simulated chromosomes."""
    planted_variants: tuple[PlantedKey, ...] = ()
    """Early-detection P/LP variants planted in families (:mod:`genomdb.demo.carriers`), as written."""
    pgx_truth: dict[str, tuple[GenotypeCall, ...]] = field(default_factory=dict, repr=False)
    """Sample id → its true genotypes at the planted PGx star-allele sites (see :mod:`genomdb.demo.pgx_alleles`)."""

    @property
    def manifest_by_department(self) -> dict[str, Path]:
        """Department code → its manifest (each manifest sits in a folder named after the department)."""
        return {path.parent.name: path for path in self.manifest_paths}

    @property
    def example_variant_keys(self) -> tuple[str, ...]:
        return tuple(example.key for example in self.example_variants)

    @property
    def singleton_fraction(self) -> float:
        n_sites = sum(self.n_sites.values())
        return sum(self.n_singleton_sites.values()) / n_sites if n_sites else 0.0


def sequencing_platform(person: Person, seed: int) -> Platform:
    """The platform the person's genome (and so their gVCF/VCF) was sequenced on; submitted reads decide it."""
    if person.short_reads or person.long_reads:
        return Platform.ILLUMINA if person.short_reads else Platform.ONT
    draw = float(np.random.default_rng(np.random.SeedSequence([seed, 6, person.index])).random())
    if draw < ONT_FRACTION:
        return Platform.ONT
    return Platform.PACBIO if draw < ONT_FRACTION + PACBIO_FRACTION else Platform.ILLUMINA


def _pipeline(person: Person, platform: Platform) -> tuple[str, str]:
    if platform is Platform.ONT:
        return CLAIR3
    if platform is Platform.PACBIO:
        return DEEPVARIANT
    return DRAGEN if person.short_reads or person.department in _DRAGEN_DEPARTMENTS else GATK


def _msprime_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, 2, index]).generate_state(1)[0]) % (2**31 - 2) + 1


def _call_tasks(
    out_dir: Path,
    plan: CohortPlan,
    variants: Sequence[RegionVariants],
    seed: int,
    contig_lengths: dict[str, int],
) -> Iterator[CallTask]:
    for person in plan.people:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 3, person.index]))
        suffix = ".g.vcf.gz" if person.call_format == "gvcf" else ".vcf.gz"
        yield CallTask(
            path=out_dir / person.department / f"{person.sample_id}{suffix}",
            sample_id=person.sample_id,
            call_format=person.call_format,
            source=_SOURCE_LINE[_pipeline(person, sequencing_platform(person, seed))],
            haplotypes=tuple(v.haplotypes[2 * person.index : 2 * person.index + 2] for v in variants),
            gaps=tuple(plan_gaps(v.region, rng) for v in variants),
            seed=(seed, 4, person.index),
            contig_lengths=tuple(contig_lengths.items()),
            haploid=tuple(v.region.x_linked and person.xy for v in variants),
        )


def _write_all_calls(
    tasks: Iterator[CallTask], tables: tuple[SiteTable, ...], n_tasks: int, workers: int, report: ProgressCallback
) -> tuple[list[CallTask], dict[str, CallFileResult]]:
    """Write every call file, in worker processes when ``workers`` > 1; keeps few tasks in flight."""
    done: list[CallTask] = []
    results: dict[str, CallFileResult] = {}
    if workers <= 1:
        for task in tasks:
            results[task.sample_id] = write_calls(task, tables)
            done.append(task)
            report("calls", len(results), n_tasks)
        return done, results
    # fork: workers inherit the site tables instead of unpickling a copy each
    with worker_pool(workers, start_method="fork", initializer=init_call_worker, initargs=(tables,)) as pool:
        pending: set[concurrent.futures.Future[CallFileResult]] = set()
        for task in tasks:
            done.append(task)
            pending.add(pool.submit(write_calls_in_worker, task))
            if len(pending) >= workers * _IN_FLIGHT_PER_WORKER:
                finished, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    results[result.sample_id] = result
                    report("calls", len(results), n_tasks)
        for future in concurrent.futures.as_completed(pending):
            result = future.result()
            results[result.sample_id] = result
            report("calls", len(results), n_tasks)
    return done, results


def _unreliable_sites(
    tables: Sequence[SiteTable], tasks: Sequence[CallTask], results: dict[str, CallFileResult]
) -> list[BoolArray]:
    """Per region, sites where some carrier's call is missing (gap) or written as a low-quality call."""
    unreliable = [np.zeros(table.positions.size, dtype=np.bool_) for table in tables]
    for task in tasks:
        for r, (table, haplotypes, gaps) in enumerate(zip(tables, task.haplotypes, task.gaps, strict=True)):
            carried = np.flatnonzero((haplotypes[0] != 0) | (haplotypes[1] != 0))
            unreliable[r][np.setdiff1d(carried, called_sites(table, haplotypes, gaps))] = True
            unreliable[r][results[task.sample_id].degraded[r]] = True
    return unreliable


def _avoid_planted(
    variants: Sequence[RegionVariants], unreliable: list[BoolArray], planted: Sequence[PlantedKey]
) -> list[BoolArray]:
    """Planted early-detection variants are never picked as examples (the demo classifies them P/LP itself)."""
    keys = {p.key for p in planted}
    for v, bad in zip(variants, unreliable, strict=True):
        for i, pos in enumerate(v.positions):
            if f"{v.region.chrom}-{pos}-{v.alleles[i][0]}-{v.alleles[i][-1]}" in keys:
                bad[i] = True
    return unreliable


def _distance_to_gene(region: GenomicRegion, positions: IntArray) -> IntArray:
    gene = region.gene
    return np.maximum(0, np.maximum(gene.start_1based - positions, positions - gene.end_1based))


def _example_variants(
    variants: Sequence[RegionVariants], unreliable: Sequence[BoolArray]
) -> tuple[ExampleVariant, ...]:
    """Per region a common, a rare and a singleton SNV and one indel, nearest the region's gene."""
    examples: list[ExampleVariant] = []
    for v, bad in zip(variants, unreliable, strict=True):
        if v.region.x_linked:
            continue  # allele numbers there depend on sex; the examples are autosomal
        allele_number = v.haplotypes.shape[0]
        counts = v.allele_counts()
        biallelic = np.array([len(a) == 2 for a in v.alleles], dtype=np.bool_)
        snv = biallelic & np.array([len(a[0]) == 1 and len(a[-1]) == 1 for a in v.alleles], dtype=np.bool_)
        indel = biallelic & ~snv & v.left_aligned
        frequency = counts / allele_number
        rare_max = max(3, allele_number // 100)
        wanted = {
            "common": snv & (frequency >= 0.2) & (frequency <= 0.6),
            "rare": snv & (counts >= 2) & (counts <= rare_max),
            "singleton": snv & (counts == 1),
            "indel": indel & (counts >= 2),
        }
        distance = _distance_to_gene(v.region, v.positions)
        for label, mask in wanted.items():
            # A common variant always has some carrier in a gap or with a low-quality call; rarer ones must not.
            candidates = np.flatnonzero(mask if label == "common" else mask & ~bad)
            if candidates.size == 0:
                continue
            site = int(candidates[np.lexsort((v.positions[candidates], distance[candidates]))[0]])
            ref, alt = v.alleles[site]
            examples.append(
                ExampleVariant(
                    f"{v.region.chrom}-{v.positions[site]}-{ref}-{alt}",
                    label,
                    v.region.name,
                    int(counts[site]),
                    allele_number,
                )
            )
    return tuple(examples)


def _next_run_id(submission: DepartmentSubmission) -> str:
    return f"{submission.department}-RUN{len(submission.runs) + 1:03d}"


def _submissions(out_dir: Path, plan: CohortPlan) -> dict[str, DepartmentSubmission]:
    submissions: dict[str, DepartmentSubmission] = {}
    for person in plan.people:
        submission = submissions.setdefault(
            person.department, DepartmentSubmission(person.department, out_dir / person.department)
        )
        submission.people.append(person)
    return submissions


def generate_demo(
    out_dir: Path,
    *,
    n_individuals: int = 200,
    seed: int = 42,
    progress: ProgressCallback | None = None,
    region_length_bp: int = DEFAULT_REGION_LENGTH_BP,
    n_read_samples: int = 4,
    workers: int = 2,
    sex_chromosomes: bool = False,
) -> DemoCohort:
    """Simulate a cohort and write its reference, files and per-department manifests under ``out_dir``.

    Every sample gets a sequencing run (mostly Illumina NovaSeq, some ONT PromethION and PacBio Revio) whose
    analysis produced its gVCF or VCF. ``sex_chromosomes`` adds a chrX region, haploid in XY people, and one
    person whose declared sex contradicts their chromosomes. The same ``seed`` and arguments give byte-identical
    files. Nothing personal is logged: ``progress`` only receives stage names and counts.
    """

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    out_dir.mkdir(parents=True, exist_ok=True)
    regions = demo_regions(region_length_bp, sex_chromosomes=sex_chromosomes)
    contig_lengths = demo_contig_lengths(sex_chromosomes=sex_chromosomes)
    reference_rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    pgx = DemoPgx(regions)
    sequences = [pgx.patch(synthesize_region_sequence(region, reference_rng)) for region in regions]
    plan = plan_cohort(
        n_individuals,
        np.random.default_rng(np.random.SeedSequence([seed, 1])),
        n_read_samples=n_read_samples,
        n_sex_mismatches=1 if sex_chromosomes else 0,
    )
    plan, planting = plan_planting(plan)
    planted: list[PlantedKey] = []

    variants: list[RegionVariants] = []
    for index, (region, sequence) in enumerate(zip(regions, sequences, strict=True)):
        report("simulate", index, len(regions))
        planter = pgx.planter(region, np.random.default_rng(np.random.SeedSequence([seed, 8, index])))
        simulated = simulate_region_variants(plan, region, sequence, seed=_msprime_seed(seed, index), plant=planter)
        with_carriers, keys = plant_carriers(simulated, sequence, planting)
        variants.append(with_carriers)
        planted.extend(keys)
    report("simulate", len(regions), len(regions))

    report("reference", 0, 1)
    reference = write_reference(out_dir / "reference" / REFERENCE_FILE_NAME, sequences, contig_lengths=contig_lengths)
    report("reference", 1, 1)

    confident = frozenset((chrom, int(pos)) for chrom, pos, *_ in (p.key.split("-") for p in planted))
    tables = tuple(SiteTable.of(v, s, confident) for v, s in zip(variants, sequences, strict=True))
    tasks, results = _write_all_calls(
        _call_tasks(out_dir, plan, variants, seed, contig_lengths), tables, len(plan.people), workers, report
    )

    submissions = _submissions(out_dir, plan)
    ldlr = next(i for i, region in enumerate(regions) if region.name == "LDLR")
    n_readers = sum(1 for person in plan.people if person.short_reads or person.long_reads)
    n_read_done = 0
    report("reads", 0, n_readers)
    for person in plan.people:
        submission = submissions[person.department]
        call_id = f"{person.sample_id}-{person.call_format}"
        call_format = FileFormat.GVCF if person.call_format == "gvcf" else FileFormat.VCF
        call_file = DemoFile(call_id, results[person.sample_id].digest, call_format)
        run_date = person.collection_date + dt.timedelta(days=14)
        if not (person.short_reads or person.long_reads):
            platform = sequencing_platform(person, seed)
            read_type, instrument = _INSTRUMENTS[platform]
            submission.runs.append(
                DemoRun(
                    _next_run_id(submission),
                    person.sample_id,
                    platform,
                    read_type,
                    instrument,
                    f"{person.sample_id}-LIB1",
                    run_date,
                )
            )
            submission.files.append(call_file)
            submission.analyses.append(
                DemoAnalysis(
                    f"{person.sample_id}-A1", (person.sample_id,), *_pipeline(person, platform), outputs=(call_id,)
                )
            )
            continue
        rng = np.random.default_rng(np.random.SeedSequence([seed, 5, person.index]))
        if person.short_reads:
            run_id = _next_run_id(submission)
            reads = write_short_reads(
                submission.folder,
                sample_id=person.sample_id,
                run_id=run_id,
                variants=variants[ldlr],
                sequence=sequences[ldlr],
                person_index=person.index,
                reference=reference,
                rng=rng,
            )
            submission.runs.append(
                DemoRun(
                    run_id,
                    person.sample_id,
                    Platform.ILLUMINA,
                    ReadType.SHORT,
                    "NovaSeq 6000",
                    f"{person.sample_id}-LIB1",
                    run_date,
                )
            )
            r1, r2, cram = (f"{person.sample_id}-R1", f"{person.sample_id}-R2", f"{person.sample_id}-cram")
            submission.files += [
                DemoFile(r1, reads.fastq_1, FileFormat.FASTQ, run=run_id, mate=r2),
                DemoFile(r2, reads.fastq_2, FileFormat.FASTQ, run=run_id, mate=r1),
                DemoFile(cram, reads.cram, FileFormat.CRAM),
                call_file,
            ]
            submission.analyses.append(
                DemoAnalysis(
                    f"{person.sample_id}-A1", (person.sample_id,), *DRAGEN, outputs=(cram, call_id), inputs=(r1, r2)
                )
            )
        else:
            submission.files.append(call_file)
            submission.analyses.append(
                DemoAnalysis(
                    f"{person.sample_id}-A1",
                    (person.sample_id,),
                    *_pipeline(person, sequencing_platform(person, seed)),
                    outputs=(call_id,),
                )
            )
        if person.long_reads:
            run_id = _next_run_id(submission)
            ont_date = run_date + dt.timedelta(days=7)
            digest, _ = write_long_reads(
                submission.folder / f"{person.sample_id}.ont.fastq.gz",
                variants=variants[ldlr],
                sequence=sequences[ldlr],
                person_index=person.index,
                rng=rng,
                run_started=dt.datetime.combine(ont_date, dt.time(9, 0)),
            )
            submission.runs.append(
                DemoRun(
                    run_id,
                    person.sample_id,
                    Platform.ONT,
                    ReadType.LONG,
                    "PromethION",
                    f"{person.sample_id}-LIB2",
                    ont_date,
                )
            )
            submission.files.append(DemoFile(f"{person.sample_id}-ont", digest, FileFormat.FASTQ, run=run_id))
        n_read_done += 1
        report("reads", n_read_done, n_readers)

    report("manifests", 0, len(submissions))
    manifests = write_manifests(list(submissions.values()))
    report("manifests", len(submissions), len(submissions))

    counts = [v.allele_counts() for v in variants]
    all_files = [f for s in submissions.values() for f in s.files]
    return DemoCohort(
        out_dir=out_dir,
        reference_fasta=reference.fasta,
        contig_md5=reference.contig_md5,
        regions=regions,
        manifest_paths=tuple(manifests.values()),
        n_individuals=len(plan.people),
        n_samples=len(plan.people),
        n_sites={v.region.name: v.n_sites for v in variants},
        n_singleton_sites={v.region.name: int((c == 1).sum()) for v, c in zip(variants, counts, strict=True)},
        example_variants=_example_variants(
            variants, _avoid_planted(variants, _unreliable_sites(tables, tasks, results), planted)
        ),
        planted_variants=tuple(planted),
        n_files=len(all_files),
        total_bytes=sum(f.digest.size for f in all_files),
        sex_chromosomes=sex_chromosomes,
        sex_mismatch_sample_ids=tuple(p.sample_id for p in plan.people if p.chromosomal_sex is not None),
        pgx_truth={
            person.sample_id: tuple(call for v in variants for call in pgx.truth(v, person.index))
            for person in plan.people
        },
    )
