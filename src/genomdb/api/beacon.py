"""GA4GH Beacon v2: the framework documents and the ``g_variants`` entry type over the frequency releases.

Query profiles: sequence (``referenceName``, ``start``, ``referenceBases``, ``alternateBases``), range
(``referenceName``, ``start``, ``end``, optionally ``variantType``/``alternateBases``) and gene id (``geneId``),
on assembly GRCh38 only; Beacon coordinates are 0-based (``start`` inclusive, ``end`` exclusive). Every answer
comes from the frequency service at the caller's tier, so it passes the disclosure engine: a variant *exists* for
a tier exactly when the engine reveals it to that tier (``VariantFrequency.revealed``; at the public tier a variant
under its floor is answered like one nobody carries, which is what protects against membership inference). The
response granularity is the requested one, capped by the tier's.
No FastAPI here: documents are plain dicts validated in the tests against the official Beacon v2 JSON Schemas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genomdb import __version__
from genomdb.api.context import Caller, ServiceContext
from genomdb.api.services import frequency
from genomdb.errors import InvalidInput, Problem
from genomdb.frequency.keys import MAX_INTERVAL_BP
from genomdb.frequency.records import VariantFrequency
from genomdb.refdata.builds import canonical_contig_name, get_build

API_VERSION = "v2.0.1"
ENTRY_TYPE = "genomicVariation"
G_VARIANT_SCHEMA = "beacon-g_variant-v2.0.0"
GRANULARITIES = ("boolean", "count", "record")
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
ASSEMBLIES = {"grch38": "GRCh38", "hg38": "GRCh38", "grch38.p14": "GRCh38", "grch38.p13": "GRCh38"}
REFSEQ_GRCH38 = {
    **{str(n): acc for n, acc in zip(range(1, 23), [
        "NC_000001.11", "NC_000002.12", "NC_000003.12", "NC_000004.12", "NC_000005.10", "NC_000006.12",
        "NC_000007.14", "NC_000008.11", "NC_000009.12", "NC_000010.11", "NC_000011.10", "NC_000012.12",
        "NC_000013.11", "NC_000014.9", "NC_000015.10", "NC_000016.10", "NC_000017.11", "NC_000018.10",
        "NC_000019.10", "NC_000020.11", "NC_000021.9", "NC_000022.11",
    ], strict=True)},
    "X": "NC_000023.11",
    "Y": "NC_000024.10",
    "MT": "NC_012920.1",
}  # fmt: skip
"""RefSeq accessions of the GRCh38 primary chromosomes (by Ensembl-style name)."""
_BASES = re.compile(r"^[ACGTN]+$")
_PARAMETERS = (
    "referenceName", "start", "end", "referenceBases", "alternateBases", "assemblyId", "geneId", "variantType",
)  # fmt: skip
_VARIANT_TYPES = ("SNP", "MNP", "INS", "DEL", "INDEL")


def _problem(field_name: str, message: str, expected: str | None = None, found: str | None = None) -> InvalidInput:
    return InvalidInput(
        f"invalid Beacon request: {message}",
        [Problem("g_variants", message, field=field_name, expected=expected, found=found)],
    )


@dataclass(frozen=True, slots=True)
class BeaconRequest:
    """A g_variants request as received (GET parameters or POST body), before it is read as a query."""

    parameters: dict[str, Any]
    granularity: str | None = None
    skip: int = 0
    limit: int = DEFAULT_LIMIT
    filters: tuple[Any, ...] = ()
    api_version: str = API_VERSION
    requested_schemas: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class VariantQuery:
    """A read query: exactly one of a variant key, a region or a gene, with optional filters on the results."""

    profile: str
    """``sequence``, ``range`` or ``geneId``."""
    target: str
    alternate_bases: str | None = None
    reference_bases: str | None = None
    variant_type: str | None = None
    warnings: tuple[str, ...] = field(default=())


def _int(value: Any, field_name: str) -> int:
    if isinstance(value, bool):
        raise _problem(field_name, "not an integer", "a 0-based coordinate", str(value))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _problem(field_name, "not an integer", "a 0-based coordinate", str(value)[:40]) from None
    if number < 0:
        raise _problem(field_name, "coordinates are 0-based and not negative", ">= 0", str(number))
    return number


def _coordinates(value: Any, field_name: str) -> list[int]:
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = [v for v in value.split(",") if v.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    return [_int(v, field_name) for v in items]


def _count(value: Any, field_name: str, default: int) -> int:
    if value is None or value == "":
        return default
    return _int(value, field_name)


def request_from_get(parameters: Mapping[str, str]) -> BeaconRequest:
    """A request from GET query parameters (``start=123`` or ``start=123,456`` for several values)."""
    granularity = parameters.get("requestedGranularity")
    filters = tuple(f for f in (parameters.get("filters") or "").split(",") if f)
    return BeaconRequest(
        parameters={k: parameters[k] for k in _PARAMETERS if parameters.get(k) not in (None, "")},
        granularity=granularity,
        skip=_count(parameters.get("skip"), "skip", 0),
        limit=_count(parameters.get("limit"), "limit", DEFAULT_LIMIT),
        filters=filters,
    )


def request_from_body(body: Any) -> BeaconRequest:
    """A request from a POST body (``meta`` and ``query`` as in beaconRequestBody.json)."""
    if not isinstance(body, dict):
        raise _problem("body", "the body must be a JSON object", "beaconRequestBody")
    meta = body.get("meta") or {}
    query = body.get("query") or {}
    if not isinstance(meta, dict) or not isinstance(query, dict):
        raise _problem("body", "meta and query must be objects", "beaconRequestBody")
    raw = query.get("requestParameters") or {}
    if not isinstance(raw, dict):
        raise _problem("requestParameters", "must be an object", "{referenceName, start, …}")
    nested = raw.get("g_variant")
    parameters = dict(nested) if isinstance(nested, dict) else dict(raw)
    pagination = query.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise _problem("pagination", "must be an object", "{skip, limit}")
    filters = query.get("filters") or []
    schemas = meta.get("requestedSchemas") or []
    return BeaconRequest(
        parameters={k: v for k, v in parameters.items() if k in _PARAMETERS and v not in (None, "")},
        granularity=query.get("requestedGranularity"),
        skip=_count(pagination.get("skip"), "skip", 0),
        limit=_count(pagination.get("limit"), "limit", DEFAULT_LIMIT),
        filters=tuple(filters) if isinstance(filters, list) else (filters,),
        api_version=str(meta.get("apiVersion") or API_VERSION),
        requested_schemas=tuple(s for s in schemas if isinstance(s, dict)),
    )


def _chromosome(name: Any) -> str:
    text = str(name).strip()
    for key, accession in REFSEQ_GRCH38.items():
        if text.split(".")[0] == accession.split(".")[0]:
            text = key
    contig = get_build("GRCh38").contig(text)
    if contig is None:
        raise _problem("referenceName", "not a GRCh38 chromosome", "1-22, X, Y, MT (or chr1…, or RefSeq NC_…)", text)
    return contig.name


def _bases(value: Any, field_name: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip().upper()
    if not _BASES.match(text):
        raise _problem(field_name, "not a DNA sequence", "A, C, G, T, N", str(value)[:40])
    return text


def read_query(request: BeaconRequest) -> VariantQuery:
    """Read the parameters as one of the three query profiles; InvalidInput names what is wrong or missing."""
    p = request.parameters
    assembly = str(p.get("assemblyId", "GRCh38")).strip()
    if ASSEMBLIES.get(assembly.lower()) is None:
        raise _problem(
            "assemblyId", f"unknown assembly {assembly!r}: this Beacon serves GRCh38 only", "GRCh38", assembly
        )
    warnings = ("filters are not supported by this Beacon and were ignored",) if request.filters else ()
    variant_type = str(p["variantType"]).upper() if "variantType" in p else None
    if variant_type is not None and variant_type not in _VARIANT_TYPES:
        raise _problem("variantType", "unsupported variant type", ", ".join(_VARIANT_TYPES), variant_type)
    reference_bases = _bases(p.get("referenceBases"), "referenceBases")
    alternate_bases = _bases(p.get("alternateBases"), "alternateBases")
    if "geneId" in p:
        if "referenceName" in p or "start" in p:
            raise _problem("geneId", "give either a gene or coordinates, not both")
        return VariantQuery(
            "geneId", str(p["geneId"]).strip(), alternate_bases, reference_bases, variant_type, warnings
        )
    if "referenceName" not in p or "start" not in p:
        raise _problem(
            "referenceName",
            "a query needs referenceName and start (sequence or range query) or geneId",
            "referenceName + start + referenceBases + alternateBases, referenceName + start + end, or geneId",
        )
    chrom = _chromosome(p["referenceName"])
    starts, ends = _coordinates(p.get("start"), "start"), _coordinates(p.get("end"), "end")
    if len(starts) != 1 or len(ends) > 1:
        raise _problem("start", "bracket queries (several start or end values) are not supported", "one start")
    start = starts[0]
    if not ends:
        if reference_bases is None or alternate_bases is None:
            raise _problem(
                "alternateBases",
                "a sequence query needs referenceBases and alternateBases (or give end for a range query)",
            )
        key = f"{chrom}-{start + 1}-{reference_bases}-{alternate_bases}"
        return VariantQuery("sequence", key, alternate_bases, reference_bases, variant_type, warnings)
    end = ends[0]
    if end <= start:
        raise _problem("end", "end must lie after start (0-based, end exclusive)", f"> {start}", str(end))
    if end - start > MAX_INTERVAL_BP:
        raise _problem("end", "range too long", f"at most {MAX_INTERVAL_BP:,} bp", f"{end - start:,} bp")
    return VariantQuery("range", f"{chrom}:{start + 1}-{end}", alternate_bases, reference_bases, variant_type, warnings)


def variant_type(ref: str, alt: str) -> str:
    if len(ref) == len(alt):
        return "SNP" if len(ref) == 1 else "MNP"
    return "DEL" if len(ref) > len(alt) else "INS"


def _matches(query: VariantQuery, found: VariantFrequency) -> bool:
    v = found.variant
    if query.alternate_bases is not None and v.alt != query.alternate_bases:
        return False
    if query.reference_bases is not None and v.ref != query.reference_bases:
        return False
    kind = variant_type(v.ref, v.alt)
    return (
        query.variant_type is None
        or query.variant_type == kind
        or (query.variant_type == "INDEL" and kind in ("INS", "DEL"))
    )


def _granularity(context: ServiceContext, caller: Caller, requested: str | None) -> tuple[str, str]:
    wanted = (requested or "boolean").lower()
    if wanted not in GRANULARITIES:
        raise _problem("requestedGranularity", "unknown granularity", ", ".join(GRANULARITIES), requested)
    allowed = context.settings.granularity(caller.tier())
    return wanted, GRANULARITIES[min(GRANULARITIES.index(wanted), GRANULARITIES.index(allowed))]


def _returned_schemas() -> list[dict[str, str]]:
    return [{"entityType": ENTRY_TYPE, "schema": G_VARIANT_SCHEMA}]


def _informational_meta(context: ServiceContext) -> dict[str, Any]:
    return {"beaconId": context.settings.beacon_id, "apiVersion": API_VERSION, "returnedSchemas": []}


def response_meta(context: ServiceContext, request: BeaconRequest, *, requested: str, returned: str) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "apiVersion": request.api_version,
        "requestedSchemas": list(request.requested_schemas) or _returned_schemas(),
        "pagination": {"skip": request.skip, "limit": request.limit},
        "requestedGranularity": requested,
    }
    if request.parameters:
        summary["requestParameters"] = {"g_variant": dict(request.parameters)}
    return {
        "beaconId": context.settings.beacon_id,
        "apiVersion": API_VERSION,
        "returnedGranularity": returned,
        "receivedRequestSummary": summary,
        "returnedSchemas": _returned_schemas(),
    }


def _handover(url: str, label: str, note: str) -> dict[str, Any]:
    return {"handoverType": {"id": "CUSTOM:genomdb-browser", "label": label}, "url": url, "note": note}


def g_variant_record(found: VariantFrequency, *, base_url: str) -> dict[str, Any]:
    """One genomicVariation record: the variant (legacy form, 0-based interbase location) and its frequencies."""
    v = found.variant
    accession = REFSEQ_GRCH38[canonical_contig_name(v.chrom)]
    start = v.pos_1based - 1
    record: dict[str, Any] = {
        "variantInternalId": v.key,
        "variation": {
            "variantType": variant_type(v.ref, v.alt),
            "referenceBases": v.ref,
            "alternateBases": v.alt,
            "location": {
                "type": "SequenceLocation",
                "sequence_id": f"refseq:{accession}",
                "interval": {
                    "type": "SequenceInterval",
                    "start": {"type": "Number", "value": start},
                    "end": {"type": "Number", "value": start + len(v.ref)},
                },
            },
        },
    }
    if len(v.ref) == 1 and len(v.alt) == 1:
        record["identifiers"] = {"genomicHGVSId": f"{accession}:g.{v.pos_1based}{v.ref}>{v.alt}"}
    frequencies = []
    for stratum in found.strata:
        if stratum.allele_frequency is None:
            continue
        entry: dict[str, Any] = {"population": stratum.stratum, "alleleFrequency": stratum.allele_frequency}
        for name, value in (
            ("alleleCount", stratum.allele_count),
            ("alleleNumber", stratum.allele_number),
            ("alleleCountHomozygous", stratum.n_homalt),
            ("alleleCountHemizygous", stratum.n_hemi),
        ):
            if value is not None:
                entry[name] = value
        frequencies.append(entry)
    if frequencies:
        record["frequencyInPopulations"] = [
            {
                "source": "genomdb national frequency database",
                "sourceReference": f"{base_url}/variant/{v.key}",
                "version": found.release_id,
                "frequencies": frequencies,
            }
        ]
    return record


def g_variants(context: ServiceContext, caller: Caller, request: BeaconRequest, *, base_url: str) -> dict[str, Any]:
    """Answer a g_variants request at the caller's tier and granularity."""
    requested, returned = _granularity(context, caller, request.granularity)
    if request.limit > MAX_LIMIT:
        raise _problem("limit", "page too large", f"at most {MAX_LIMIT}", str(request.limit))
    query = read_query(request)
    if query.profile == "sequence":
        found: Sequence[VariantFrequency] = [frequency.lookup_variant(context, caller, query.target)]
        page_url = f"{base_url}/variant/{query.target}"
        release_id = found[0].release_id
    elif query.profile == "range":
        region = frequency.lookup_region(context, caller, query.target)
        found, page_url, release_id = region.variants, f"{base_url}/region/{query.target}", region.release_id
    else:
        gene = frequency.lookup_gene(context, caller, query.target)
        symbol = gene.gene.symbol if gene.gene is not None else query.target
        found, page_url, release_id = gene.variants, f"{base_url}/gene/{symbol}", gene.release_id
    hits = [f for f in found if f.revealed and _matches(query, f)]
    document: dict[str, Any] = {
        "meta": response_meta(context, request, requested=requested, returned=returned),
        "responseSummary": {"exists": bool(hits)},
    }
    if returned != "boolean":
        document["responseSummary"]["numTotalResults"] = len(hits)
    if returned == "record":
        page = hits[request.skip * request.limit :][: request.limit or MAX_LIMIT] if request.limit else hits[:MAX_LIMIT]
        document["response"] = {
            "resultSets": [
                {
                    "id": release_id,
                    "setType": "dataset",
                    "exists": bool(hits),
                    "resultsCount": len(hits),
                    "results": [g_variant_record(f, base_url=base_url) for f in page],
                    "info": {"tier": caller.tier().value, "release": release_id},
                }
            ]
        }
    document["beaconHandovers"] = [_handover(page_url, "genomdb variant browser", "frequencies by stratum, with plots")]
    info: dict[str, Any] = {"tier": caller.tier().value, "release": release_id}
    if query.warnings:
        info["warnings"] = list(query.warnings)
    document["info"] = info
    return document


