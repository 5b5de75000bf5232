"""Allele counts from the source gVCFs with bcftools alone: the independent route a release is checked against.

Nothing of genomdb's harmonisation or release is used: each sample's submitted file goes through Debian bcftools,

1. ``bcftools norm -m-any -f REF`` (biallelic, left-aligned), dropping ``*`` alleles and the ``<NON_REF>`` split
   off a variant record (a reference block keeps its ``<NON_REF>`` and its INFO/END);
2. ``bcftools +setGT -t q -n .``: a genotype failing the "adj" filters becomes missing — GQ < 20, depth < 10 (a
   block's MIN_DP, else DP) or, for a heterozygote, allele balance AD_alt / (AD_ref + AD_alt) < 0.2 — so a failing
   call makes its sample uncallable at that site for every allele, as a missing genotype does;
3. ``bcftools merge --gvcf REF -m all`` of all samples (a sample's block gives it ``0/0`` at other samples'
   variants), ``bcftools norm -m-any -f REF`` again to split the merged sites (a sample carrying one ALT of a
   multi-allelic site is ``0/0`` for the others, as joint genotyping says), and ``bcftools +fill-tags -t
   AC,AN,AC_Hom,AC_Hemi`` per variant. Where merge emits a variant twice — a sample's block and its own
   left-aligned call start at the same base, so merge gives each a line, the block's making the sample ``0/0``
   beside its failed call — AN comes from the samples' own records as below (the failed call wins).

AN at positions without any variant comes from the same filtered per-sample files read with ``bcftools query``:
a sample counts its called alleles where a record spans the position (a block to its END, a call over its REF),
and nothing where a failing call spans it.
"""

from __future__ import annotations

import bisect
import random
import re
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VariantKey = tuple[str, int, str, str]
_NOT_SAMPLE_RECORDS = 'ALT="*" || (ALT~"^<" && INFO/END=".")'
"""A ``*`` allele, or the ``<NON_REF>`` split off a variant record (a block has INFO/END)."""
_NOT_PLAIN_VCF_RECORDS = 'ALT="*" || ALT~"^<"'
"""The same in a plain VCF, which has no blocks (and may not define INFO/END)."""
_NOT_VARIANTS = 'ALT~"^<" || ALT="*"'


@dataclass(frozen=True)
class SourceFile:
    """One sample's submitted VCF/gVCF (``sample`` is its column name in the file)."""

    sample: str
    path: Path


@dataclass(frozen=True)
class Counts:
    allele_count: int
    allele_number: int
    homalt_alleles: int
    """``AC_Hom``: ALT alleles in homozygous genotypes, 2 × nhomalt."""
    hemizygous: int


@dataclass(frozen=True)
class AdjFilters:
    min_gq: int = 20
    min_dp: int = 10
    min_allele_balance: float = 0.2

    def failing(self, formats: set[str]) -> str:
        """A bcftools expression true for a genotype that fails, using the FORMAT tags the file defines (a
        missing GQ or depth fails; without AD there is no balance check)."""
        block, call = '(ALT~"^<" || ALT=".")', '(ALT!~"^<" && ALT!=".")'
        dp = f'(FMT/DP="." || FMT/DP<{self.min_dp})' if "DP" in formats else "1"
        if "MIN_DP" in formats:
            depth = f'(FMT/MIN_DP!="." && {block} && FMT/MIN_DP<{self.min_dp}) || ((FMT/MIN_DP="." || {call}) && {dp})'
        else:
            depth = dp
        clauses = [f'FMT/GQ="." || FMT/GQ<{self.min_gq}' if "GQ" in formats else "1", depth]
        if "AD" in formats:
            clauses.append(
                'GT="het" && FMT/AD[*:0]!="." && FMT/AD[*:1]!="." && FMT/AD[*:0]+FMT/AD[*:1]>0 '
                f"&& FMT/AD[*:1]/(FMT/AD[*:0]+FMT/AD[*:1])<{self.min_allele_balance}"
            )
        return " || ".join(f"({c})" for c in clauses)


