"""Harmonisation runs: idempotent, corrections and withdrawals, chosen analyses, multi-sample files, an encrypted
store, a SIGKILL between the batch rename and the catalog commit, and the CLI as a user runs it."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from genomdb.access.records import Role
from genomdb.access.users import add_user
from genomdb.config import Settings
from genomdb.errors import Conflict, NotFound
from genomdb.harmonize.run import harmonize
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance, init_instance
from genomdb.model.catalog import SearchFilters
from genomdb.variants import repository as variant_repository
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.store import VariantStore, collect_unregistered_batches
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    CallFileSpec,
    SmallReference,
    block,
    call,
    sample_names,
    store_snapshot,
    stored_calls,
    submit_calls,
    write_calls,
)
from tests.harmonize.test_qc import run_cli

POS = WINDOW_START + 2_000


def _spec(reference: SmallReference, sample_id: str, person: int, **options: object) -> CallFileSpec:
    base = reference.bases(AUTOSOME, POS + person)
    lines = [
        block(reference, AUTOSOME, POS - 50, POS + person - 1),
        call(AUTOSOME, POS + person, base, "T" if base != "T" else "G", "0/1", gvcf=True),
        block(reference, AUTOSOME, POS + person + 1, POS + 50),
    ]
    return CallFileSpec(sample_id, lines, person=person, **options)  # type: ignore[arg-type]


def _harmonised_names(instance: Instance) -> set[str]:
    names = sample_names(instance)
    return {names[s.sample_id] + ("" if s.current else " (old)") for s in frequency_cohort(instance.catalog)}


def test_a_second_run_does_nothing_and_a_correction_is_harmonised_again(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    specs = [_spec(small_reference, "RH-KG-T0001", 1), _spec(small_reference, "RH-KG-T0002", 2)]
    first = submit_calls(ready, tmp_path / "v1", specs, small_reference)
    assert harmonize(ready).n_samples == 2
    again = harmonize(ready)
    assert again.nothing_to_do and again.batch_id is None

    specs[1].withdrawn = True
    submit_calls(ready, tmp_path / "v2", specs, small_reference, corrects=first.submission_id, reason="withdrawn")
    corrected = harmonize(ready)
    assert corrected.n_samples == 1, "the new version of T0001 only: a withdrawn version is never harmonised"
    assert _harmonised_names(ready) == {"RH-KG-T0001", "RH-KG-T0001 (old)", "RH-KG-T0002 (old)"}
    cohort = {sample_names(ready)[s.sample_id] + str(s.current): s for s in frequency_cohort(ready.catalog)}
    assert cohort["RH-KG-T0002False"].withdrawn and not cohort["RH-KG-T0001False"].withdrawn
    assert harmonize(ready).nothing_to_do
    assert len(VariantStore.of(ready).batches()) == 2


def test_chosen_analyses_only(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    specs = [_spec(small_reference, "RH-KG-T0001", 1), _spec(small_reference, "RH-KG-T0002", 2)]
    outcome = submit_calls(ready, tmp_path / "rh", specs, small_reference)
    other = [_spec(small_reference, "RH-KG-T0001", 3)]
    submit_calls(ready, tmp_path / "rn", other, small_reference, department="RN-KG")
    with pytest.raises(Conflict, match="several submissions"):
        harmonize(ready, analyses=["RH-KG-T0001-A1"])
    with pytest.raises(NotFound):
        harmonize(ready, analyses=["no-such-analysis"])
    chosen = harmonize(ready, analyses=[f"{outcome.submission_id}/RH-KG-T0001-A1", "RH-KG-T0002-A1"])
    assert chosen.n_samples == 2
    assert harmonize(ready, analyses=["RH-KG-T0002-A1"]).nothing_to_do
    assert harmonize(ready).n_samples == 1


def test_a_multi_sample_vcf_is_normalised_once(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    spec = _spec(small_reference, "RH-KG-T0001", 1, gvcf=False, extra_samples=["RH-KG-T0002", "RH-KG-T0003"])
    spec.lines = [line for line in spec.lines if "END=" not in line]
    submit_calls(ready, tmp_path / "trio", [spec], small_reference)
    outcome = harmonize(ready)
    assert (outcome.n_files, outcome.n_samples) == (1, 3)
    assert {row["sample"] for row in stored_calls(ready)} == {"RH-KG-T0001", "RH-KG-T0002", "RH-KG-T0003"}


def test_an_encrypted_blob_store_is_read_through_the_store(
    settings: Settings, small_reference: SmallReference, tmp_path: Path
) -> None:
    encrypted = settings.model_copy(update={"encrypt_blobs": True})
    init_instance(encrypted)
    with Instance.open(encrypted) as instance:
        instance.add_reference("GRCh38", small_reference.fasta)
        submit_calls(instance, tmp_path / "calls", [_spec(small_reference, "RH-KG-T0001", 1)], small_reference)
        assert harmonize(instance).n_samples == 1
        assert len(stored_calls(instance)) == 1


KILL_POINTS = {
    # the batch folder is complete and renamed into batches/, the registering transaction has not started
    "after_rename": "record_batch",
    # inside the registering transaction, after the batch row was flushed, before COMMIT
    "inside_transaction": "_qc_row",
}


def _killed_harmonisation(settings: Settings, function: str) -> int:
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from genomdb.variants import repository as variant_repository
        from genomdb.config import Settings
        from genomdb.harmonize.run import harmonize
        from genomdb.instance import Instance

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        setattr(variant_repository, {function!r}, die)
        settings = Settings(home=Path({str(settings.home)!r}), database_url={settings.database_url!r})
        with Instance.open(settings) as instance:
            harmonize(instance, workers=1)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", script], env=env, check=False, capture_output=True).returncode


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_a_killed_run_is_invisible_and_collected(
    ready: Instance, settings: Settings, small_reference: SmallReference, tmp_path: Path, kill_point: str
) -> None:
    submit_calls(ready, tmp_path / "calls", [_spec(small_reference, "RH-KG-T0001", 1)], small_reference)
    before = store_snapshot(ready)
    assert _killed_harmonisation(settings, KILL_POINTS[kill_point]) == -signal.SIGKILL
    after = store_snapshot(ready)
    assert after.counts == before.counts and after.variant_counts == before.variant_counts
    store = VariantStore.of(ready)
    assert store.batches() == [] and store.calls_glob() == [] and store.blocks_glob() == []
    leftovers = list((ready.settings.resolved_home() / "variants" / "batches").iterdir())
    assert len(leftovers) == 1 and (leftovers[0] / "batch.json").exists(), "the batch was written before the kill"

    home = ready.settings.resolved_home()
    assert collect_unregistered_batches(home, ready.catalog, grace_seconds=3600).kept_young == 1
    report = collect_unregistered_batches(home, ready.catalog, grace_seconds=0)
    assert (report.removed_batches, report.kept_young) == (1, 0)
    assert not any((home / "variants" / "batches").iterdir())
    assert harmonize(ready).n_samples == 1
    assert variant_repository.variant_store_counts(ready.db)["batch_samples"] == 1


def test_the_cli_as_a_steward_runs_it(
    ready: Instance, settings: Settings, small_reference: SmallReference, tmp_path: Path
) -> None:
    submit_calls(ready, tmp_path / "calls", [_spec(small_reference, "RH-KG-T0001", 1)], small_reference)
    steward = add_user(ready, None, "steve", role=Role.STEWARD, department=None)
    first = run_cli(settings, "harmonize", "--min-gq", "25", "--as", steward.username)
    assert "batch VB-" in first and "1 sample(s) from 1 file(s)" in first
    assert "nothing to harmonise" in run_cli(settings, "harmonize", "--as", "steve")
    (batch,) = VariantStore.of(ready).batches()
    assert batch.filters["min_gq"] == 25
    stray = ready.settings.resolved_home() / "variants" / "batches" / "VB-STRAY"
    stray.mkdir()
    gc = run_cli(settings, "store", "gc", "--grace", "0", "--as", "steve")
    assert "removed 1 unregistered variant batch(es)" in gc and not stray.exists()
    assert (ready.settings.resolved_home() / "variants" / "batches" / batch.batch_id).exists()


def test_a_gvcf_is_preferred_to_a_vcf_of_the_same_sample(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    spec = _spec(small_reference, "RH-KG-T0001", 1)
    submit_calls(ready, tmp_path / "first", [spec], small_reference)
    manifest = yaml.safe_load((tmp_path / "first" / "manifest.yaml").read_text())
    base = small_reference.bases(AUTOSOME, POS + 1)
    vcf_line = call(AUTOSOME, POS + 1, base, "T" if base != "T" else "G", "0/1")
    vcf = write_calls(
        tmp_path / "first" / "RH-KG-T0001.vcf.gz",
        [vcf_line],
        samples=["RH-KG-T0001"],
        contigs=small_reference.contigs,
        gvcf=False,
    )
    manifest["files"].insert(0, {"id": "vcf", "path": vcf.name, "format": "VCF", "md5": _md5(vcf)})
    manifest["analyses"].insert(0, {**manifest["analyses"][0], "id": "A0", "outputs": ["vcf"]})
    (tmp_path / "first" / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    submission = ready.catalog.search(SearchFilters())[0].submission_id
    submit_manifest(ready, tmp_path / "first" / "manifest.yaml", corrects=submission, reason="VCF added")
    (pending,) = variant_repository.call_files_to_harmonise(ready.db)
    assert (pending.file_format, pending.analysis_ref) == ("GVCF", "RH-KG-T0001-A1")
    assert harmonize(ready).n_samples == 1


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
