"""The official Beacon v2 JSON Schemas (../shared/beacon-v2, by relative path) as a jsonschema registry.

``$ref``s to the schemas' own GitHub location resolve to the local copy. The VRS 1.3 schema they reference for
``variation`` is not part of the copy: it is stood in for by the subset genomdb's records use (a
``SequenceLocation``), and the VRS alternatives of ``variation`` never match, so records must be valid
``LegacyVariation``s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

GITHUB = "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/"
VRS = "https://w3id.org/ga4gh/schema/vrs/1.3/vrs.json"
NUMBER = {
    "type": "object",
    "properties": {"type": {"const": "Number"}, "value": {"type": "integer"}},
    "required": ["type", "value"],
}
VRS_SUBSET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "definitions": {
        "MolecularVariation": {"not": {}},
        "SystemicVariation": {"not": {}},
        "Location": {
            "type": "object",
            "properties": {
                "type": {"const": "SequenceLocation"},
                "sequence_id": {"type": "string", "pattern": "^[^:]+:.+$"},
                "interval": {
                    "type": "object",
                    "properties": {"type": {"const": "SequenceInterval"}, "start": NUMBER, "end": NUMBER},
                    "required": ["type", "start", "end"],
                },
            },
            "required": ["type", "sequence_id", "interval"],
        },
    },
}
RESPONSES = "framework/json/responses/"
G_VARIANT = "models/json/beacon-v2-default-model/genomicVariations/defaultSchema.json"


class BeaconSchemas:
    def __init__(self, root: Path) -> None:
        self.root = root

        def retrieve(uri: str) -> Resource[Any]:
            if uri.startswith(VRS):
                return Resource.from_contents(VRS_SUBSET, default_specification=DRAFT202012)
            if uri.startswith(GITHUB):
                path = root / uri.removeprefix(GITHUB)
            elif uri.startswith("file://"):
                path = Path(uri.removeprefix("file://"))
            else:
                raise LookupError(f"schema outside the local copy: {uri}")
            return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012)

        self.registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]

    def errors(self, document: Any, relative: str) -> list[str]:
        uri = (self.root / relative).resolve().as_uri()
        validator = Draft202012Validator({"$ref": uri}, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]

    def check(self, document: Any, relative: str) -> None:
        problems = self.errors(document, relative)
        assert not problems, f"{relative}:\n" + "\n".join(problems[:20])

    def check_response(self, document: dict[str, Any]) -> None:
        """A g_variants response against the schema its granularity calls for, and every record."""
        granularity = document["meta"]["returnedGranularity"]
        schema = {"boolean": "beaconBooleanResponse", "count": "beaconCountResponse"}.get(
            granularity, "beaconResultsetsResponse"
        )
        self.check(document, f"{RESPONSES}{schema}.json")
        for result_set in document.get("response", {}).get("resultSets", []):
            for record in result_set["results"]:
                self.check(record, G_VARIANT)
