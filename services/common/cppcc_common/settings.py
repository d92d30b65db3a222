"""Settings base: environment variables read by pydantic-settings, one prefix per service.

A service subclasses `ServiceSettings` and sets its prefix, e.g. ``PROPOSAL_``::

    class Settings(ServiceSettings):
        model_config = service_config("PROPOSAL_")
        service_name: str = "proposal-svc"
        port: int = 8002

Defaults work on a developer's machine; nothing secret has a default.
"""

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cppcc_common.clock import Clock, OffsetClock, SystemClock
from cppcc_common.server import CorkedHttpToolsProtocol

# The transport cap of a route that takes a file (an attachment, a report, a workbook): what the path
# can ever carry, at the service and at the gateway. The organization's policy (an attachment's
# 20 MiB by default) answers first with its own, smaller limit and may be raised up to this cap only.
UPLOAD_CAP_BYTES = 24 * 1024 * 1024


def service_config(prefix: str) -> SettingsConfigDict:
    """The settings config every service uses, with its own environment prefix."""
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", frozen=True)


class ServiceSettings(BaseSettings):
    """What every service process needs to run."""

    model_config = service_config("CPPCC_")

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    database_pool_size: int = 10
    nats_url: str = "nats://127.0.0.1:4222"
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    jwt_issuer: str = "cppcc-member-svc"
    jwt_audience: str = "cppcc"
    # How long fetched verification keys are trusted: a retired key or a revoked partner client
    # stops working everywhere within this time (DESIGN.md §6).
    jwks_cache_seconds: float = 300.0
    stream_replicas: int = 1
    relay_enabled: bool = True
    relay_interval_seconds: float = 0.2
    relay_batch_size: int = 200
    consumers_enabled: bool = True
    # Seconds between two scans of a deadline scanner (cppcc_common.scanner); tests that drive
    # their own scanners set it long.
    scanner_interval_seconds: float = 5.0
    log_level: str = "INFO"
    max_body_bytes: int = 1_048_576
    # Larger limits for upload paths (prefix → bytes), e.g. roster files.
    upload_limits: dict[str, int] = {}
    # Peers (addresses or CIDR networks, a JSON list) whose X-Forwarded-For names the client: the
    # Ingress for the gateway, the gateway for a service. Nobody by default.
    trusted_proxies: list[str] = []
    # Seconds an idle keep-alive connection stays open; the gateway's pool lets its own go sooner.
    keep_alive_seconds: int = 15
    # production: /docs of a service is not served and /metrics needs `metrics_token`.
    environment: Literal["development", "production"] = "development"
    metrics_token: SecretStr | None = None
    # A file of seconds by which this process's clock runs ahead (cppcc_common.clock.OffsetClock):
    # the end-to-end tests move a whole stack's time with it. Refused in production.
    clock_offset_file: Path | None = None

    @model_validator(mode="after")
    def _no_moved_clock_in_production(self) -> Self:
        if self.environment == "production" and self.clock_offset_file is not None:
            raise ValueError("clock_offset_file moves the clock: it is for development and tests only")
        return self

    @property
    def source(self) -> str:
        """The CloudEvents `source` of this service's events."""
        return f"/{self.service_name}"


def process_clock(settings: ServiceSettings) -> Clock:
    """The clock of a process: the wall clock, or one moved by `clock_offset_file` (tests)."""
    if settings.clock_offset_file is not None:
        return OffsetClock(settings.clock_offset_file)
    return SystemClock()


def uvicorn_options(settings: ServiceSettings) -> dict[str, Any]:
    """How every process (services and gateway) runs uvicorn.

    uvicorn's own proxy headers are off: `TrustedProxyMiddleware` takes the client address from
    `X-Forwarded-For` only when the peer is one of `settings.trusted_proxies`. No `server` header
    (it names the software); the gateway passes no upstream `date`/`server` on, so each is sent once.
    An answer's head and a small body leave in one write (`CorkedHttpToolsProtocol`).
    """
    return {
        "http": CorkedHttpToolsProtocol,  # one write per small answer (cppcc_common.server)
        "proxy_headers": False,
        "server_header": False,
        "date_header": True,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "timeout_graceful_shutdown": 10,
    }
