from cppcc_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("CONSULTATION_")

    service_name: str = "consultation-svc"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consultation"
    # Transport cap for an activity's materials; the organization's `attachment_max_bytes` (20 MiB
    # by default) answers first, and can be raised up to this cap only.
    upload_limits: dict[str, int] = {
        "/api/v1/consultations/activities/{activity_id}/materials": 24 * 1024 * 1024
    }