def g_variant_by_id(context: ServiceContext, caller: Caller, variant_id: str, *, base_url: str) -> dict[str, Any]:
    """One variant by its internal id (the variant key ``chr19-11089362-G-A``)."""
    request = BeaconRequest(parameters={"variantInternalId": variant_id}, granularity="record")
    requested, returned = _granularity(context, caller, "record")
    found = frequency.lookup_variant(context, caller, variant_id)
    hits = [found] if found.revealed else []
    document: dict[str, Any] = {
        "meta": response_meta(context, request, requested=requested, returned=returned),
        "responseSummary": {"exists": bool(hits)},
        "beaconHandovers": [_handover(f"{base_url}/variant/{found.variant.key}", "genomdb variant browser", "")],
    }
    if returned != "boolean":
        document["responseSummary"]["numTotalResults"] = len(hits)
    if returned == "record":
        document["response"] = {
            "resultSets": [
                {
                    "id": found.release_id,
                    "setType": "dataset",
                    "exists": bool(hits),
                    "resultsCount": len(hits),
                    "results": [g_variant_record(f, base_url=base_url) for f in hits],
                }
            ]
        }
    return document


def error_document(context: ServiceContext, status: int, message: str) -> dict[str, Any]:
    """A beaconErrorResponse."""
    request = BeaconRequest(parameters={})
    return {
        "meta": response_meta(context, request, requested="boolean", returned="boolean"),
        "error": {"errorCode": status, "errorMessage": message},
    }


