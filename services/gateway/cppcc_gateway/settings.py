from cppcc_common.settings import UPLOAD_CAP_BYTES, ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("GATEWAY_")

    service_name: str = "gateway"
    port: int = 8000
    member_url: str = "http://127.0.0.1:8001"
    proposal_url: str = "http://127.0.0.1:8002"
    consultation_url: str = "http://127.0.0.1:8003"
    notify_url: str = "http://127.0.0.1:8004"
    cors_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]
    upstream_timeout_seconds: float = 15.0
    # Below the services' keep-alive timeout (keep_alive_seconds), so the gateway drops an idle
    # connection before the service closes it under a request.
    upstream_keepalive_seconds: float = 5.0
    login_per_minute_per_ip: int = 20
    requests_per_second_per_principal: float = 50.0
    requests_burst_per_principal: int = 100
    # The public reads (PUBLIC_READ_PREFIXES), per client address: no token, no principal.
    public_requests_per_second_per_ip: float = 10.0
    public_requests_burst_per_ip: int = 30
    public_base_url: str = "http://127.0.0.1:8000"
    # The services' transport caps (tests/test_upload_limits.py holds each at least as large as the
    # service's): the roster import (its policy: 10 MiB), the annual report, the attachments of a
    # proposal, a public-opinion report, an activity's materials, a written speech and an outcome.
    upload_limits: dict[str, int] = {
        "/api/v1/members/imports": 16 * 1024 * 1024,
        "/api/v1/duty/annual-reports": UPLOAD_CAP_BYTES,
        "/api/v1/proposals/{proposal_id}/attachments": UPLOAD_CAP_BYTES,
        "/api/v1/opinions/{report_id}/attachments": UPLOAD_CAP_BYTES,
        "/api/v1/consultations/activities/{activity_id}/materials": UPLOAD_CAP_BYTES,
        "/api/v1/consultations/activities/{activity_id}/speeches/{speech_id}/attachments": UPLOAD_CAP_BYTES,
        "/api/v1/consultations/outcomes/{outcome_id}/attachments": UPLOAD_CAP_BYTES,
    }
