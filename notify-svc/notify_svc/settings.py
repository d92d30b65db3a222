from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("NOTIFY_")

    service_name: str = "notify-svc"
    port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notify"
