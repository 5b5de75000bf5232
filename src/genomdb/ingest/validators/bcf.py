"""BCF validation: the binary flavour of a variant file, read through htslib (pysam reads VCF and BCF alike).

A file is treated as BCF when its content is, whatever the manifest calls it: a VCF or gVCF entry whose bytes
are BCF is accepted as BCF (genomdb stores the submitted bytes unchanged and serves them in their own format).
Checks: a complete BGZF container, a header htslib can read with contigs of the declared build, the sample
columns the manifest names, every record on a declared contig and in order; a CSI index is kept when submitted
beside the file and built otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators.alignments import check_build_contigs, has_bgzf_eof, missing_bgzf_eof, quiet_htslib
from genomdb.ingest.validators.base import FileExpectation, FileReport
from genomdb.ingest.validators.compression import INFLATE_ERRORS, open_gzip

BCF_MAGIC = b"BCF\x02"
REFERENCE_BLOCK_ALTS = frozenset({"<NON_REF>", "<*>"})


def is_bcf(path: Path) -> bool:
    """True when the file is a (BGZF-compressed) BCF 2."""
    try:
        with open_gzip(path) as handle:
            return handle.read(len(BCF_MAGIC)) == BCF_MAGIC
    except INFLATE_ERRORS:
        return False


def validate_bcf(path: Path, expectation: FileExpectation, *, work_dir: Path) -> FileReport:
    """Validate a BCF: container, header against the build and the manifest, records' contigs and order."""
    report = FileReport()
    name = expectation.display_name
    report.facts.update(compression="bgzf", container="BCF")
    if expectation.format is not FileFormat.BCF:
        report.facts["declared_format"] = expectation.format.value
    if not has_bgzf_eof(path):
        report.add(missing_bgzf_eof(name))
        return report
    with quiet_htslib():
        try:
            variants = pysam.VariantFile(str(path))
        except (OSError, ValueError) as exc:
            report.add(
                Problem(
                    name,
                    "cannot read the BCF header",
                    location="header",
                    field="header",
                    expected="a BCF 2 header readable by htslib",
                    found=str(exc)[:200],
                )
            )
            return report
        with variants:
            contig_lengths = {str(c.name): c.length for c in variants.header.contigs.values()}
            samples = list(variants.header.samples)
            report.facts["samples"] = samples
            _check_samples(report, samples, expectation)
            if expectation.reference_build:
                check_build_contigs(
                    report,
                    display_name=name,
                    declared_build=expectation.reference_build,
                    contig_lengths=contig_lengths,
                    header_line="##contig",
                    length_field="length",
                )
            _walk(report, variants, name, list(contig_lengths), expectation)
    if report.ok:
        report.index_path = _index(path, work_dir)
    return report


def _check_samples(report: FileReport, samples: list[str], expectation: FileExpectation) -> None:
    if expectation.sample_ids and set(samples) != set(expectation.sample_ids):
        report.add(
            Problem(
                expectation.display_name,
                "sample columns differ from the manifest",
                location="header",
                field="samples",
                expected=", ".join(sorted(expectation.sample_ids)),
                found=", ".join(samples) or "no samples",
            )
        )


def _walk(
    report: FileReport, variants: pysam.VariantFile, name: str, contigs: list[str], expectation: FileExpectation
) -> None:
    rank = {contig: i for i, contig in enumerate(contigs)}
    previous: tuple[int, int] | None = None
    seen: list[str] = []
    n_records = n_blocks = 0
    try:
        for record in variants:
            n_records += 1
            chrom = record.chrom
            if chrom not in rank:
                report.add(_record_problem(name, n_records, "CHROM", "a contig declared in the header", chrom))
                break
            if not seen or seen[-1] != chrom:
                seen.append(chrom)
            position = (rank[chrom], record.pos)
            if previous is not None and position < previous:
                found = f"{chrom}:{record.pos} after {contigs[previous[0]]}:{previous[1]}"
                if not report.add(_record_problem(name, n_records, "POS", "records sorted by contig and POS", found)):
                    break
            previous = position
            if any(alt in REFERENCE_BLOCK_ALTS for alt in record.alts or ()) and len(record.alts or ()) == 1:
                n_blocks += 1
    except (OSError, ValueError) as exc:
        report.add(_record_problem(name, n_records + 1, "record", "a complete BCF record", str(exc)[:200]))
        return
    report.facts.update(
        n_records=n_records,
        n_variant_records=n_records - n_blocks,
        n_reference_blocks=n_blocks,
        contigs=seen,
        is_gvcf=n_blocks > 0,
    )
    if expectation.format is FileFormat.GVCF and n_blocks == 0:
        report.add(
            Problem(
                name,
                "declared as gVCF but has no reference blocks",
                location="whole file",
                field="format",
                expected="records with ALT <NON_REF> or <*> only",
                found="none",
            )
        )


def _record_problem(name: str, number: int, field: str, expected: str, found: str) -> Problem:
    where = f"record {number}"
    return Problem(name, f"bad record: {field}", location=where, field=field, expected=expected, found=found)


def _index(path: Path, work_dir: Path) -> Path:
    """The CSI index submitted beside the file, or one built into the work folder."""
    beside = Path(f"{path}.csi")
    if beside.exists():
        return beside
    work_dir.mkdir(parents=True, exist_ok=True)
    built = work_dir / f"{path.name}.csi"
    with quiet_htslib():
        pysam.tabix_index(  # the preset is ignored for BCF, but pysam wants one
            str(path), preset="vcf", csi=True, index=str(built), force=True, keep_original=True
        )
    return built
