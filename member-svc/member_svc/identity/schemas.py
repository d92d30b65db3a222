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
    status: Literal["accepted"] = "accepted"


class ClientToken(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class ClientCredentialsForm(BaseModel):
    """The token request's form fields (RFC 6749 §4.4); the client may authenticate with HTTP Basic
    instead of client_id and client_secret. Documents the form; the route parses it itself."""

    grant_type: Literal["client_credentials"]
    client_id: str = Field(default="", max_length=64, examples=["unit-a-system"])
    client_secret: str = Field(default="", max_length=128, examples=["s3cret"])


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


class PartnerClientPage(BaseModel):
    items: list[PartnerClientRead]
    next_cursor: str | None = None


class PartnerClientWithSecret(PartnerClientRead):
    client_secret: str = Field(description="shown only now; store it safely")
