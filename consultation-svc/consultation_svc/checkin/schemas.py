"""Request bodies and responses of the check-in routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from consultation_svc.checkin.domain import Effect
from cppcc_common.validation import RequestModel


class CheckinCode(BaseModel):
    """The venue's current code: show it until `refresh_at`, then fetch the next one."""

    activity_id: UUID
    token: str = Field(description="the signed code; the app posts it to …/checkin")
    qr_text: str = Field(description="what the QR code holds (the PNG route renders exactly this)")
    issued_at: datetime
    refresh_at: datetime = Field(description="the next code replaces this one")
    expires_at: datetime = Field(description="scans of this code are refused from this instant")
    checkin_opens_at: datetime
    checkin_closes_at: datetime


class CheckinRequest(RequestModel):
    """A scan: the code the app read. The attendance recorded is always the caller's own."""

    token: str = Field(min_length=1, max_length=200, description="the token of the scanned QR code")


class CheckinResult(BaseModel):
    activity_id: UUID
    person_id: UUID
    effect: Effect = Field(description="arrival 签到 | departure 签退 | repeat 同一签到码重复扫描，未变更")
    arrived_at: datetime | None
    left_at: datetime | None
