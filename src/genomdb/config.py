"""Settings, built once at the composition root and passed down. Never read at import time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from genomdb.storage.s3 import S3Credentials

DEFAULT_HOME = Path("genomdb-home")
STORE_POINTER = "store.json"
"""The instance's own record of its store, written by ``genomdb store migrate`` when it switches stores."""


class Settings(BaseSettings):
    """Where an instance lives and which backends it uses.

    Every field can be set from the environment with the ``GENOMDB_`` prefix, e.g. ``GENOMDB_HOME`` or
    ``GENOMDB_DATABASE_URL``. Unset URLs default to the embedded backends inside the instance home.
    """

    model_config = SettingsConfigDict(env_prefix="GENOMDB_", extra="ignore")

    home: Path = Field(default=DEFAULT_HOME, description="instance home folder")
    database_url: str | None = Field(
        default=None, description="catalog URL: sqlite:///… (default, inside home) or postgresql+psycopg://…"
    )
    store_url: str | None = Field(
        default=None,
        description="blob store URL: file:///… (default, inside home) or s3://bucket/prefix?endpoint=http://host:port",
    )
    s3_access_key_id: SecretStr | None = Field(
        default=None, description="S3 access key (else boto3's chain: AWS_ACCESS_KEY_ID, ~/.aws); never logged"
    )
    s3_secret_access_key: SecretStr | None = Field(default=None, description="S3 secret key; never logged")
    secrets_dir: Path | None = Field(
        default=None, description="folder with the instance secrets (default home/secrets)"
    )
    encrypt_blobs: bool = Field(default=False, description="store blobs crypt4gh-encrypted for the archive key")
    ingest_workers: int = Field(default=0, ge=0, description="processes validating files (0: one per core)")
    harmonize_chunk_files: int = Field(
        default=64,
        ge=1,
        description="files harmonised together by one worker (memory grows with it: about one chunk per core)",
    )
    pgx_data: Path | None = Field(
        default=None, description="PGx definitions/recommendations directory (default: the packaged data)"
    )
    manifest_max_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="largest manifest file accepted (bytes)"
    )
    max_text_chars: int = Field(
        default=2000, ge=64, description="longest free-text value accepted in a manifest or as a --reason (characters)"
    )
    public_floor_center: float = Field(
        default=120.0, ge=10, description="public tier: centre (AC) of the logistic draw of each variant's floor"
    )
    public_floor_scale: float = Field(default=30.0, ge=0, description="public tier: scale of that draw (0: none)")
    public_floor_max: int = Field(default=300, ge=10, description="public tier: the highest floor a variant gets")
    gc_grace_seconds: int = Field(
        default=3600, ge=0, description="store gc leaves unregistered blobs younger than this"
    )
    upload_max_age_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=0,
        description="store gc removes uploads (finished or not) begun longer ago than this and not yet submitted",
    )
    engine: str = Field(
        default="duckdb",
        description="engine of the heavy steps (release builds): duckdb, or spark for scale (checked where used)",
    )
    tier_policy: Path | None = Field(
        default=None,
        description="storage tier policy YAML (default: the packaged genomdb/storage/tiering/default.yaml)",
    )
    spark_master: str = Field(
        default="local[2]", description="Spark master when the engine is spark: local[N], yarn or spark://host:port"
    )

    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home() / 'catalog.sqlite'}"

    def recorded_store(self) -> dict[str, str] | None:
        """What ``store migrate`` recorded in the home (``store_url``, and ``previous_store_url`` until the old
        store is finalised), or None when the instance never migrated."""
        path = self.resolved_home() / STORE_POINTER
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items() if v is not None}

    def resolved_store_url(self) -> str:
        """The store URL: the one ``store migrate`` switched the instance to, else the setting, else the home's
        ``blobs`` folder. A setting that contradicts a migrated instance's store is refused."""
        recorded = self.recorded_store()
        if recorded is not None:
            if self.store_url and self.store_url != recorded["store_url"]:
                from genomdb.errors import Unavailable

                raise Unavailable(
                    f"this instance was migrated to {recorded['store_url']} (recorded in {STORE_POINTER} in its "
                    f"home), but GENOMDB_STORE_URL names {self.store_url}: unset it or set it to the recorded store"
                )
            return recorded["store_url"]
        if self.store_url:
            return self.store_url
        return (self.resolved_home() / "blobs").as_uri()

    def s3_credentials(self) -> S3Credentials:
        from genomdb.storage.s3 import S3Credentials

        return S3Credentials(self.s3_access_key_id, self.s3_secret_access_key)

    def resolved_secrets_dir(self) -> Path:
        if self.secrets_dir is not None:
            return self.secrets_dir.expanduser().resolve()
        return self.resolved_home() / "secrets"
