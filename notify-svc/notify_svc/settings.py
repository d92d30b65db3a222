from pydantic import Field, SecretStr

from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("NOTIFY_")

    service_name: str = "notify-svc"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notify"

    # The inbox's live stream (GET /api/v1/inbox/stream): a comment line this often keeps proxies
    # and the gateway from timing the stream out (under the gateway's upstream read timeout).
    inbox_stream_heartbeat_seconds: float = 10.0
    inbox_stream_max_per_person: int = 5
    # Webhooks to partner systems (notify_svc/webhooks, docs/webhooks.md). The key encrypting the
    # endpoints' secrets at rest: base64url of 32 random bytes; no default (the devstack makes one).
    webhook_key: SecretStr | None = None
    # Networks (CIDR, a JSON list) a webhook may reach although private or loopback: tests, intranets.
    webhook_allow_networks: list[str] = []
    webhook_timeout_seconds: float = 30.0
    # Seconds between two looks at the delivery queue when nothing woke the worker.
    webhook_worker_interval_seconds: float = 1.0
    webhook_concurrency: int = 32
    webhook_concurrency_per_endpoint: int = 2
    # The longest `Retry-After` a partner can ask for (seconds).
    webhook_retry_after_cap_seconds: float = 86_400.0
    webhook_worker_enabled: bool = True
    # Settled messages (with their deliveries and attempt log) are kept this long, then removed by
    # a sweep the worker runs every `webhook_retention_sweep_seconds`.
    webhook_retention_days: int = Field(default=30, ge=1, le=3650)
    webhook_retention_sweep_seconds: float = Field(default=3600.0, gt=0)