def _organization(context: ServiceContext) -> dict[str, Any]:
    return {"id": context.settings.organization_id, "name": context.settings.organization_name}


def info(context: ServiceContext, *, base_url: str) -> dict[str, Any]:
    """The beaconInfoResponse."""
    return {
        "meta": _informational_meta(context),
        "response": {
            "id": context.settings.beacon_id,
            "name": context.settings.beacon_name,
            "apiVersion": API_VERSION,
            "environment": "prod",
            "organization": _organization(context),
            "description": "Aggregate allele frequencies of the national genome cohort, under disclosure control",
            "version": __version__,
            "welcomeUrl": f"{base_url}/",
        },
    }


def service_info(context: ServiceContext, *, base_url: str) -> dict[str, Any]:
    """GA4GH service-info."""
    return {
        "id": context.settings.beacon_id,
        "name": context.settings.beacon_name,
        "type": {"group": "org.ga4gh", "artifact": "beacon", "version": API_VERSION},
        "organization": {"name": context.settings.organization_name, "url": f"{base_url}/"},
        "version": __version__,
        "environment": "prod",
        "documentationUrl": f"{base_url}/docs",
    }


def _entry_type() -> dict[str, Any]:
    return {
        "id": ENTRY_TYPE,
        "name": "Genomic variation",
        "ontologyTermForThisType": {"id": "ENSGLOSSARY:0000092", "label": "Variant"},
        "partOfSpecification": "Beacon v2.0.0",
        "description": "Normalised biallelic GRCh38 variants with allele frequencies per stratum",
        "defaultSchema": {
            "id": G_VARIANT_SCHEMA,
            "name": "Default schema for a genomic variation",
            "referenceToSchemaDefinition": "./genomicVariations/defaultSchema.json",
            "schemaVersion": "v2.0.0",
        },
        "nonFilteredQueriesAllowed": False,
    }


