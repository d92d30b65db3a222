from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import RequestModel


class LoginRequest(RequestModel):
    phone: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$", examples=["13800000001"])
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=20, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class Me(BaseModel):
    id: UUID
    org_id: UUID
    name: str
    phone: str
    roles: list[str]
    scopes: list[str]
    unit_id: UUID | None


Phone = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$")


class SmsCodeRequest(RequestModel):
    phone: str = Phone
    purpose: Literal["login", "reset_password"] = "login"


class SmsLoginRequest(RequestModel):
    phone: str = Phone
    code: str = Field(pattern=r"^[0-9]{6}$")


class PasswordResetRequest(RequestModel):
    phone: str = Phone
    code: str = Field(pattern=r"^[0-9]{6}$")
    new_password: str = Field(min_length=1, max_length=128)


class PasswordChangeRequest(RequestModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class Accepted(BaseModel):
    status: str = "accepted"


class ClientToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class PartnerClientCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    unit_id: UUID


class PartnerClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    unit_id: UUID
    client_id: str
    created_at: datetime
    previous_valid_until: datetime | None
    revoked_at: datetime | None


class PartnerClientWithSecret(PartnerClientRead):
    client_secret: str = Field(description="shown only now; store it safely")