def _run(command: str) -> str:
    return subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True, capture_output=True, text=True).stdout


def _quote(value: str | Path) -> str:
    return "'" + str(value).replace("'", "'\\''") + "'"


def filtered_sample(source: SourceFile, reference: Path, target: Path, filters: AdjFilters) -> Path:
    """Steps 1 and 2 for one sample: its normalised, filtered records as an indexed BCF."""
    header = _run(f"bcftools view -h {_quote(source.path)}")
    dropped = _NOT_SAMPLE_RECORDS if "##INFO=<ID=END," in header else _NOT_PLAIN_VCF_RECORDS
    formats = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", header, flags=re.MULTILINE))
    _run(
        f"bcftools view -s {_quote(source.sample)} -Ou {_quote(source.path)} "
        f"| bcftools norm -m-any -f {_quote(reference)} -Ou "
        f"| bcftools view -e {_quote(dropped)} -Ou "
        f"| bcftools +setGT -Ob -o {_quote(target)} - -- -t q -n . -i {_quote(filters.failing(formats))} "
        f"&& bcftools index -f {_quote(target)}"
    )
    return target


def filtered_samples(
    sources: Sequence[SourceFile], reference: Path, work: Path, filters: AdjFilters, *, workers: int
) -> list[Path]:
    work.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(
            pool.map(
                lambda item: filtered_sample(item[1], reference, work / f"{item[0]:06d}.bcf", filters),
                enumerate(sources),
            )
        )


def variant_counts(
    filtered: Sequence[Path], reference: Path, work: Path, *, at: Iterable[tuple[str, int]] | None = None
) -> dict[VariantKey, Counts]:
    """Step 3: AC, AN, AC_Hom and AC_Hemi of every variant of the merged cohort, or of those at the positions
    ``at`` (``merge -R`` reads only there: a whole-genome ``merge --gvcf`` grows with samples × sites)."""
    listing = work / "filtered.txt"
    listing.write_text("".join(f"{p}\n" for p in filtered))
    regions = ""
    if at is not None:
        regions_file = work / "regions.tsv"
        regions_file.write_text("".join(f"{chrom}\t{pos}\n" for chrom, pos in sorted(set(at))))
        regions = f"-R {_quote(regions_file)} "
    printed = _run(
        f"bcftools merge --gvcf {_quote(reference)} -m all {regions}-l {_quote(listing)} -Ou "
        f"| bcftools norm -m-any -f {_quote(reference)} -Ou "
        f"| bcftools view -e {_quote(_NOT_VARIANTS)} -Ou "
        "| bcftools +fill-tags -Ou - -- -d -t AC,AN,AC_Hom,AC_Hemi "
        "| bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\t%AC_Hom\\t%AC_Hemi\\n'"
    )
    counts: dict[VariantKey, Counts] = {}
    for line in printed.splitlines():
        chrom, pos, ref, alt, ac, an, hom, hemi = line.split("\t")
        key = (chrom, int(pos), ref.upper(), alt.upper())
        found = Counts(int(ac), int(an), int(hom), int(hemi))
        if key in counts:
            # Emitted twice: a sample had a block and a (left-aligned) call starting at the same base, and merge
            # gave each its own line; the carriers are on one of them. AN is taken from the samples' own records
            # by the caller (:func:`allele_numbers_at`): the sample whose call failed is not callable here, though
            # its block made it 0/0 on the other line.
            old = counts[key]
            found = Counts(
                old.allele_count + found.allele_count,
                -1,
                old.homalt_alleles + found.homalt_alleles,
                old.hemizygous + found.hemizygous,
            )
        counts[key] = found
    return counts


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    alleles: int
    is_call: bool


