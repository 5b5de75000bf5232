"""Project-specific pseudonyms: research deliveries never show the pseudonyms or sample ids used clinically.

Each project sees its own identifiers, HMAC-SHA256 of the clinical identifier under the instance's project key
(a secret outside the catalog) and the project id. The same person gets the same research pseudonym throughout
one project and unrelated ones in different projects; without the key no recipient can map them back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from genomdb.errors import Unavailable
from genomdb.instance import PROJECT_KEY, Instance

RESEARCH_PERSON_PREFIX = "RP-"
RESEARCH_SAMPLE_PREFIX = "RS-"


def load_project_key(instance: Instance) -> bytes:
    path = instance.settings.resolved_secrets_dir() / PROJECT_KEY
    if not path.exists():
        home = instance.settings.resolved_home()
        raise Unavailable(f"the project pseudonym key {path} is missing: run `genomdb init --home {home}`")
    return bytes.fromhex(path.read_text().strip())


class ProjectPseudonyms:
    """The identifiers one research project sees."""

    def __init__(self, key: bytes, project: str) -> None:
        if len(key) < 32:
            raise ValueError("the project pseudonym key must be at least 32 bytes")
        self._key = key
        self.project = project

    def __repr__(self) -> str:
        return f"ProjectPseudonyms({self.project!r}, <key hidden>)"

    def _code(self, kind: str, identifier: str) -> str:
        mac = hmac.new(self._key, f"{kind}\x00{self.project}\x00{identifier}".encode(), hashlib.sha256).digest()
        return base64.b32encode(mac[:10]).decode("ascii")

    def person(self, clinical_pseudonym: str) -> str:
        """The project's pseudonym for a person (``RP-…``)."""
        return RESEARCH_PERSON_PREFIX + self._code("person", clinical_pseudonym)

    def sample(self, sample_key: str) -> str:
        """The project's id for a sample (``RS-…``)."""
        return RESEARCH_SAMPLE_PREFIX + self._code("sample", sample_key)


def project_pseudonyms(instance: Instance, project: str) -> ProjectPseudonyms:
    return ProjectPseudonyms(load_project_key(instance), project)
