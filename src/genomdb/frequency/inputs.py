"""What a release reads, from the harmonisation side: registered batches and the harmonised cohort."""

from __future__ import annotations

from genomdb.frequency.records import BatchSource, CohortMember
from genomdb.frequency.strata import SampleLabels
from genomdb.instance import Instance
from genomdb.variants.cohort import frequency_cohort
from genomdb.variants.layout import batch_dir, batch_name
from genomdb.variants.records import CohortSample
from genomdb.variants.repository import variant_batches


def cohort_member(sample: CohortSample) -> CohortMember:
    """The frequency database's view of one harmonised sample version."""
    return CohortMember(
        sample_id=sample.sample_id,
        sample_key=sample.sample_key,
        person=sample.pseudonym,
        batch_id=sample.batch_id,
        labels=SampleLabels(sample.sex, sample.region, sample.platform),
        submission_id=sample.submission_id,
        submission_version=sample.submission_version,
        current=sample.current,
        withdrawn=sample.withdrawn,
        research_opt_out=sample.research_opt_out,
        qc_passed=sample.qc_passed,
        call_rate=sample.call_rate,
        callable_bases=sample.callable_bases,
        harmonised_at=sample.harmonised_at,
    )


def harmonised_inputs(instance: Instance) -> tuple[list[BatchSource], list[CohortMember]]:
    """Every registered variant-store batch and every harmonised sample version of the instance.

    On an S3 store each batch is read from its verified local cache, fetched once when missing."""
    home = instance.settings.resolved_home()
    for batch in variant_batches(instance.db):
        instance.datasets.materialise(batch_name(batch.batch_id), batch_dir(home, batch.batch_id))
    batches = [
        BatchSource(
            batch_id=batch.batch_id,
            path=batch_dir(home, batch.batch_id),
            manifest_sha256=batch.manifest_sha256,
            sample_ids=batch.sample_ids,
            filters=dict(batch.filters),
            reference_build=batch.reference_build,
        )
        for batch in variant_batches(instance.db)
    ]
    return batches, [cohort_member(s) for s in frequency_cohort(instance.catalog)]
