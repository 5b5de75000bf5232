"""The composition root: one place that turns Settings into a wired instance."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from genomdb.config import DEFAULT_HOME, Settings
from genomdb.errors import InvalidInput, NotFound, Problem, Unavailable
from genomdb.pseudonyms import Pseudonymizer

PSEUDONYM_KEY = "pseudonym.key"
AUDIT_KEY = "audit.key"
"""HMAC key sealing the access audit chain; kept outside the catalog so that a database editor cannot re-seal."""
PROJECT_KEY = "project.key"
"""HMAC key deriving per-project research pseudonyms from clinical ones."""
BLOCK_KEY = "htsget-block.key"
"""HMAC key signing the grants on htsget and DRS block URLs; replacing it invalidates every outstanding URL."""
REFERENCE_SUFFIXES = (".fai", ".gzi")

if TYPE_CHECKING:
    from genomdb.catalog.repository import Catalog
    from genomdb.db.engine import Database
    from genomdb.storage.blobs import BlobStore
    from genomdb.storage.datasets import DatasetStore
    from genomdb.storage.envelope import ArchiveKeys


@dataclass(frozen=True)
class InitReport:
    home: Path
    created_home: bool
    created_secrets: bool
    seeded_rows: int


def _write_secret(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def init_instance(settings: Settings) -> InitReport:
    """Create (or complete) an instance home: catalog schema, seed data, blob store and secrets.

    Safe to run again: existing secrets are never replaced, migrations and seeds only add what is missing.
    """
    from genomdb.db.engine import create_database
    from genomdb.storage.envelope import ARCHIVE_SECRET_KEY, generate_archive_keys

    home = settings.resolved_home()
    created_home = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    (home / "references").mkdir(exist_ok=True)
    secrets_dir = settings.resolved_secrets_dir()
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secrets_dir.chmod(0o700)
    created_secrets = False
    for key_name in (PSEUDONYM_KEY, AUDIT_KEY, PROJECT_KEY, BLOCK_KEY):
        if not (secrets_dir / key_name).exists():
            _write_secret(secrets_dir / key_name, secrets.token_hex(32) + "\n")
            created_secrets = True
    if not (secrets_dir / ARCHIVE_SECRET_KEY).exists():
        generate_archive_keys(secrets_dir)
        created_secrets = True
    db = create_database(settings.resolved_database_url())
    try:
        from genomdb.catalog.repository import Catalog
        from genomdb.catalog.seed import DANISH_DEPARTMENTS, DANISH_REGIONS

        db.migrate()
        seeded = Catalog(db).seed(DANISH_REGIONS, DANISH_DEPARTMENTS)
    finally:
        db.close()
    open_blob_store(settings)
    return InitReport(home, created_home, created_secrets, seeded)


def open_blob_store(settings: Settings, *, archive_keys: ArchiveKeys | None = None) -> BlobStore:
    """The instance's blob store, with its credentials from the settings and local staging inside the home."""
    from genomdb.storage.blobs import create_blob_store

    return create_blob_store(
        settings.resolved_store_url(),
        archive_keys=archive_keys,
        encrypt=settings.encrypt_blobs and archive_keys is not None,
        credentials=settings.s3_credentials(),
        staging_dir=settings.resolved_home() / "staging",
    )


