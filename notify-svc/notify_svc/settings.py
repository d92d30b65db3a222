from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

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

    # Push and SMS (notify_svc/channels, docs/notify.md). `development` records what it would send;
    # `vendors` pushes each device through its vendor (JPush, APNs), `aliyun` texts through Alibaba
    # Cloud SMS. A real provider needs its credentials (checked here); production with a development
    # provider starts, and says at startup that it only records (deploy/ sets no vendor accounts).
    push_provider: Literal["development", "vendors"] = "development"
    sms_provider: Literal["development", "aliyun"] = "development"
    channel_worker_enabled: bool = True
    channel_worker_interval_seconds: float = 1.0
    channel_concurrency: int = 32
    # Calls in flight per provider: a dead vendor holds at most these, never another's.
    channel_concurrency_per_provider: int = 8
    channel_provider_timeout_seconds: float = 10.0
    # Finished deliveries (sent, failed, pruned, cancelled) and their attempts are kept this long.
    channel_retention_days: int = 30
    # JPush REST API v3 (极光推送): the app's AppKey and Master Secret.
    jpush_app_key: str | None = None
    jpush_master_secret: SecretStr | None = None
    jpush_url: str = "https://api.jpush.cn/v3/push"
    jpush_apns_production: bool = True
    # APNs, token-based: the .p8 key (PEM text), its key id, the team id, the app's bundle id.
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_private_key: SecretStr | None = None
    apns_topic: str | None = None
    apns_url: str = "https://api.push.apple.com"
    # Alibaba Cloud SMS (dysmsapi SendSms): an approved signature and a template `${content}` per locale.
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sms_sign_name: str | None = None
    aliyun_sms_template_code: str | None = None
    aliyun_sms_template_code_en: str | None = None
    aliyun_sms_url: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_region: str = "cn-hangzhou"

    @model_validator(mode="after")
    def _providers_have_credentials(self) -> Self:
        if self.push_provider == "vendors":
            missing = [
                name
                for name in ("jpush_app_key", "jpush_master_secret", "apns_key_id", "apns_team_id")
                + ("apns_private_key", "apns_topic")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"push_provider=vendors needs {', '.join(missing)}")
        if self.sms_provider == "aliyun":
            needed = ("aliyun_access_key_id", "aliyun_access_key_secret", "aliyun_sms_sign_name")
            missing = [name for name in (*needed, "aliyun_sms_template_code") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"sms_provider=aliyun needs {', '.join(missing)}")
        return self
