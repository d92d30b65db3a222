"""Request bodies and responses of the topic collection routes."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consultation_svc.plans.schemas import PlanParticipantsBody, Title, Year
from consultation_svc.topics.domain import TopicSourceKind, TopicStatus, TopicWindowStatus
from cppcc_common.validation import BoundedDatetime, CleanStr, RequestModel

# The texts' own limits are policy (topic_title_max_chars, topic_text_max_chars); these are the caps.
TopicTitle = Annotated[CleanStr, Field(min_length=1, max_length=500)]
TopicText = Annotated[CleanStr, Field(max_length=20000)]


class TopicWindowOpen(RequestModel):
    year: Year = Field(description="the plan year the topics are collected for")
    closes_at: BoundedDatetime = Field(description="when the window closes (proposals before this instant)")
    note: Annotated[CleanStr, Field(max_length=2000)] | None = Field(
        default=None, description="the call for topics as announced (征集通知)"
    )


class TopicWindowTime(RequestModel):
    closes_at: BoundedDatetime


class TopicWindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    org_id: UUID
    year: int
    status: TopicWindowStatus
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    note: str | None
    accepting: bool = Field(description="members may propose now")
    version: int


class TopicWindowPage(BaseModel):
    items: list[TopicWindowRead]
    next_cursor: str | None = None


class TopicBody(RequestModel):
    """议题名称、说明、理由与来源。A member gives `member` (their own), or proposes on behalf of a
    `sector`, `party` or `committee` and names it; staff record `party_committee` (党委点题),
    `government`, `public_call`, and a sector's, party's or committee's received by letter."""

    year: Year
    title: TopicTitle
    description: TopicText = Field(min_length=1)
    reason: TopicText | None = Field(default=None, description="why it should be consulted on")
    source_kind: TopicSourceKind
    source_name: Annotated[CleanStr, Field(max_length=200)] | None = Field(
        default=None,
        description="the sector, party, committee, department or channel, e.g. 经济界、民盟市委会",
    )
    source_id: UUID | None = Field(
        default=None,
        description="member-svc's sector or committee id: required when a member proposes on behalf "
        "of a sector or committee, who must belong to it",
    )


class TopicAcceptBody(RequestModel):
    """Accept into a new entry of the year's plan draft: the entry's form, time, participants and
    lead department; its topic and description default to the topic's."""

    plan_id: UUID
    topic: Title | None = Field(default=None, description="the entry's topic; the topic's title if omitted")
    description: Annotated[CleanStr, Field(max_length=5000)] | None = None
    form: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]
    planned_month: int | None = Field(default=None, ge=1, le=12)
    planned_on: date | None = None
    participants: PlanParticipantsBody
    lead_unit_id: UUID | None = None
    lead_department: Annotated[CleanStr, Field(max_length=200)] | None = None


class TopicDeclineBody(RequestModel):
    reason: Annotated[CleanStr, Field(min_length=1, max_length=2000)]


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    org_id: UUID
    year: int
    window_id: UUID | None
    title: str
    description: str
    reason: str | None
    source_kind: TopicSourceKind
    source_name: str | None
    source_id: UUID | None = None
    proposer_id: UUID | None
    status: TopicStatus
    decided_at: datetime | None
    decline_reason: str | None
    plan_id: UUID | None = Field(description="the plan version it was accepted into")
    entry_key: UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class TopicPage(BaseModel):
    items: list[TopicRead]
    next_cursor: str | None = None