class Instance:
    """A wired genomdb instance: the database (with the catalogue on it), blob store, pseudonymizer and reference data.

    ``db`` is what every domain's repository is built on; ``catalog`` is the metadata catalogue's repository;
    ``datasets`` holds variant-store batches and frequency releases (local, or S3 with a local cache).

    An opened instance connects to its database, blob store and dataset store when a command first uses them
    (and brings the schema to head then), so a command that needs none of them — a frequency look-up from the
    shell reads its release files — never pays for them.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database | None,
        blobs: BlobStore | None,
        pseudonymizer: Pseudonymizer,
        datasets: DatasetStore | None = None,
    ) -> None:
        self.settings = settings
        self.pseudonymizer = pseudonymizer
        if db is not None:
            self.db = db
        if blobs is not None:
            self.blobs = blobs
        if datasets is not None:
            self.datasets = datasets

    @cached_property
    def db(self) -> Database:
        """The catalog database, opened (and migrated when behind) on first use."""
        from genomdb.db.engine import create_database

        db = create_database(self.settings.resolved_database_url())
        if not db.is_current():
            db.migrate()
        return db

    def connect(self) -> Instance:
        """Open the database, blob store and dataset store now (a long-lived service does this once at start, so
        that its request threads never race to open them)."""
        _ = self.db, self.blobs, self.datasets
        return self

    @property
    def database_opened(self) -> bool:
        """Whether this instance has connected to its database yet."""
        return "db" in self.__dict__

    @cached_property
    def blobs(self) -> BlobStore:
        """The blob store (submitted files), with the archive keys when blobs are encrypted."""
        from genomdb.storage.envelope import load_archive_keys

        return open_blob_store(self.settings, archive_keys=load_archive_keys(self.settings.resolved_secrets_dir()))

    @cached_property
    def datasets(self) -> DatasetStore:
        """Variant-store batches and frequency releases: in the home, or on S3 with a verified local cache."""
        from genomdb.storage.datasets import create_dataset_store

        return create_dataset_store(
            self.settings.resolved_store_url(),
            home=self.settings.resolved_home(),
            credentials=self.settings.s3_credentials(),
        )

    @cached_property
    def catalog(self) -> Catalog:
        """The metadata catalogue's repository (imported when first used: a frequency look-up never needs it)."""
        from genomdb.catalog.repository import Catalog

        return Catalog(self.db)

    @classmethod
    def open(cls, settings: Settings) -> Instance:
        """Open an initialised instance; raises Unavailable with the fix when it is not initialised."""
        home = settings.resolved_home()
        secrets_dir = settings.resolved_secrets_dir()
        key_path = secrets_dir / PSEUDONYM_KEY
        if not key_path.exists():
            raise Unavailable(
                f"no genomdb instance at {home}. Point GENOMDB_HOME (or --home) at an instance's folder — "
                f"`genomdb demo` builds one in ./{DEFAULT_HOME} unless told otherwise — "
                f"or create an empty one with `genomdb init --home {home}`"
            )
        key = bytes.fromhex(key_path.read_text().strip())
        settings.resolved_store_url()  # a setting that contradicts a migrated store is refused before anything runs
        return cls(settings, None, None, Pseudonymizer(key))

    def close(self) -> None:
        if self.database_opened:
            self.db.close()

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def references_dir(self) -> Path:
        return self.settings.resolved_home() / "references"

    def reference_fasta(self, build: str) -> Path | None:
        """The instance's FASTA for a reference build, if one was added."""
        path = self.references_dir / f"{build}.fa.gz"
        return path if path.exists() else None

    def add_reference(self, build: str, fasta: Path) -> Path:
        """Register an indexed, bgzip-compressed FASTA (with .fai and .gzi beside it) for a build."""
        missing = [suffix for suffix in REFERENCE_SUFFIXES if not Path(f"{fasta}{suffix}").exists()]
        if not fasta.exists() or missing:
            raise InvalidInput(
                f"cannot add reference {fasta}",
                [
                    Problem(
                        str(fasta),
                        "reference FASTA must be bgzip-compressed and indexed",
                        expected="FILE.fa.gz with FILE.fa.gz.fai and FILE.fa.gz.gzi (samtools faidx)",
                        found="missing " + ", ".join(missing) if missing else "no such file",
                    )
                ],
            )
        target = self.references_dir / f"{build}.fa.gz"
        self.references_dir.mkdir(exist_ok=True)
        for suffix in ("", *REFERENCE_SUFFIXES):
            shutil.copyfile(f"{fasta}{suffix}", f"{target}{suffix}")
        return target

    def require_reference(self, build: str) -> Path:
        path = self.reference_fasta(build)
        if path is None:
            raise NotFound(f"no reference FASTA for {build}: add one with `genomdb reference add {build} FILE.fa.gz`")
        return path
