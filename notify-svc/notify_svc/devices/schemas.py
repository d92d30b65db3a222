from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import CleanStr, RequestModel
from notify_svc.devices.domain import Platform, Vendor

# APNs tokens are hex, JPush registration ids alphanumeric; nothing else belongs in a token.
Token = Annotated[str, Field(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class DeviceRegister(RequestModel):
    platform: Platform
    vendor: Vendor
    token: Token
    name: Annotated[CleanStr, Field(max_length=100)] = ""


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    platform: Platform
    vendor: Vendor
    name: str
    registered_at: datetime
    token_tail: str = Field(description="The token's last 6 characters (the whole is never shown)")


class DevicePage(BaseModel):
    items: list[DeviceRead]
    next_cursor: str | None = None


class SignedOut(BaseModel):
    removed: int
