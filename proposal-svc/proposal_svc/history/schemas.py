"""Responses of the timeline and the audit trail."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from proposal_svc.proposals.domain import Status


class TimelineStep(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str = Field(
        description="the proposal's own step (submit, file, …) or a unit's (unit_accept, unit_reply, …)"
    )
    label: str = Field(description="the step in the app's words (办理进度), e.g. 市住建局（主办）已接收")
    from_status: Status | None = Field(
        description="the proposal's status before its own step; null for a unit's step"
    )
    to_status: Status | None = Field(
        description="the proposal's status after its own step; null for a unit's step"
    )
    at: datetime
    note: str | None = Field(description="the step's note; reasons and co-handlers' views to the office only")
    actor_id: UUID | None = Field(
        description="who took the step: every actor for the office, else only proposers"
    )
    actor_name: str | None = Field(description="政协提案委员会 for the office's steps, seen by anyone else")
    unit_id: UUID | None = Field(description="the unit whose part the step is")
    unit_name: str | None


class Timeline(BaseModel):
    """Every step of a proposal, oldest first (bounded by its history: one page)."""

    items: list[TimelineStep]
    next_cursor: str | None = None


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    at: datetime
    actor_id: UUID | None = Field(description="who: a person or a client; null for the system (a scanner)")
    reason: str | None
    before: dict[str, Any] | None = Field(description="the corrected values before the step")
    after: dict[str, Any] | None = Field(description="the corrected values after the step")
    from_status: Status | None
    to_status: Status | None
    unit_id: UUID | None


class AuditTrail(BaseModel):
    """Every audited change of a proposal, oldest first (bounded: one page)."""

    items: list[AuditEntryRead]
    next_cursor: str | None = None