def configuration(context: ServiceContext) -> dict[str, Any]:
    """The beaconConfigurationResponse."""
    return {
        "meta": _informational_meta(context),
        "response": {
            "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconConfigurationSchema.json",
            "maturityAttributes": {"productionStatus": "PROD"},
            "securityAttributes": {
                "defaultGranularity": context.settings.public_granularity,
                "securityLevels": ["PUBLIC", "REGISTERED", "CONTROLLED"],
            },
            "entryTypes": {ENTRY_TYPE: _entry_type()},
        },
    }


def entry_types(context: ServiceContext) -> dict[str, Any]:
    """The beaconEntryTypesResponse."""
    return {"meta": _informational_meta(context), "response": {"entryTypes": {ENTRY_TYPE: _entry_type()}}}


def beacon_map(context: ServiceContext, *, base_url: str) -> dict[str, Any]:
    """The beaconMapResponse."""
    root = f"{base_url}/api/beacon"
    return {
        "meta": _informational_meta(context),
        "response": {
            "$schema": "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/framework/json/configuration/beaconMapSchema.json",
            "endpointSets": {
                ENTRY_TYPE: {
                    "entryType": ENTRY_TYPE,
                    "openAPIEndpointsDefinition": f"{base_url}/openapi.json",
                    "rootUrl": f"{root}/g_variants",
                    "singleEntryUrl": f"{root}/g_variants/{{id}}",
                }
            },
        },
    }


def filtering_terms(context: ServiceContext) -> dict[str, Any]:
    """The beaconFilteringTermsResponse: this Beacon takes no filters."""
    return {"meta": _informational_meta(context), "response": {"filteringTerms": [], "resources": []}}
