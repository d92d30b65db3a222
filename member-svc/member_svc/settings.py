from pydantic import SecretStr

from cppcc_common.settings import UPLOAD_CAP_BYTES, ServiceSettings, service_config


class Settings(ServiceSettings):
    model_config = service_config("MEMBER_")

    service_name: str = "member-svc"
    port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/member"
    # 32 random bytes, base64url: encrypts the token-signing private keys at rest (AES-GCM).
    key_encryption_key: SecretStr | None = None
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    signing_key_days: int = 90
    partner_token_minutes: int = 60
    partner_secret_overlap_hours: int = 24
    # Brute force (DESIGN.md §6): failures per phone and per IP within a window lock them.
    login_max_failures_per_phone: int = 5
    login_max_failures_per_ip: int = 30
    login_failure_window_minutes: int = 15
    login_lock_minutes: int = 15
    # SMS codes
    sms_provider: str = "local"  # local | http
    sms_http_url: str | None = None
    sms_http_token: SecretStr | None = None
    sms_code_minutes: int = 5
    sms_code_resend_seconds: int = 60
    sms_code_max_attempts: int = 5
    password_min_length: int = 8
    # Transport caps for uploads; the importer's and the annual report's own policy caps answer first.
    upload_limits: dict[str, int] = {
        "/api/v1/members/imports": 16 * 1024 * 1024,
        "/api/v1/duty/annual-reports": UPLOAD_CAP_BYTES,
    }
