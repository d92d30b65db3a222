from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import BoundedDate, BoundedDatetime, PatchModel, RequestModel

Party = Literal["中共", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟", "无党派"]
Status = Literal["active", "on_leave", "resigned", "revoked"]
Position = Literal["chair", "vice_chair", "member"]
UnitKind = Literal["government", "party", "court", "procuratorate", "people_org", "enterprise", "other"]


class _In(RequestModel):
    """A request body: unknown fields, control characters and out-of-range dates are refused."""


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TermCreate(_In):
    number: int = Field(ge=1, le=99)
    starts_on: BoundedDate
    ends_on: BoundedDate


class TermRead(_Out):
    id: UUID
    number: int
    starts_on: date
    ends_on: date


class SessionCreate(_In):
    term_id: UUID
    number: int = Field(ge=1, le=20)
    opens_on: BoundedDate
    closes_on: BoundedDate
    proposal_window_opens_at: BoundedDatetime | None = Field(
        default=None, description="默认：开幕前 N 个自然月的同一日（本组织政策值，默认 3）"
    )
    proposal_deadline_at: BoundedDatetime


class PolicyValues(_In):
    """The organization's directory policy (rule 5's session-proposal window)."""

    session_window_months_before: int = Field(
        ge=0, le=12, description="会期提案征集自开幕前几个自然月开始（默认 3）"
    )


class SessionRead(_Out):
    id: UUID
    term_id: UUID
    number: int
    opens_on: date
    closes_on: date
    proposal_window_opens_at: datetime
    proposal_deadline_at: datetime


class OrganizationRead(_Out):
    id: UUID
    name: str
    level: str
    parent_id: UUID | None
    terms: list[TermRead] = []
    sessions: list[SessionRead] = []


class NamedCreate(_In):
    name: str = Field(min_length=1, max_length=50)


class NamedRead(_Out):
    id: UUID
    name: str


class NamedPage(BaseModel):
    items: list[NamedRead]
    next_cursor: str | None = None


class UnitCreate(_In):
    name: str = Field(min_length=1, max_length=100)
    kind: UnitKind = "government"


class UnitRead(_Out):
    id: UUID
    name: str
    kind: UnitKind


class UnitPage(BaseModel):
    items: list[UnitRead]
    next_cursor: str | None = None


class UnitUserCreate(_In):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$")


class PersonRef(_In):
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$")


class CommitteeSeat(_In):
    committee_id: UUID
    position: Position = "member"


class MemberCreate(_In):
    person: PersonRef
    term_id: UUID
    sector_id: UUID | None = None
    party: Party = "无党派"
    is_standing: bool = False
    leadership_position: str | None = Field(default=None, max_length=30)
    committees: list[CommitteeSeat] = Field(default_factory=list, max_length=10)


class MemberUpdate(PatchModel):
    """Fields left out stay as they are; sector and leadership position may be cleared with null."""

    sector_id: UUID | None
    party: Party
    is_standing: bool
    leadership_position: str | None = Field(max_length=30)
    committees: list[CommitteeSeat] = Field(max_length=10)


class StatusChange(_In):
    status: Status
    reason: str = Field(min_length=1, max_length=500)


class MemberRead(BaseModel):
    id: UUID
    person_id: UUID
    name: str
    phone: str | None
    term_id: UUID
    sector_id: UUID | None
    party: str
    is_standing: bool
    leadership_position: str | None
    committees: list[CommitteeSeat]
    status: Status
    version: int


class MemberPage(BaseModel):
    items: list[MemberRead]
    next_cursor: str | None = None


class StatusChangeRead(_Out):
    from_status: Status | None
    to_status: Status
    reason: str | None
    actor_id: UUID | None
    at: datetime


class StatusChangePage(BaseModel):
    items: list[StatusChangeRead]
    next_cursor: str | None = None


class SectorOfficers(_In):
    first_convener_id: UUID
    convener_ids: list[UUID] = Field(
        default_factory=list, max_length=1, description="第一召集人之外至多 1 位召集人"
    )
    liaison_id: UUID | None = None


class OfficerRead(BaseModel):
    person_id: UUID
    name: str
    role: Literal["first_convener", "convener", "liaison"]


class PartyRead(BaseModel):
    name: str
