from pydantic import SecretStr

from cppcc_common.settings import ServiceSettings, service_config


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
