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
