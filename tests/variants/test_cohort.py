"""``frequency_cohort``: every harmonised sample version with its labels, state and QC (docs/variant-store.md)."""

from __future__ import annotations

from pathlib import Path

from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.store import VariantStore
from tests.harmonize.kit import AUTOSOME, WINDOW_START, CallFileSpec, SmallReference, block, call, submit_calls

POS = WINDOW_START + 6_000


def _spec(reference: SmallReference, sample_id: str, **options: object) -> CallFileSpec:
    base = reference.bases(AUTOSOME, POS)
    lines = [
        block(reference, AUTOSOME, POS - 100, POS - 1),
        call(AUTOSOME, POS, base, "T" if base != "T" else "G", "0/1", gvcf=True),
        block(reference, AUTOSOME, POS + 1, POS + 100),
    ]
    return CallFileSpec(sample_id, lines, **options)  # type: ignore[arg-type]


def test_the_same_person_twice_and_the_labels(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    """A person sequenced in two regions appears twice under one pseudonym; the frequency database counts one."""
    submit_calls(ready, tmp_path / "rh", [_spec(small_reference, "RH-KG-T0001", sex="male", person=7)], small_reference)
    ont = _spec(small_reference, "RN-KG-T0001", sex="male", person=7, platform="ONT")
    submit_calls(ready, tmp_path / "rn", [ont], small_reference, department="RN-KG")
    other = _spec(small_reference, "RM-KG-T0001", sex="female", person=8)
    submit_calls(ready, tmp_path / "rm", [other], small_reference, department="RM-KG")
    outcome = harmonize(ready)
    (batch,) = VariantStore.of(ready).batches()
    cohort = {sample.department: sample for sample in frequency_cohort(ready.catalog)}
    assert set(cohort) == {"RH-KG", "RN-KG", "RM-KG"}
    assert cohort["RH-KG"].pseudonym == cohort["RN-KG"].pseudonym != cohort["RM-KG"].pseudonym
    assert (cohort["RH-KG"].region, cohort["RN-KG"].region, cohort["RM-KG"].region) == ("RH", "RN", "RM")
    assert (cohort["RH-KG"].platform, cohort["RN-KG"].platform) == ("ILLUMINA", "ONT")
    assert (cohort["RH-KG"].sex, cohort["RM-KG"].sex) == ("XY", "XX"), "declared sex when chrX says nothing"
    for sample in cohort.values():
        assert sample.current and not sample.withdrawn and not sample.research_opt_out
        assert sample.batch_id == outcome.batch_id == batch.batch_id
        assert sample.harmonised_at == batch.created_at
        assert sample.qc_passed and sample.flags == () and sample.call_rate == 1.0
        assert sample.callable_bases == 201 and sample.callable_fraction == 1.0
        assert sample.submission_version == 1 and sample.submission_id.startswith("SUB-")