def _spans(path: Path) -> dict[str, list[_Span]]:
    printed = _run(f"bcftools query -f '%CHROM\\t%POS\\t%END\\t%REF\\t%ALT\\t[%GT]\\n' {_quote(path)}")
    spans: dict[str, list[_Span]] = {}
    for line in printed.splitlines():
        chrom, pos, end, ref, alt, gt = line.split("\t")
        start = int(pos)
        is_call = not (alt.startswith("<") or alt == ".")
        stop = start + len(ref) - 1 if is_call or end == "." else int(end)
        alleles = sum(1 for a in gt.replace("|", "/").split("/") if a != ".")
        spans.setdefault(chrom, []).append(_Span(start, stop, alleles, is_call))
    for chrom_spans in spans.values():
        chrom_spans.sort(key=lambda s: s.start)
    return spans


def allele_numbers_at(filtered: Sequence[Path], positions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """AN at each position: per sample, the called alleles of the records spanning it; a failing (missing) call
    spanning it makes the sample uncallable there."""
    wanted = sorted(set(positions))
    totals = dict.fromkeys(wanted, 0)
    for path in filtered:
        spans = _spans(path)
        starts = {chrom: [s.start for s in chrom_spans] for chrom, chrom_spans in spans.items()}
        longest = {chrom: max(s.end - s.start for s in chrom_spans) for chrom, chrom_spans in spans.items()}
        for chrom, pos in wanted:
            chrom_spans = spans.get(chrom, [])
            index = bisect.bisect_right(starts.get(chrom, []), pos)
            covering = []
            while index > 0 and chrom_spans[index - 1].start >= pos - longest[chrom]:
                index -= 1
                if chrom_spans[index].end >= pos:
                    covering.append(chrom_spans[index])
            if not covering or any(s.is_call and s.alleles == 0 for s in covering):
                continue
            totals[(chrom, pos)] += max(s.alleles for s in covering)
    return totals


# --- a release against the route above ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    what: str
    """``chrom-pos-ref-alt`` of a variant, or ``chrom:pos`` of a position."""
    release: tuple[int, ...]
    bcftools: tuple[int, ...]


@dataclass(frozen=True)
class Comparison:
    release_id: str
    n_samples: int
    n_variants: int
    """Variants compared (every variant of the release and of the bcftools route, or a random share)."""
    n_positions: int
    mismatches: tuple[Mismatch, ...]


def release_sources(instance: Any, manifest: Any, work: Path, stack: ExitStack) -> list[SourceFile]:
    """The submitted call file of every sample the release counts, as local plaintext paths."""
    from genomdb.harmonize.normalize import local_plaintext

    sources = []
    for included in manifest.samples:
        detail = instance.catalog.sample(included.sample_key)
        (stored,) = [f for f in detail.files if f.format in ("GVCF", "VCF")]
        path = stack.enter_context(local_plaintext(instance.blobs, stored.sha256, work))
        sources.append(SourceFile(detail.summary.submitter_sample_id, path))
    return sources


def compare_release(
    instance: Any,
    work: Path,
    *,
    release_id: str | None = None,
    max_variants: int | None = None,
    n_positions: int = 2_000,
    workers: int = 2,
    seed: int = 7,
) -> Comparison:
    """Every (or ``max_variants`` random) variant's AC, AN, 2 × nhomalt and nhemi, and AN at ``n_positions``
    random positions away from any call (plus the bases beside every compared variant), between a release and
    bcftools on the counted samples' own files."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    from genomdb.frequency.publish import open_release

    rng = random.Random(seed)
    info, manifest = open_release(instance, release_id)
    reference = instance.require_reference("GRCh38")
    with ExitStack() as stack:
        sources = release_sources(instance, manifest, work, stack)
        filtered = filtered_samples(sources, reference, work / "filtered", AdjFilters(), workers=workers)
        ours = {
            (r["chrom"], r["pos"], r["ref"], r["alt"]): (r["ac_all"], r["an_all"], 2 * r["nhomalt_all"], r["nhemi_all"])
            for r in pq.read_table(
                info.path / "variants.parquet",
                columns=["chrom", "pos", "ref", "alt", "ac_all", "an_all", "nhomalt_all", "nhemi_all"],
            ).to_pylist()
        }
        chosen = None
        if max_variants is not None and len(ours) > max_variants:
            chosen = {(chrom, pos) for chrom, pos, _, _ in rng.sample(sorted(ours), max_variants)}
        theirs = variant_counts(filtered, reference, work, at=chosen)
        twice = [key for key, c in theirs.items() if c.allele_number < 0]
        recounted = allele_numbers_at(filtered, [(chrom, pos) for chrom, pos, _, _ in twice])
        for key in twice:
            c = theirs[key]
            theirs[key] = Counts(c.allele_count, recounted[(key[0], key[1])], c.homalt_alleles, c.hemizygous)
        observed = {k for k, c in theirs.items() if c.allele_count > 0}
        keys = sorted({k for k in set(ours) | observed if chosen is None or (k[0], k[1]) in chosen})
        mismatches = []
        for key in keys:
            mine = ours.get(key, (0, 0, 0, 0))
            found = theirs.get(key)
            other = (
                (found.allele_count, found.allele_number, found.homalt_alleles, found.hemizygous)
                if found
                else (0, 0, 0, 0)
            )
            if key not in ours and other[0] == 0:
                continue
            if mine != other:
                mismatches.append(Mismatch("-".join(map(str, key)), mine, other))
        coverage = pq.read_table(
            info.path / "coverage.parquet", columns=["chrom", "start_1based", "end_1based", "an_all"]
        )
        runs = coverage.to_pylist()
        positions = _positions(runs, set(ours) | set(theirs), keys, rng, n_positions)
        an_theirs = allele_numbers_at(filtered, positions)
        an_ours = _coverage_an(runs, positions)
        for position in sorted(positions):
            if an_ours[position] != an_theirs[position]:
                mismatches.append(
                    Mismatch(f"{position[0]}:{position[1]}", (an_ours[position],), (an_theirs[position],))
                )
    return Comparison(info.release_id, len(sources), len(keys), len(positions), tuple(mismatches))


def _positions(
    runs: list[dict[str, Any]],
    variants: Iterable[VariantKey],
    keys: Sequence[VariantKey],
    rng: random.Random,
    n: int,
) -> set[tuple[str, int]]:
    """Random positions inside the covered extent, at least 100 bases from any variant of the cohort (where
    left-aligned indels move evidence), and the base before and after every compared variant."""
    near: dict[str, list[int]] = {}
    for chrom, pos, _, _ in variants:
        near.setdefault(chrom, []).append(pos)
    for chrom_positions in near.values():
        chrom_positions.sort()
    extent: dict[str, tuple[int, int]] = {}
    for run in runs:
        low, high = extent.get(run["chrom"], (run["start_1based"], run["end_1based"]))
        extent[run["chrom"]] = (min(low, run["start_1based"]), max(high, run["end_1based"]))
    chosen: set[tuple[str, int]] = set()
    chroms = sorted(extent)
    attempts = 0
    while chroms and len(chosen) < n and attempts < 50 * n:
        attempts += 1
        chrom = rng.choice(chroms)
        pos = rng.randint(*extent[chrom])
        sites = near.get(chrom, [])
        index = bisect.bisect_left(sites, pos - 100)
        if index < len(sites) and sites[index] <= pos + 100:
            continue
        chosen.add((chrom, pos))
    for chrom, pos, _, _ in keys:
        chosen |= {(chrom, pos - 1), (chrom, pos + 1)}
    return chosen


def _coverage_an(runs: list[dict[str, Any]], positions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    by_chrom: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_chrom.setdefault(run["chrom"], []).append(run)
    for chrom_runs in by_chrom.values():
        chrom_runs.sort(key=lambda r: r["start_1based"])
    found = {}
    for chrom, pos in positions:
        chrom_runs = by_chrom.get(chrom, [])
        index = bisect.bisect_right(chrom_runs, pos, key=lambda r: r["start_1based"]) - 1
        hit = chrom_runs[index] if index >= 0 and chrom_runs[index]["end_1based"] >= pos else None
        found[(chrom, pos)] = int(hit["an_all"]) if hit else 0
    return found
