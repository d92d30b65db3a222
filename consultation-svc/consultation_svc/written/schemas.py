"""Request bodies and responses of the written consultation routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import BoundedDatetime, RequestModel


class WrittenConsultationWrite(RequestModel):
    document: str = Field(
        min_length=1, max_length=100_000, description="征求意见的文件正文（文件附件为活动材料）"
    )
    due_at: BoundedDatetime = Field(description="意见截止时间（须晚于当前时间）")


class WrittenConsultationRead(BaseModel):
    activity_id: UUID
    document: str
    due_at: datetime
    open: bool = Field(description="opinions are taken (before the due date)")
    opinions: int | None = Field(
        description="how many invitees gave an opinion (the office and leaders only)"
    )
    created_at: datetime
    updated_at: datetime
    version: int


class OpinionWrite(RequestModel):
    text: str = Field(min_length=1, max_length=50_000, description="书面意见")


class OpinionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    activity_id: UUID
    person_id: UUID
    text: str
    revision: int = Field(description="1 when first submitted, one more for each revision")
    created_at: datetime
    updated_at: datetime
    version: int


class OpinionPage(BaseModel):
    items: list[OpinionRead]
    next_cursor: str | None = None
