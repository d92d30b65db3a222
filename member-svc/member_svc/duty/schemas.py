from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.pagination import Page
from cppcc_common.validation import BoundedDate, RequestModel
from member_svc.duty.domain import HeldStatus


class RecordRead(BaseModel):
    """A member's 成绩单 for one year."""

    person_id: UUID
    name: str
    sector_id: UUID | None
    is_standing: bool
    year: int
    categories: dict[str, Decimal]
    total: Decimal
    band: str
    rank_in_org: int
    rank_in_sector: int | None
    training_met: bool
    annual_report_filed: bool
    closed: bool


class RecordPage(Page[RecordRead]):
    """A page of the year's records, in rank order."""


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    occurred_on: date
    category: str
    rule: str
    points: Decimal
    source_type: str
    source_event_id: UUID
    source_object_id: UUID | None


class RecordWithEntries(RecordRead):
    entries: list[EntryRead]


class ScoringTableCreate(RequestModel):
    effective_from: BoundedDate
    values: dict[str, Any] = Field(description="DutyPolicy fields to override; unknown fields are refused")


class ScoringTableRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    effective_from: date
    values: dict[str, Any]
    created_at: datetime


class ScoringTablePage(Page[ScoringTableRead]):
    """A page of scoring tables, by the date they apply from."""


class Recomputed(BaseModel):
    year: int
    events: int


class AnnualReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class ClosedYearRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    person_id: UUID
    year: int
    total: Decimal
    closed_at: datetime


class SectorYearRead(BaseModel):
    sector_id: UUID
    name: str
    members: int
    activities: int
    outputs: int
    speeches: int
    opinions: int
    activities_met: bool
    outputs_met: bool
    met: bool


class HeldEntryRead(BaseModel):
    """An entry a late event gave for a closed year, held for staff to apply or dismiss."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    person_id: UUID
    year: int
    occurred_on: date
    category: str
    rule: str
    points: Decimal
    source_type: str
    source_event_id: UUID
    source_object_id: UUID | None
    held_at: datetime
    status: HeldStatus
    decided_at: datetime | None
    decided_by: UUID | None


class HeldEntryPage(Page[HeldEntryRead]):
    """A page of held entries, newest first."""


class ExitReviewAlertRead(BaseModel):
    """Rule 24: a member's unexcused absences in a term reached an exit-review threshold."""

    id: UUID
    person_id: UUID
    name: str
    term_id: UUID
    threshold: Literal["unexcused_plenary_absences", "unexcused_standing_committee_absences"]
    raised_at: datetime


class ExitReviewAlertPage(Page[ExitReviewAlertRead]):
    """A page of exit-review alerts, newest first."""


class SectorYearPage(Page[SectorYearRead]):
    """A page of the sectors' year against their targets, by sector name."""
