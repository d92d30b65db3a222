"""Request bodies and responses of the evaluation routes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import BoundedDate, RequestModel
from proposal_svc.proposals.domain import Status


class EvaluationRequest(RequestModel):
    """Rule 16: a rating code of the organization's options (default satisfied 满意 /
    basically_satisfied 基本满意 / dissatisfied 不满意) and an optional comment."""

    rating: str = Field(min_length=1, max_length=30, description="one of the organization's evaluations")
    comment: str | None = Field(default=None, max_length=2000, description="评价意见 (optional)")


class CompletionReportRequest(RequestModel):
    """Rule 18: what the unit completed of an open-class (B) reply's plan, and when."""

    report: str = Field(min_length=1, max_length=20000, description="办结情况")
    completed_on: BoundedDate = Field(description="the day it was completed, not after today")


class EvaluationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    reply_id: UUID
    unit_id: UUID
    person_id: UUID
    rating: str
    comment: str | None
    evaluated_at: datetime


class EvaluationResult(EvaluationRead):
    proposal_status: Status = Field(description="replied, rehandling (rule 17) or concluded")


class CompletionReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    reply_id: UUID
    assignment_id: UUID
    unit_id: UUID
    report: str
    completed_on: date
    reported_at: datetime


class CompletionReportResult(CompletionReportRead):
    proposal_status: Status = Field(description="replied, or concluded (rule 18)")


class ReplyEvaluations(BaseModel):
    """A reply's evaluation window, its evaluations and its completion report."""

    reply_id: UUID
    unit_id: UUID
    result_class: str
    due_on: date | None = Field(description="the window's last working day (Asia/Shanghai)")
    provisional: bool | None = Field(description="counted into a year the calendar does not know yet")
    closes_at: datetime | None
    evaluations: list[EvaluationRead]
    completion_report: CompletionReportRead | None
