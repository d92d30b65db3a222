"""Request bodies and responses of the speech routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consultation_svc.speeches.domain import Status
from cppcc_common.contracts.consultation import SpeechMode
from cppcc_common.validation import PatchModel, RequestModel


class SpeechCreate(RequestModel):
    mode: SpeechMode = Field(description="oral 口头发言（登记发言）| written 书面发言")
    title: str = Field(min_length=1, max_length=200, description="发言题目")
    text: str | None = Field(default=None, max_length=50_000, description="发言稿正文（书面发言可附文件）")


class SpeechPatch(PatchModel):
    title: str = Field(min_length=1, max_length=200)
    text: str | None = Field(max_length=50_000)


class SpeechDecline(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="未安排发言或未采用的理由")


class SpeechRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    activity_id: UUID
    person_id: UUID
    mode: SpeechMode
    status: Status
    title: str
    text: str | None
    delivered_at: datetime | None
    decline_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class SpeechPage(BaseModel):
    items: list[SpeechRead]
    next_cursor: str | None = None


class SpeechAttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
