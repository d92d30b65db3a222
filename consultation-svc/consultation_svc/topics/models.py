"""The topic context's tables: the collection windows and the topics with their sources."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base


class TopicWindow(Base):
    """The window in which members propose topics for a year's plan (征集协商议题): one per
    organization and year, opened and closed by staff; proposals are taken while it is open and
    before `closes_at`."""

    __tablename__ = "topic_windows"
    __table_args__ = (UniqueConstraint("org_id", "year"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    year: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[UUID | None]
    closed_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class Topic(Base):
    """A proposed consultation topic (协商议题) and its source, kept whatever becomes of it."""

    __tablename__ = "consultation_topics"
    __table_args__ = (
        Index("ix_consultation_topics_org", "org_id", "year", "created_at"),
        Index("ix_consultation_topics_proposer", "proposer_id", "year"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    year: Mapped[int] = mapped_column(SmallInteger)
    window_id: Mapped[UUID | None] = mapped_column(ForeignKey("topic_windows.id"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[UUID | None]  # member-svc's sector or committee id, when the source is one
    proposer_id: Mapped[UUID | None]  # the member who proposed it (None: recorded by staff)
    recorded_by: Mapped[UUID | None]
    status: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[UUID | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[UUID | None]
    entry_key: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class TopicHistory(Base):
    __tablename__ = "consultation_topic_history"
    __table_args__ = (Index("ix_consultation_topic_history_topic", "topic_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    topic_id: Mapped[UUID] = mapped_column(ForeignKey("consultation_topics.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[UUID | None]
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
