"""Request bodies and responses of the online deliberation routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from consultation_svc.deliberation.domain import Phase, PostStatus
from cppcc_common.validation import BoundedDatetime, RequestModel


class DeliberationWrite(RequestModel):
    topic: str = Field(min_length=1, max_length=20_000, description="议题及说明")
    opens_at: BoundedDatetime
    closes_at: BoundedDatetime


class DeliberationRead(BaseModel):
    activity_id: UUID
    topic: str
    opens_at: datetime
    closes_at: datetime
    phase: Phase
    visible_posts: int
    hidden_posts: int
    summary: str | None
    summarized_at: datetime | None
    version: int


class PostWrite(RequestModel):
    text: str = Field(min_length=1, max_length=10_000)
    reply_to: UUID | None = Field(default=None, description="the post this one answers")


class PostHide(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="屏蔽理由")


class SummaryWrite(RequestModel):
    summary: str = Field(min_length=1, max_length=50_000, description="议政综述")


class PostRead(BaseModel):
    id: UUID
    activity_id: UUID
    person_id: UUID
    reply_to: UUID | None
    status: PostStatus
    text: str | None = Field(description="null for a hidden post, except to the office")
    hidden_reason: str | None
    hidden_at: datetime | None
    created_at: datetime
    version: int


class PostPage(BaseModel):
    items: list[PostRead]
    next_cursor: str | None = None
