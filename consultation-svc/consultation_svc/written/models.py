"""A written consultation (one per activity of form `written`) and its opinions."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base

TS = DateTime(timezone=True)


class WrittenConsultation(Base):
    """The document out for opinions (its text here; files are the activity's materials) and the
    due date after which no opinion is taken."""

    __tablename__ = "written_consultations"

    activity_id: Mapped[UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[UUID]
    document: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class WrittenOpinion(Base):
    """An invitee's one opinion, revised in place until the due date (`revision` counts them)."""

    __tablename__ = "written_opinions"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        Index("ix_written_opinions_activity", "activity_id", "created_at", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(
        ForeignKey("written_consultations.activity_id", ondelete="CASCADE")
    )
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    text: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)
