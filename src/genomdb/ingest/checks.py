"""Checks of a manifest against itself and the catalog, before any file is read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from genomdb.errors import InvalidInput, Problem
from genomdb.ingest.manifest import FileFormat, Manifest
from genomdb.pseudonyms import PersonIdentity, Pseudonymizer, is_pseudonym


@dataclass
class ManifestFacts:
    """What the checks learnt and later steps need: identities, file roles and resolved paths."""

    identities: dict[str, PersonIdentity | str] = field(default_factory=dict)
    """individual id → identity from a CPR number, or the existing pseudonym"""
    file_paths: dict[str, Path] = field(default_factory=dict)
    file_samples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    file_build: dict[str, str] = field(default_factory=dict)
    file_uploads: dict[str, str] = field(default_factory=dict)
    """file id → sha256 of a file sent beforehand with ``genomdb upload`` (taken from the upload area)"""


def _duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(ids).items() if count > 1)


def check_manifest(
    manifest: Manifest,
    *,
    manifest_path: Path,
    pseudonymizer: Pseudonymizer,
    correcting: bool,
    stored_sha256: set[str],
) -> tuple[ManifestFacts, list[Problem]]:
    """Check references, identities and paths; return what was learnt and every problem found."""
    name = str(manifest_path)
    problems: list[Problem] = []
    facts = ManifestFacts()

    def problem(message: str, location: str, field_name: str | None = None, **kw: str) -> None:
        problems.append(Problem(name, message, location=location, field=field_name, **kw))

    sections: dict[str, list[str]] = {
        "individuals": [i.id for i in manifest.individuals],
        "samples": [s.id for s in manifest.samples],
        "runs": [r.id for r in manifest.runs],
        "files": [f.id for f in manifest.files],
        "analyses": [a.id for a in manifest.analyses],
    }
    for section, ids in sections.items():
        for duplicate in _duplicates(ids):
            problem(f"duplicate id {duplicate!r}", section, "id", expected="ids unique within the section")
    individuals = set(sections["individuals"])
    samples = {s.id: s for s in manifest.samples}
    runs = {r.id: r for r in manifest.runs}
    files = {f.id: f for f in manifest.files}

    if not manifest.samples:
        problem("the manifest has no samples", "samples", expected="at least one sample")

    pseudonyms_seen: dict[str, str] = {}
    for index, individual in enumerate(manifest.individuals):
        where = f"individuals[{index}] ({individual.id})"
        if (individual.cpr is None) == (individual.pseudonym is None):
            problem("give exactly one of `cpr` or `pseudonym`", where, "cpr")
            continue
        if individual.cpr is not None:
            try:
                identity = pseudonymizer.identify(individual.cpr.get_secret_value(), file=name, location=where)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            facts.identities[individual.id] = identity
            key = identity.pseudonym
        else:
            assert individual.pseudonym is not None
            if not is_pseudonym(individual.pseudonym):
                problem("not a genomdb pseudonym", where, "pseudonym", expected="GDB- followed by 16 characters")
                continue
            facts.identities[individual.id] = individual.pseudonym
            key = individual.pseudonym
        if key in pseudonyms_seen:
            problem(
                f"the same person as individual {pseudonyms_seen[key]!r}",
                where,
                "cpr",
                expected="each person once per manifest",
            )
        pseudonyms_seen[key] = individual.id
        for rel_index, relative in enumerate(individual.relatives):
            if relative.individual not in individuals:
                problem(
                    f"unknown individual {relative.individual!r}",
                    f"{where}.relatives[{rel_index}]",
                    "individual",
                    expected="an id from `individuals`",
                )
            elif relative.individual == individual.id:
                problem(
                    "an individual cannot be its own relative",
                    f"{where}.relatives[{rel_index}]",
                    "individual",
                )

    for index, sample in enumerate(manifest.samples):
        if sample.individual not in individuals:
            problem(
                f"unknown individual {sample.individual!r}",
                f"samples[{index}] ({sample.id})",
                "individual",
                expected="an id from `individuals`",
            )

    for index, run in enumerate(manifest.runs):
        if run.sample not in samples:
            problem(
                f"unknown sample {run.sample!r}",
                f"runs[{index}] ({run.id})",
                "sample",
                expected="an id from `samples`",
            )
        long_platform = run.platform in ("ONT", "PACBIO")
        if long_platform != (run.read_type == "long"):
            problem(
                f"platform {run.platform} with read type {run.read_type}",
                f"runs[{index}] ({run.id})",
                "read_type",
                expected="long for ONT/PACBIO, short for ILLUMINA",
            )

    analysis_outputs: dict[str, tuple[str, ...]] = {}
    for index, analysis in enumerate(manifest.analyses):
        where = f"analyses[{index}] ({analysis.id})"
        for sample_id in analysis.samples:
            if sample_id not in samples:
                problem(f"unknown sample {sample_id!r}", where, "samples", expected="an id from `samples`")
        for role, refs in (("inputs", analysis.inputs), ("outputs", analysis.outputs)):
            for ref in refs:
                if ref not in files:
                    problem(f"unknown file {ref!r}", where, role, expected="an id from `files`")
        for ref in analysis.outputs:
            if ref in analysis_outputs:
                problem(f"file {ref!r} is the output of two analyses", where, "outputs")
            analysis_outputs[ref] = tuple(analysis.samples)
            facts.file_build[ref] = analysis.reference_build

    folder = manifest_path.parent.resolve()
    for index, entry in enumerate(manifest.files):
        where = f"files[{index}] ({entry.id})"
        if entry.run is not None and entry.run not in runs:
            problem(f"unknown run {entry.run!r}", where, "run", expected="an id from `runs`")
        if entry.run and entry.id in analysis_outputs:
            problem("a file is either a run's reads or an analysis output, not both", where, "run")
        if entry.run and entry.run in runs:
            facts.file_samples[entry.id] = (runs[entry.run].sample,)
        elif entry.id in analysis_outputs:
            facts.file_samples[entry.id] = analysis_outputs[entry.id]
        else:
            problem(
                "file belongs to no run and is no analysis output",
                where,
                "run",
                expected="`run:` for reads, or listed in an analysis' `outputs`",
            )
        if entry.format in (FileFormat.VCF, FileFormat.GVCF, FileFormat.BCF) and entry.id not in analysis_outputs:
            problem(
                f"{entry.format} must be an analysis output",
                where,
                "format",
                expected="listed in an analysis' `outputs` with its reference build",
            )
        if entry.format is FileFormat.FASTQ and entry.run is None:
            problem("FASTQ must name its sequencing run", where, "run")
        if entry.mate is not None:
            mate = files.get(entry.mate)
            if mate is None:
                problem(f"unknown mate {entry.mate!r}", where, "mate", expected="an id from `files`")
            elif mate.mate != entry.id or mate.run != entry.run or entry.format is not FileFormat.FASTQ:
                problem(
                    f"mate {entry.mate!r} does not pair back",
                    where,
                    "mate",
                    expected="two FASTQ files of the same run naming each other as mate",
                )
        if entry.sha256 is None and entry.md5 is None:
            problem("no checksum", where, "sha256", expected="sha256 and/or md5 of the file")
        if entry.uploaded:
            if entry.sha256 is None:
                problem(
                    "an uploaded file is found by its sha256",
                    where,
                    "sha256",
                    expected="the sha256 `genomdb upload` printed for the file",
                )
            elif entry.path is not None:
                problem("an uploaded file has no path", where, "path", expected="either `uploaded: true` or a path")
            else:
                facts.file_uploads[entry.id] = entry.sha256
            continue
        if entry.path is None:
            if not (correcting and entry.sha256 in stored_sha256):
                problem(
                    "no path",
                    where,
                    "path",
                    expected="a path; only a correction may leave it out for a file already stored (by sha256)",
                )
            continue
        declared = Path(entry.path)
        if declared.is_absolute():
            problem(
                "absolute path",
                where,
                "path",
                expected="a path relative to the manifest's folder",
                found=entry.path,
            )
            continue
        resolved = (folder / declared).resolve()
        if not resolved.is_relative_to(folder):
            problem(
                "path leads outside the manifest's folder",
                where,
                "path",
                expected="a path inside the manifest's folder",
                found=entry.path,
            )
            continue
        if not resolved.is_file():
            problem("file not found", where, "path", found=entry.path)
            continue
        facts.file_paths[entry.id] = resolved
    return facts, problems
