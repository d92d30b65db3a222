from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("CONSULTATION_")

    service_name: str = "consultation-svc"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consultation"
    # An outcome's attachment: at most the policy's largest size (outcomes.policy, 20 MiB) and room.
    upload_limits: dict[str, int] = {
        "/api/v1/consultations/outcomes/{outcome_id}/attachments": 24 * 1024 * 1024
    }
