"""Settings of the web service, built once (from ``GENOMDB_API_*`` variables or by the caller) and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from genomdb.access.oidc import OidcConfig
from genomdb.access.records import Role
from genomdb.access.tiers import DEFAULT_TIERS, highest_tier
from genomdb.frequency.disclosure import Tier

__all__ = ["DEFAULT_TIERS", "ServiceSettings"]


class ServiceSettings(BaseSettings):
    """How the service authenticates, limits and describes itself; every field has a ``GENOMDB_API_`` variable."""

    model_config = SettingsConfigDict(env_prefix="GENOMDB_API_", extra="ignore")

    public_queries_per_minute: int = Field(
        default=120,
        ge=1,
        description="query budget of one client without a token (a bulk look-up costs one per variant)",
    )
    public_burst: int | None = Field(
        default=None, ge=1, description="queries a client may spend at once [default: one minute's]"
    )
    public_queries_per_day: int | None = Field(
        default=1000,
        ge=1,
        description="query budget of one client without a token per UTC day, kept in the catalog (unset: none)",
    )
    public_queries_per_window: int | None = Field(
        default=5000,
        ge=1,
        description="query budget of one client without a token over budget_window_days UTC days (unset: none)",
    )
    token_queries_per_day: int | None = Field(
        default=None, ge=1, description="query budget of one user with a token per UTC day (unset: none)"
    )
    token_queries_per_window: int | None = Field(
        default=None, ge=1, description="query budget of one user with a token over budget_window_days (unset: none)"
    )
    budget_window_days: int = Field(default=30, ge=1, le=366, description="the window of the budgets over days")
    budget_flush_seconds: float = Field(
        default=5.0, ge=0, description="how often the budgets' use is written to the catalog"
    )
    max_bulk_variants: int = Field(default=1000, ge=1, description="most variants in one bulk look-up")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="largest JSON request body")
    max_upload_bytes: int = Field(default=50 * 1024**3, ge=1024, description="largest submission upload (all files)")
    release_refresh_seconds: float = Field(default=10.0, ge=0, description="how often the newest release is looked up")
    catalog_search_limit: int = Field(default=100, ge=1, le=10_000, description="default page size of catalog search")
    oidc_issuer: str | None = Field(default=None, description="trusted OIDC issuer (enables JWT bearer tokens)")
    oidc_audience: str | None = Field(default=None, description="audience JWTs must be issued for")
    oidc_jwks_url: str | None = Field(default=None, description="the issuer's JWKS URL")
    oidc_jwks_file: Path | None = Field(default=None, description="the issuer's JWKS as a local file")
    oidc_username_claim: str = Field(default="preferred_username", description="claim naming the genomdb user")
    beacon_id: str = Field(default="org.genomdb.beacon", description="reverse-domain id of this Beacon")
    beacon_name: str = Field(default="genomdb national frequency Beacon")
    organization_id: str = Field(default="genomdb", description="id of the organisation running the service")
    organization_name: str = Field(default="National genome center")
    public_granularity: str = Field(default="count", pattern="^(boolean|count|record)$")
    registered_granularity: str = Field(default="record", pattern="^(boolean|count|record)$")
    controlled_granularity: str = Field(default="record", pattern="^(boolean|count|record)$")
    block_url_seconds: int = Field(
        default=3600, ge=10, le=7 * 86_400, description="how long the signed block URLs of htsget tickets and DRS work"
    )
    cookie_secure: bool = Field(default=False, description="mark the login cookie Secure (behind HTTPS)")

    def oidc(self) -> OidcConfig | None:
        """The OIDC configuration, or None when JWT bearer tokens are not enabled."""
        if not self.oidc_issuer:
            return None
        return OidcConfig(
            issuer=self.oidc_issuer,
            audience=self.oidc_audience or self.beacon_id,
            jwks_url=self.oidc_jwks_url,
            jwks_file=self.oidc_jwks_file,
            username_claim=self.oidc_username_claim,
        )

    def max_tier(self, role: Role | None) -> Tier:
        return highest_tier(role)

    def granularity(self, tier: Tier) -> str:
        return {
            Tier.PUBLIC: self.public_granularity,
            Tier.REGISTERED: self.registered_granularity,
            Tier.CONTROLLED: self.controlled_granularity,
        }[tier]
