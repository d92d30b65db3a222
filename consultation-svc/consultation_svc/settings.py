from pydantic import SecretStr

from cppcc_common.settings import UPLOAD_CAP_BYTES, ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("CONSULTATION_")

    service_name: str = "consultation-svc"
    port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consultation"
    # The key signing the venue's check-in codes (checkin/domain.py): base64url of 32 random bytes,
    # the same in every replica; no default (the devstack makes one). Without it the check-in
    # routes answer 503 `checkin.not_configured`. Never logged (SecretStr).
    checkin_key: SecretStr | None = None
    # Transport caps of the raw-body upload routes (an activity's materials, a written speech's
    # files, an outcome's attachments); the organization's policy answers first with its own, usually smaller, limit.
    upload_limits: dict[str, int] = {
        "/api/v1/consultations/activities/{activity_id}/materials": UPLOAD_CAP_BYTES,
        "/api/v1/consultations/activities/{activity_id}/speeches/{speech_id}/attachments": UPLOAD_CAP_BYTES,
        "/api/v1/consultations/outcomes/{outcome_id}/attachments": UPLOAD_CAP_BYTES,
    }
