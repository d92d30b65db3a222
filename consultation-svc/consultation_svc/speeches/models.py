"""Speeches and their history."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base

TS = DateTime(timezone=True)


class Speech(Base):
    """A member's speech at an activity: registered to speak (oral) or submitted in writing; staff
    mark it delivered (oral) or accepted (written), or decline it with a reason."""

    __tablename__ = "speeches"
    __table_args__ = (
        Index("ix_speeches_activity", "activity_id", "created_at"),
        # One live speech per person, activity and mode (a withdrawn one may be registered again).
        Index(
            "uq_speeches_live",
            "activity_id",
            "person_id",
            "mode",
            unique=True,
            postgresql_where="status <> 'withdrawn'",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    mode: Mapped[str] = mapped_column(String(10))  # oral | written (contracts.consultation.SpeechMode)
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(TS)
    decided_by: Mapped[UUID | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class SpeechHistory(Base):
    __tablename__ = "speech_history"
    __table_args__ = (Index("ix_speech_history_speech", "speech_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    speech_id: Mapped[UUID] = mapped_column(ForeignKey("speeches.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    actor: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(TS)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
