from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import BoundedDate, RequestModel


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
