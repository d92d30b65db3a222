"""Request bodies and responses of the plan routes."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consultation_svc.plans.domain import PlanAction, PlanParticipantScope, PlanStatus
from consultation_svc.plans.policy import PlanApprover
from cppcc_common.validation import CleanStr, PatchModel, RequestModel

Title = Annotated[CleanStr, Field(min_length=1, max_length=200)]
LongText = Annotated[CleanStr, Field(max_length=5000)]
Reason = Annotated[CleanStr, Field(min_length=1, max_length=2000)]
Year = Annotated[int, Field(ge=2000, le=2100, description="the plan's year")]


class PlanCreate(RequestModel):
    year: Year
    title: Title = Field(description="e.g. 政协XX市委员会2027年度协商工作计划")
    notes: LongText | None = Field(default=None, description="the plan's preamble (指导思想、总体安排)")


class PlanPatch(PatchModel):
    title: Title
    notes: LongText | None = None
    change_note: Reason | None = Field(default=None, description="a revision's reason (shown when announced)")


class PlanGroupBody(RequestModel):
    id: UUID | None = Field(default=None, description="member-svc's sector or committee id, when known")
    name: Annotated[CleanStr, Field(min_length=1, max_length=100)]


class PlanParticipantsBody(RequestModel):
    """出席协商活动的人员范围: all members, the standing members, some sectors or committees, or
    named members; `note` names who else is invited (officials, experts, public representatives)."""

    scope: PlanParticipantScope
    groups: list[PlanGroupBody] = Field(
        default_factory=list, max_length=100, description="sectors or committees"
    )
    member_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    note: Annotated[CleanStr, Field(max_length=1000)] | None = None


class PlanEntryBody(RequestModel):
    """协商议题、形式、时间安排、人员范围、牵头部门 (the seeds' five parts of an entry)."""

    topic: Title
    description: LongText | None = None
    form: Annotated[
        str, Field(pattern=r"^[a-z_]{1,40}$", description="a code of GET /api/v1/consultations/forms")
    ]
    planned_month: int | None = Field(default=None, ge=1, le=12)
    planned_on: date | None = Field(default=None, description="a date in the plan's year, when fixed")
    participants: PlanParticipantsBody
    lead_unit_id: UUID | None = Field(default=None, description="the lead department's unit id")
    lead_department: Annotated[CleanStr, Field(max_length=200)] | None = Field(
        default=None, description="the lead department's name (牵头部门), e.g. 市发展改革委、政协经济委"
    )


class PlanReasonBody(RequestModel):
    reason: Reason


class PlanApproveBody(RequestModel):
    record: Annotated[CleanStr, Field(min_length=1, max_length=500)] = Field(
        description="the approval's record, e.g. 经2027年1月8日主席会议审议、报市委同意"
    )


class PlanGroupRead(BaseModel):
    id: UUID | None
    name: str


class PlanParticipantsRead(BaseModel):
    scope: PlanParticipantScope
    groups: list[PlanGroupRead]
    member_ids: list[UUID]
    note: str | None


class PlanEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    entry_key: UUID = Field(description="the entry's identity across versions")
    position: int
    topic: str
    description: str | None
    form: str
    planned_month: int
    planned_on: date | None
    participants: PlanParticipantsRead
    lead_unit_id: UUID | None
    lead_department: str | None
    topic_id: UUID | None = Field(description="the collected topic accepted into this entry")


class PlanSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    org_id: UUID
    year: int
    version_no: int = Field(description="1 for the first plan of the year, 2… for each revision")
    status: PlanStatus
    title: str
    previous_id: UUID | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="the row's version (ETag)")


class PlanRead(PlanSummary):
    notes: str | None
    change_note: str | None
    submitted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None
    approved_at: datetime | None
    approval_record: str | None
    superseded_at: datetime | None
    superseded_by: UUID | None
    entries: list[PlanEntryRead]
    actions: list[PlanAction] = Field(description="what the plan's status allows next")


class PlanPage(BaseModel):
    items: list[PlanSummary]
    next_cursor: str | None = None


class PlanHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str = Field(description="create, or an action of the plan's lifecycle")
    from_status: PlanStatus | None
    to_status: PlanStatus
    actor_id: UUID | None
    note: str | None
    at: datetime


class PlanHistoryPage(BaseModel):
    items: list[PlanHistoryRead]
    next_cursor: str | None = None


class PlanPolicyValues(RequestModel):
    """本组织年度协商计划与议题征集规则 / the organization's plan and topic rule values."""

    approver: PlanApprover = Field(description="leader 主席会议成员审定 (default) | office 政协办公室审定")
    revision_needs_approval: bool = Field(description="发布后的修订版本须重新审定（默认 是）")
    max_entries: int = Field(ge=1, le=1000, description="计划条目上限（默认 200）")
    max_topics_per_member: int = Field(ge=1, le=100, description="每位委员每年度议题上限（默认 5）")
    topic_title_max_chars: int = Field(ge=10, le=500, description="议题名称最多字数（默认 100）")
    topic_text_max_chars: int = Field(ge=100, le=20000, description="议题说明最多字数（默认 3000）")
