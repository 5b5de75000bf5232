"""The metadata of a working copy: catalog records mapped to GA4GH Beacon v2 entities (individuals, biosamples,
runs, analyses) and one GA4GH Phenopacket (v2) per individual, naming the delivered files.

Research copies carry project pseudonyms only, dates reduced to the year, and no department, submission or path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genomdb.access.research import ProjectPseudonyms
from genomdb.model.catalog import Person, SampleDetail

METADATA_SCHEMA_VERSION = 1

_SEX = {
    "female": ({"id": "NCIT:C16576", "label": "female"}, "FEMALE"),
    "male": ({"id": "NCIT:C20197", "label": "male"}, "MALE"),
}
_UNKNOWN_SEX = ({"id": "NCIT:C17998", "label": "unknown"}, "UNKNOWN_SEX")
_TISSUES = {
    "blood": {"id": "UBERON:0000178", "label": "blood"},
    "saliva": {"id": "UBERON:0001836", "label": "saliva"},
    "buccal": {"id": "UBERON:0006956", "label": "buccal mucosa"},
    "skin": {"id": "UBERON:0002097", "label": "skin of body"},
    "amniotic fluid": {"id": "UBERON:0000173", "label": "amniotic fluid"},
    "chorionic villi": {"id": "UBERON:0007106", "label": "chorionic villus"},
}
_PLATFORMS = {"ILLUMINA": "Illumina", "ONT": "Oxford Nanopore Technologies", "PACBIO": "PacBio"}
_FILE_FORMATS = {"CRAM": "cram", "BAM": "bam", "VCF": "vcf", "GVCF": "gvcf", "BCF": "bcf", "FASTQ": "fastq"}


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    """One data file of a package, as the metadata names it."""

    name: str
    sample_key: str
    format: str
    sha256: str
    reference_build: str | None
    regions: tuple[str, ...]


def _date(value: dt.date | None, *, research: bool) -> str | None:
    if value is None:
        return None
    return str(value.year) if research else value.isoformat()


def build_metadata(
    samples: Sequence[tuple[SampleDetail, Person]],
    files: Sequence[DeliveredFile],
    *,
    request_id: str,
    created_at: dt.datetime,
    research: ProjectPseudonyms | None = None,
) -> dict[str, Any]:
    """The package's ``metadata.json``: Beacon v2 entities and Phenopackets for the delivered samples."""
    is_research = research is not None

    def person_id(pseudonym: str) -> str:
        return research.person(pseudonym) if research else pseudonym

    def sample_id(detail: SampleDetail) -> str:
        return research.sample(detail.summary.sample_key) if research else detail.summary.submitter_sample_id

    delivered_persons = {person.pseudonym for _, person in samples}
    individuals: dict[str, dict[str, Any]] = {}
    biosamples, runs, analyses = [], [], []
    packets: dict[str, dict[str, Any]] = {}
    for detail, person in samples:
        individual_id = person_id(person.pseudonym)
        beacon_sex, packet_sex = _SEX.get(person.declared_sex or "", _UNKNOWN_SEX)
        if individual_id not in individuals:
            info: dict[str, Any] = {"birthYear": person.birth_year}
            relatives = [
                {"relation": relation, "individualId": person_id(other)}
                for relation, other in person.relatives
                if other in delivered_persons
            ]
            if relatives:
                info["relatives"] = relatives
            individuals[individual_id] = {"id": individual_id, "sex": beacon_sex, "info": info}
            packets[individual_id] = {
                "id": f"{request_id}.{individual_id}",
                "subject": {"id": individual_id, "sex": packet_sex},
                "biosamples": [],
                "files": [],
            }
        biosample_id = sample_id(detail)
        tissue = _TISSUES.get(detail.tissue.lower(), {"label": detail.tissue})
        biosample: dict[str, Any] = {
            "id": biosample_id,
            "individualId": individual_id,
            "sampleOriginType": tissue,
            "collectionDate": _date(detail.collection_date, research=is_research),
        }
        if not is_research:
            biosample["info"] = {
                "sampleKey": detail.summary.sample_key,
                "department": detail.summary.department,
                "region": detail.summary.region,
                "submission": f"{detail.summary.submission_id} v{detail.summary.submission_version}",
            }
        biosamples.append(biosample)
        packets[individual_id]["biosamples"].append(
            {"id": biosample_id, "individualId": individual_id, "sampledTissue": tissue}
        )
        run_ids = {}
        for number, run in enumerate(detail.runs, start=1):
            run_id = f"{biosample_id}.run{number}" if is_research else run.run_ref
            run_ids[run.run_ref] = run_id
            runs.append(
                {
                    "id": run_id,
                    "biosampleId": biosample_id,
                    "individualId": individual_id,
                    "platform": _PLATFORMS.get(run.platform, run.platform),
                    "platformModel": {"label": run.instrument} if run.instrument else None,
                    "libraryStrategy": run.library_strategy,
                    "librarySource": {"id": "GENEPIO:0001966", "label": "genomic source"},
                    "libraryLayout": "PAIRED" if run.read_type == "short" else "SINGLE",
                    "runDate": _date(run.run_date, research=is_research),
                }
            )
        for number, analysis in enumerate(detail.analyses, start=1):
            analyses.append(
                {
                    "id": f"{biosample_id}.analysis{number}" if is_research else analysis.analysis_ref,
                    "biosampleId": biosample_id,
                    "individualId": individual_id,
                    "pipelineName": analysis.pipeline_name,
                    "pipelineRef": f"{analysis.pipeline_name} {analysis.pipeline_version}",
                    "info": {"referenceBuild": analysis.reference_build},
                }
            )
        for delivered in files:
            if delivered.sample_key != detail.summary.sample_key:
                continue
            attributes: dict[str, Any] = {
                "fileFormat": _FILE_FORMATS.get(delivered.format, delivered.format.lower()),
                "sha256": delivered.sha256,
            }
            if delivered.reference_build:
                attributes["genomeAssembly"] = delivered.reference_build
            if delivered.regions:
                attributes["regions"] = ",".join(delivered.regions)
            packets[individual_id]["files"].append(
                {
                    "uri": delivered.name,
                    "individualToFileIdentifiers": {individual_id: biosample_id},
                    "fileAttributes": attributes,
                }
            )
    meta = {
        "created": created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "createdBy": "genomdb",
        "phenopacketSchemaVersion": "2.0",
        "resources": [
            {
                "id": "ncit",
                "name": "NCI Thesaurus",
                "namespacePrefix": "NCIT",
                "url": "http://purl.obolibrary.org/obo/ncit.owl",
            },
            {
                "id": "uberon",
                "name": "Uber-anatomy ontology",
                "namespacePrefix": "UBERON",
                "url": "http://purl.obolibrary.org/obo/uberon.owl",
            },
        ],
    }
    return {
        "schema_version": METADATA_SCHEMA_VERSION,
        "request_id": request_id,
        "identifiers": "project pseudonyms" if is_research else "clinical pseudonyms",
        "beacon": {
            "individuals": list(individuals.values()),
            "biosamples": biosamples,
            "runs": runs,
            "analyses": analyses,
        },
        "phenopackets": [{**packet, "metaData": meta} for packet in packets.values()],
    }
