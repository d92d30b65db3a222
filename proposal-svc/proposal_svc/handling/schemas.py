"""Request bodies and responses of the handling routes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import BoundedDate, RequestModel
from proposal_svc.handling.domain import AssignmentStatus, CommunicationKind, Role
from proposal_svc.proposals.domain import Status


class AssignRequest(RequestModel):
    """Rule 9: one lead unit with co-handlers (主办 + 会办), or split handling (分办) among two or more."""

    lead_unit_id: UUID | None = Field(default=None, description="主办单位")
    cohandler_unit_ids: list[UUID] = Field(default_factory=list, max_length=20, description="会办单位")
    split_unit_ids: list[UUID] = Field(
        default_factory=list, max_length=20, description="分办单位 (two or more)"
    )


class ReassignmentRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="申请调整的理由 (required)")


class ReassignRequest(RequestModel):
    """The office grants a unit's request: the part moves to `unit_id` (rule 10)."""

    unit_id: UUID = Field(description="the unit that takes the part over")


class RefuseReassignment(RequestModel):
    """The office refuses a unit's request: the unit keeps its part."""

    note: str | None = Field(default=None, max_length=2000)


class ViewsRequest(RequestModel):
    views: str = Field(min_length=1, max_length=20000, description="会办意见, sent to the lead unit")


class CommunicationRequest(RequestModel):
    kind: CommunicationKind = Field(description="visit 走访 | meeting 座谈 | phone 电话 | email 邮件")
    communicated_on: BoundedDate = Field(description="the day of the contact, not after today")
    summary: str = Field(min_length=1, max_length=5000)


class MergedLetter(RequestModel):
    """Rule 8: the reply's letter to the proposers of one proposal merged into this one."""

    merged_proposal_id: UUID
    letter: str = Field(min_length=1, max_length=50000, description="答复函正文 to that proposal's proposers")


class ReplyRequest(RequestModel):
    letter: str = Field(min_length=1, max_length=50000, description="答复函正文")
    merged_letters: list[MergedLetter] = Field(
        default_factory=list,
        max_length=200,
        description="one letter per proposal merged into this one (rule 8); required when there are any",
    )
    signed_by: str = Field(min_length=1, max_length=100, description="the unit's responsible person (签发人)")
    result_class: str = Field(
        min_length=1, max_length=20, description="one of the organization's reply classes"
    )


class ClassCorrection(RequestModel):
    """The office corrects a reply's result class (rule 15): both fields required."""

    result_class: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=2000, description="why the office corrects it (audited)")


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    proposal_id: UUID
    unit_id: UUID
    role: Role
    status: AssignmentStatus
    assigned_at: datetime
    reply_due_on: date | None
    views_due_on: date | None
    accepted_at: datetime | None
    reassignment_reason: str | None
    reassignment_requested_at: datetime | None
    reassigned_to_id: UUID | None
    views: str | None
    views_sent_at: datetime | None
    countersigned_at: datetime | None
    replied_at: datetime | None
    version: int


class Handling(BaseModel):
    """A proposal's assignments as the caller may see them (a unit: its own)."""

    proposal_id: UUID
    proposal_status: Status
    proposal_version: int
    assignments: list[AssignmentRead]


class CommunicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    assignment_id: UUID
    unit_id: UUID
    kind: CommunicationKind
    communicated_on: date
    summary: str
    recorded_at: datetime


class CommunicationPage(BaseModel):
    items: list[CommunicationRead]
    next_cursor: str | None = None


class ClassCorrectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_class: str
    to_class: str
    reason: str
    actor_id: UUID | None
    at: datetime


class MergedLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    merged_proposal_id: UUID
    letter: str


class ReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    assignment_id: UUID
    unit_id: UUID
    letter: str
    signed_by: str
    result_class: str
    replied_at: datetime
    version: int
    merged_letters: list[MergedLetterRead] = Field(
        default_factory=list, description="the letters to the proposers of the proposals merged in (rule 8)"
    )
    corrections: list[ClassCorrectionRead] = Field(default_factory=list, description="the office only")


class ExtensionRequest(RequestModel):
    """Rule 12: the office records an approved extension of a unit's reply due date (all required)."""

    reply_due_on: BoundedDate = Field(
        description="the new due date (Asia/Shanghai), later, within the maximum"
    )
    approved_by: str = Field(min_length=1, max_length=100, description="批准人")
    approved_on: BoundedDate = Field(description="批准日期, not after today")
    reason: str = Field(min_length=1, max_length=2000, description="延期理由")


class ExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    assignment_id: UUID
    from_due_on: date
    to_due_on: date
    approved_by: str
    approved_on: date
    reason: str
    recorded_by: UUID | None
    recorded_at: datetime
