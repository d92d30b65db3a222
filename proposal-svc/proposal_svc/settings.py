from cppcc_common.settings import UPLOAD_CAP_BYTES, ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("PROPOSAL_")

    service_name: str = "proposal-svc"
    port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/proposal"
    # Transport cap for attachments; the organization's `attachment_max_bytes` (20 MiB by default)
    # answers first, and can be raised up to this cap only.
    upload_limits: dict[str, int] = {
        "/api/v1/proposals/{proposal_id}/attachments": UPLOAD_CAP_BYTES,
        "/api/v1/opinions/{report_id}/attachments": UPLOAD_CAP_BYTES,
    }
