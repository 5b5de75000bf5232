"""Bad input in harmonisation gets a clear error naming file, record and field, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from genomdb.errors import InvalidInput, NotFound
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters
from genomdb.refdata import get_build
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    CallFileSpec,
    SmallReference,
    block,
    call,
    store_snapshot,
    submit_calls,
)

POS = WINDOW_START + 3_000


def _good(reference: SmallReference, sample_id: str, person: int) -> CallFileSpec:
    base = reference.bases(AUTOSOME, POS)
    lines = [
        block(reference, AUTOSOME, POS - 100, POS - 1),
        call(AUTOSOME, POS, base, "T" if base != "T" else "G", "0/1", gvcf=True),
        block(reference, AUTOSOME, POS + 1, POS + 100),
    ]
    return CallFileSpec(sample_id, lines, person=person)


def _refused(instance: Instance) -> InvalidInput:
    before = store_snapshot(instance)
    with pytest.raises(InvalidInput) as info:
        harmonize(instance)
    assert store_snapshot(instance) == before, "store and catalog are unchanged"
    root = instance.settings.resolved_home() / "variants"
    assert not root.exists() or not any(root.iterdir()), "no temporary batch folder is left behind"
    return info.value


def test_gvcf_without_reference_blocks(
    ready: Instance, small_reference: SmallReference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data-in refuses such a gVCF; one that got in anyway (an older validator) is refused again here."""
    monkeypatch.setattr("genomdb.ingest.validators.variants._check_gvcf_declaration", lambda *args: None)
    records = [line for line in _good(small_reference, "RH-KG-T0002", 2).lines if "END=" not in line]
    blockless = CallFileSpec("RH-KG-T0002", records, person=2)
    submit_calls(ready, tmp_path / "calls", [_good(small_reference, "RH-KG-T0001", 1), blockless], small_reference)
    error = _refused(ready)
    (problem,) = error.problems
    assert problem.file == "RH-KG-T0002.g.vcf.gz" and problem.field == "ALT"
    assert "without reference blocks" in problem.message and problem.found == "0 reference blocks in 1 records"


def test_ref_not_matching_the_reference(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    base = small_reference.bases(AUTOSOME, POS)
    wrong = "A" if base != "A" else "C"
    bad = CallFileSpec(
        "RH-KG-T0002", [call(AUTOSOME, POS, wrong, "G" if wrong != "G" else "T", "0/1")], gvcf=False, person=2
    )
    submit_calls(ready, tmp_path / "calls", [_good(small_reference, "RH-KG-T0001", 1), bad], small_reference)
    error = _refused(ready)
    (problem,) = error.problems
    assert (problem.file, problem.location, problem.field) == ("RH-KG-T0002.vcf.gz", f"record {AUTOSOME}:{POS}", "REF")
    assert problem.expected is not None and problem.expected.startswith(base) and problem.found == wrong
    assert "REF does not match the reference FASTA" in str(error)


def test_ref_mismatch_in_a_worker_chunk_is_named_and_nothing_is_stored(
    ready: Instance, small_reference: SmallReference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file a chunk, chunks in worker processes: the bad file's problem comes back from its worker, named as
    in one process, and the good chunk's staged rows are not stored."""
    monkeypatch.setattr(ready.settings, "harmonize_chunk_files", 1)
    base = small_reference.bases(AUTOSOME, POS)
    wrong = "A" if base != "A" else "C"
    bad = CallFileSpec(
        "RH-KG-T0003", [call(AUTOSOME, POS, wrong, "G" if wrong != "G" else "T", "0/1")], gvcf=False, person=3
    )
    good = [_good(small_reference, "RH-KG-T0001", 1), _good(small_reference, "RH-KG-T0002", 2)]
    submit_calls(ready, tmp_path / "calls", [*good, bad], small_reference)
    (problem,) = _refused(ready).problems
    assert (problem.file, problem.location, problem.field) == ("RH-KG-T0003.vcf.gz", f"record {AUTOSOME}:{POS}", "REF")
    assert problem.found == wrong


def test_grch37_analysis_is_refused(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    grch37 = [(c.name, c.length) for c in get_build("GRCh37").contigs if c.name in ("21", "22")]
    old = CallFileSpec("RH-KG-T0001", [call("21", 9_500_000, "A", "G", "0/1")], gvcf=False, build="GRCh37")
    submit_calls(ready, tmp_path / "calls", [old], small_reference, contigs=grch37)
    error = _refused(ready)
    (problem,) = error.problems
    assert (problem.field, problem.expected, problem.found) == ("reference_build", "GRCh38", "GRCh37")
    assert (
        "no mixed builds" in problem.message
        and problem.location == f"analysis RH-KG-T0001-A1 of {_only_submission(ready)}"
    )


def test_contig_missing_from_the_reference(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    contigs = [*small_reference.contigs, ("chr22", get_build("GRCh38").contig("chr22").length)]  # type: ignore[union-attr]
    spec = CallFileSpec("RH-KG-T0001", [call("chr22", 20_000_000, "A", "G", "0/1")], gvcf=False)
    submit_calls(ready, tmp_path / "calls", [spec], small_reference, contigs=contigs)
    (problem,) = _refused(ready).problems
    assert problem.field == "CHROM" and problem.found == "chr22" and "not in the GRCh38 reference" in problem.message


def test_no_reference_is_a_clear_error(instance: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    submit_calls(instance, tmp_path / "calls", [_good(small_reference, "RH-KG-T0001", 1)], small_reference)
    with pytest.raises(NotFound, match="genomdb reference add GRCh38"):
        harmonize(instance)


def _only_submission(instance: Instance) -> str:
    (sample,) = instance.catalog.search(SearchFilters())
    return sample.submission_id
