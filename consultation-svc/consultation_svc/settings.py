from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("CONSULTATION_")

    service_name: str = "consultation-svc"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consultation"
