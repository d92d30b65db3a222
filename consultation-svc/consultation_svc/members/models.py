"""The members projection, kept from member-svc's MemberSnapshot events (`consumers.py`)."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Boolean, Date, DateTime, Index, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base


class MemberProjection(Base):
    """A member record of a term (one person may hold one per term), as member-svc last announced it."""

    __tablename__ = "members"
    __table_args__ = (
        Index("ix_members_org_person", "org_id", "person_id"),
        Index("ix_members_committees", "committee_ids", postgresql_using="gin"),
    )

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID]
    org_id: Mapped[UUID]
    term_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
    sector_id: Mapped[UUID | None]
    party: Mapped[str] = mapped_column(String(100))
    is_standing: Mapped[bool] = mapped_column(Boolean)
    committee_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid))
    status: Mapped[str] = mapped_column(String(20))
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
