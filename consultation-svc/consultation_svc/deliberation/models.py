"""An online deliberation (one per activity of form `online`) and its posts."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base

TS = DateTime(timezone=True)


class Deliberation(Base):
    """The thread's topic and window; the summary staff write once it closed."""

    __tablename__ = "deliberations"

    activity_id: Mapped[UUID] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[UUID]
    topic: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(TS)
    closes_at: Mapped[datetime] = mapped_column(TS)
    summary: Mapped[str | None] = mapped_column(Text)
    summarized_by: Mapped[UUID | None]
    summarized_at: Mapped[datetime | None] = mapped_column(TS)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class DeliberationPost(Base):
    """A post (or a reply to one) of an invitee; hidden by staff with a reason, never deleted."""

    __tablename__ = "deliberation_posts"
    __table_args__ = (Index("ix_deliberation_posts_thread", "activity_id", "created_at", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("deliberations.activity_id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    reply_to: Mapped[UUID | None] = mapped_column(ForeignKey("deliberation_posts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # visible | hidden
    hidden_by: Mapped[UUID | None]
    hidden_at: Mapped[datetime | None] = mapped_column(TS)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)
