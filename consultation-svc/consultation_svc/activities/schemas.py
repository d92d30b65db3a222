"""Request bodies and responses of the activities context."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consultation_svc.activities.domain import AttendanceMethod, GuestKind, InvitedVia, LeaveStatus, Status
from consultation_svc.activities.policy import LeadTimeUnit
from cppcc_common.contracts.consultation import ActivityKind, InvitationAnswer
from cppcc_common.pagination import Page
from cppcc_common.validation import BoundedDatetime, PatchModel, RequestModel

Title = Annotated[str, Field(min_length=1, max_length=200, description="活动名称")]
Description = Annotated[str, Field(max_length=20000, description="活动内容说明")]
Venue = Annotated[str, Field(min_length=1, max_length=500, description="地点")]
OnlineLink = Annotated[
    str,
    Field(min_length=1, max_length=2000, pattern=r"^https?://\S+$", description="线上参会链接（http/https）"),
]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Form = Annotated[
    str, Field(min_length=1, max_length=40, description="协商形式代码（GET /api/v1/consultations/forms）")
]
Ids = Annotated[list[UUID], Field(max_length=2000)]


class ScheduleRequest(RequestModel):
    form: Form
    title: Title
    description: Description | None = None
    starts_at: BoundedDatetime
    ends_at: BoundedDatetime
    venue: Venue | None = None
    online_link: OnlineLink | None = None
    organizer_person_id: UUID | None = Field(default=None, description="组织者（个人）")
    organizer_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="组织者（部门）"
    )
    plan_entry_id: UUID | None = Field(default=None, description="年度协商计划中的条目")


class ActivityEdit(PatchModel):
    """Fields left out stay as they are; the optional ones may be cleared with null."""

    form: Form
    title: Title
    description: Description | None
    starts_at: BoundedDatetime
    ends_at: BoundedDatetime
    venue: Venue | None
    online_link: OnlineLink | None
    organizer_person_id: UUID | None
    organizer_name: str | None = Field(min_length=1, max_length=200)
    plan_entry_id: UUID | None


class Guest(RequestModel):
    name: str = Field(min_length=1, max_length=100, description="姓名")
    kind: GuestKind = Field(description="党政部门负责同志、专家学者、群众代表或其他")
    affiliation: str | None = Field(default=None, max_length=200, description="单位、职务")


class InviteRequest(RequestModel):
    """Members by list, sector, committee, standing members or all (current members of the
    organization on the activity's day), plus guests who are not members."""

    person_ids: Ids = Field(default_factory=list, description="按名单")
    sector_ids: Annotated[list[UUID], Field(max_length=100)] = Field(
        default_factory=list, description="按界别"
    )
    committee_ids: Annotated[list[UUID], Field(max_length=100)] = Field(
        default_factory=list, description="按专委会"
    )
    standing: bool = Field(default=False, description="全体常委")
    all: bool = Field(default=False, description="全体委员")
    guests: Annotated[list[Guest], Field(max_length=200)] = Field(
        default_factory=list, description="特邀人员"
    )


class LateReason(RequestModel):
    late_reason: Reason | None = Field(
        default=None, description="晚于规定时限发出时的理由（规则 21）；按时发出时不记录"
    )


class RescheduleRequest(RequestModel):
    starts_at: BoundedDatetime
    ends_at: BoundedDatetime
    venue: Venue | None = Field(default=None, description="省略则不变，null 则清除")
    online_link: OnlineLink | None = Field(default=None, description="省略则不变，null 则清除")
    reason: Reason


class CancelRequest(RequestModel):
    reason: Reason


class AnswerChoice(StrEnum):
    ATTEND = "attend"
    DECLINE = "decline"


class AnswerRequest(RequestModel):
    answer: AnswerChoice = Field(description="attend 参加；decline 不参加（请假请用 POST …/leave）")


class LeaveRequest(RequestModel):
    reason: Reason


class RefuseLeaveRequest(RequestModel):
    reason: Reason


class AttendanceWrite(RequestModel):
    arrived_at: BoundedDatetime
    left_at: BoundedDatetime | None = None


class ActivityRead(BaseModel):
    id: UUID
    org_id: UUID
    form: str
    kind: ActivityKind
    status: Status
    title: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_link: str | None
    organizer_person_id: UUID | None
    organizer_name: str | None
    plan_entry_id: UUID | None
    notice_issued_at: datetime | None
    notice_late_reason: str | None
    materials_published_at: datetime | None
    materials_late_reason: str | None
    reminded_at: datetime | None
    rescheduled_count: int
    reschedule_reason: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    my_answer: InvitationAnswer | None = Field(default=None, description="我的答复（受邀委员）")
    my_leave_status: LeaveStatus | None = Field(default=None, description="我的请假申请状态")

    model_config = ConfigDict(from_attributes=True)


ActivityPage = Page[ActivityRead]


class InvitationRead(BaseModel):
    id: UUID
    activity_id: UUID
    person_id: UUID | None
    name: str | None
    guest_kind: GuestKind | None
    guest_affiliation: str | None
    invited_via: InvitedVia
    invited_at: datetime
    answer: InvitationAnswer | None
    answered_at: datetime | None

    model_config = ConfigDict(from_attributes=True)


InvitationPage = Page[InvitationRead]


class InviteResult(BaseModel):
    added: int = Field(description="新增的参加人员数（已在名单中的不重复添加）")
    activity: ActivityRead


class LeaveRead(BaseModel):
    id: UUID
    activity_id: UUID
    person_id: UUID
    year: int
    reason: str
    status: LeaveStatus
    requested_at: datetime
    decided_by: UUID | None
    decided_at: datetime | None
    refusal_reason: str | None
    version: int

    model_config = ConfigDict(from_attributes=True)


LeavePage = Page[LeaveRead]


class AttendanceRead(BaseModel):
    id: UUID
    activity_id: UUID
    person_id: UUID
    arrived_at: datetime
    left_at: datetime | None
    method: AttendanceMethod
    recorded_by: UUID | None
    recorded_at: datetime
    version: int

    model_config = ConfigDict(from_attributes=True)


class HistoryRead(BaseModel):
    """One step of an activity: who (none for the system), when, the action, the statuses, the note."""

    id: UUID
    actor: UUID | None
    at: datetime
    action: str = Field(description="schedule 或状态机的动作（edit、invite、issue_notice …）")
    from_status: Status | None
    to_status: Status
    note: str | None

    model_config = ConfigDict(from_attributes=True)


HistoryPage = Page[HistoryRead]
AttendancePage = Page[AttendanceRead]


class PolicyRead(BaseModel):
    notice_lead_days: int
    materials_lead_days: int
    lead_time_unit: LeadTimeUnit
    reminder_hours_before: int
    leave_max_per_year: int
    close_after_hours: int
    attachment_max_bytes: int
    attachment_max_count: int
    attachment_types: list[str]
    version: int = Field(description="已保存设置的版本（0：均为默认值）")


class PolicyWrite(PatchModel):
    """The values to set; fields left out keep their stored or default value."""

    notice_lead_days: int = Field(ge=0, le=365)
    materials_lead_days: int = Field(ge=0, le=365)
    lead_time_unit: LeadTimeUnit
    reminder_hours_before: int = Field(ge=1, le=24 * 14)
    leave_max_per_year: int = Field(ge=0, le=366)
    close_after_hours: int = Field(ge=0, le=24 * 60)
    attachment_max_bytes: int = Field(ge=1, le=200 * 1024 * 1024)
    attachment_max_count: int = Field(ge=1, le=200)
    attachment_types: Annotated[
        list[Annotated[str, Field(min_length=3, max_length=200)]], Field(min_length=1, max_length=30)
    ]

    def values(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
