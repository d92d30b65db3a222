"""Responses of the calendar routes."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from consultation_svc.activities.domain import Status


class Answer(StrEnum):
    ATTEND = "attend"
    DECLINE = "decline"
    LEAVE = "leave"


class CalendarEntry(BaseModel):
    activity_id: UUID
    title: str
    form: str
    status: Status
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_link: str | None
    answer: Answer | None = Field(description="my answer, or null while unanswered")


class CalendarPage(BaseModel):
    items: list[CalendarEntry]
    next_cursor: str | None = None


class FeedState(BaseModel):
    """Whether I have a calendar link (its secret is never shown again)."""

    active: bool
    created_at: datetime | None
    rotated_at: datetime | None


class FeedLink(BaseModel):
    """A new secret link: shown this once; subscribe to it in a calendar app."""

    path: str = Field(description="the feed's path at the gateway (prefix it with the app's host)")
    secret: str
    created_at: datetime
    rotated_at: datetime
