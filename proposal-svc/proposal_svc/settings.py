from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("PROPOSAL_")

    service_name: str = "proposal-svc"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/proposal"
