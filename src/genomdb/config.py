"""Settings, built once at the composition root and passed down. Never read at import time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from genomdb.storage.s3 import S3Credentials

DEFAULT_HOME = Path("genomdb-home")


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
    gc_grace_seconds: int = Field(
        default=3600, ge=0, description="store gc leaves unregistered blobs younger than this"
    )

    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home() / 'catalog.sqlite'}"

    def resolved_store_url(self) -> str:
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
