"""Directory tables of member-svc."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from member_svc.models import Base


class Term(Base):
    """A term (届) of an organization, normally five years."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("org_id", "number", name="uq_terms_org_number"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    number: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class PlenarySession(Base):
    """A plenary session (次会议) of a term, with its session-proposal window."""

    __tablename__ = "plenary_sessions"
    __table_args__ = (UniqueConstraint("term_id", "number", name="uq_plenary_sessions_term_number"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    term_id: Mapped[UUID] = mapped_column(ForeignKey("terms.id"))
    number: Mapped[int]
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    proposal_window_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    proposal_deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Sector(Base):
    """A sector (界别)."""

    __tablename__ = "sectors"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_sectors_org_name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(50))


class SectorOfficer(Base):
    """A sector's conveners (召集人, one of them first) and liaison officer (联络员)."""

    __tablename__ = "sector_officers"

    sector_id: Mapped[UUID] = mapped_column(ForeignKey("sectors.id"), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # first_convener | convener | liaison


class Committee(Base):
    """A special committee (专门委员会)."""

    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_committees_org_name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(50))


class Member(Base):
    """A person's membership in one term: sector, party, standing flag, position, status."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("term_id", "person_id", name="uq_members_term_person"),
        Index("ix_members_org_sector", "org_id", "sector_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    term_id: Mapped[UUID] = mapped_column(ForeignKey("terms.id"))
    person_id: Mapped[UUID] = mapped_column(ForeignKey("people.id"))
    sector_id: Mapped[UUID | None] = mapped_column(ForeignKey("sectors.id"))
    party: Mapped[str] = mapped_column(String(20))
    is_standing: Mapped[bool] = mapped_column(default=False)
    leadership_position: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # active | on_leave | resigned | revoked
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)


class MemberCommittee(Base):
    __tablename__ = "member_committees"

    member_id: Mapped[UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    committee_id: Mapped[UUID] = mapped_column(ForeignKey("committees.id"), primary_key=True)
    position: Mapped[str] = mapped_column(String(20))  # chair | vice_chair | member


class MemberStatusChange(Base):
    """Every change of a member's status, with who, when and why."""

    __tablename__ = "member_status_history"
    __table_args__ = (Index("ix_member_status_history_member", "member_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    member_id: Mapped[UUID] = mapped_column(ForeignKey("members.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Unit(Base):
    """A handling unit (承办单位): a government department or other body."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_units_org_name"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # government | party | court | other
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DirectoryPolicyRow(Base):
    """An organization's directory policy values (DirectoryPolicy), set by an admin."""

    __tablename__ = "directory_policies"

    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[UUID]
