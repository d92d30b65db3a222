"""Request bodies and responses of the outcome routes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from consultation_svc.outcomes.domain import Action, InstructionLevel, OutcomeKind, RecipientKind, Status
from cppcc_common.validation import BoundedDate, PatchModel, RequestModel

_KINDS = "minutes 会议纪要 | recommendation 建议案 | research_report 调研报告 | inspection_report 视察报告 | brief 协商专报"


class RecipientIn(RequestModel):
    kind: RecipientKind = Field(
        description="party_committee 党委 | government 政府 | department 部门 | other 其他"
    )
    name: str = Field(min_length=1, max_length=200, description="e.g. 中共某市委、某市人民政府、市住建局")
    unit_id: UUID | None = Field(
        default=None, description="a department's registered handling unit (its users then see the outcome)"
    )
    responsible: bool = Field(
        default=False, description="the responsible department whose feedback is due (one)"
    )


class OutcomeCreate(RequestModel):
    activity_id: UUID = Field(description="the consultation activity the outcome comes from")
    kind: OutcomeKind = Field(description=_KINDS)
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=200_000, description="正文 (required before sending)")
    recipients: list[RecipientIn] = Field(
        default_factory=list, max_length=50, description="报送对象, in order"
    )


class OutcomePatch(PatchModel):
    kind: OutcomeKind = Field(description=_KINDS)
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(max_length=200_000)
    recipients: list[RecipientIn] = Field(max_length=50)


class InstructionIn(RequestModel):
    level: InstructionLevel = Field(description="national | provincial | municipal | county | other")
    leader: str = Field(min_length=1, max_length=100, description="批示领导, e.g. 市委书记张某")
    text: str = Field(min_length=1, max_length=20_000, description="批示内容")
    instructed_on: BoundedDate = Field(description="批示日期: from the day it was sent, not after today")


class FeedbackIn(RequestModel):
    text: str = Field(min_length=1, max_length=50_000, description="反馈内容")
    received_on: BoundedDate = Field(
        description="the day of the feedback: from the day sent, not after today"
    )


class DueDateIn(RequestModel):
    feedback_due_on: BoundedDate = Field(description="the new due date (Asia/Shanghai), after the day sent")
    reason: str = Field(min_length=1, max_length=2000, description="调整理由 (audited)")


class FollowUpIn(RequestModel):
    note: str = Field(min_length=1, max_length=10_000, description="跟踪督办情况")


class RecipientRead(BaseModel):
    kind: RecipientKind
    name: str
    unit_id: UUID | None
    responsible: bool


class InstructionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    level: InstructionLevel
    leader: str
    text: str
    instructed_on: date
    recorded_at: datetime


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: UUID | None
    text: str
    received_on: date
    recorded_by_unit: bool = Field(description="recorded by the unit itself (else by the office)")
    recorded_at: datetime


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    note: str
    recorded_by: UUID | None
    recorded_at: datetime


class OutcomeAttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class OutcomeSummary(BaseModel):
    id: UUID
    org_id: UUID
    activity_id: UUID
    year: int
    kind: OutcomeKind
    title: str
    status: Status
    responsible_name: str | None
    responsible_unit_id: UUID | None
    sent_at: datetime | None
    feedback_due_on: date | None
    overdue: bool = Field(description="awaiting feedback past its due date (rule 22)")
    created_at: datetime
    version: int


class OutcomeRead(OutcomeSummary):
    text: str
    recipients: list[RecipientRead]
    instructions: list[InstructionRead]
    feedback: FeedbackRead | None
    follow_ups: list[FollowUpRead]
    attachments: list[OutcomeAttachmentRead]
    actions: list[Action] = Field(description="what may be done in this status (for which buttons to show)")


class OutcomePage(BaseModel):
    items: list[OutcomeSummary]
    next_cursor: str | None = None


class TrackingRow(BaseModel):
    """One outcome of the year-end tracking report."""

    outcome_id: UUID
    activity_id: UUID
    activity_title: str
    activity_date: date
    kind: OutcomeKind
    title: str
    status: Status
    recipients: list[str]
    responsible: str | None
    sent_on: date | None
    instructions: list[InstructionRead]
    feedback_due_on: date | None
    feedback: FeedbackRead | None
    days_overdue: int = Field(description="days past the due date, until the feedback or today")
    follow_ups: list[FollowUpRead]


class TrackingReport(BaseModel):
    """Every outcome of the organization's year (by the activity's date, Asia/Shanghai) with its state."""

    org_id: UUID
    year: int
    as_of: date
    total: int
    awaiting_feedback: int
    overdue: int
    feedback_received: int
    outcomes: list[TrackingRow]
