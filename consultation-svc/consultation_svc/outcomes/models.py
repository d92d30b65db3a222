"""The outcomes context's tables: the units projection (from member-svc), outcomes, their history,
leaders' instructions, the responsible department's feedback, follow-up notes and the feedback
deadlines the scanner claims (rule 22)."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base

TS = DateTime(timezone=True)


class Unit(Base):
    """A handling unit (承办单位) of an organization, as member-svc announces it: the departments an
    outcome may name as its responsible recipient."""

    __tablename__ = "units"

    unit_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(60))


class UnitUser(Base):
    """A person who works in the app for a unit (display; the token's `unit` claim authorizes)."""

    __tablename__ = "unit_users"

    unit_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)


class Outcome(Base):
    """An outcome of a consultation activity (domain.LIFECYCLE)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        Index("ix_outcomes_org_year", "org_id", "year", "created_at"),
        Index("ix_outcomes_activity", "activity_id", "created_at"),
        Index(
            "ix_outcomes_unit",
            "responsible_unit_id",
            postgresql_where=text("responsible_unit_id IS NOT NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id"))
    # The activity's year in Asia/Shanghai: the year-end tracking report's year.
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # [{kind, name, unit_id, responsible}] in the order sent; the responsible one also below.
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    responsible_unit_id: Mapped[UUID | None]
    responsible_name: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(TS)
    feedback_due_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class OutcomeHistory(Base):
    """Every step of an outcome: who, when, from, to, which action, the note."""

    __tablename__ = "outcome_history"
    __table_args__ = (Index("ix_outcome_history_outcome", "outcome_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    actor: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(TS)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class Instruction(Base):
    """A leader's written instruction (批示) on an outcome."""

    __tablename__ = "outcome_instructions"
    __table_args__ = (Index("ix_outcome_instructions_outcome", "outcome_id", "instructed_on"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(20))
    leader: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    instructed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(TS)


class Feedback(Base):
    """The responsible department's feedback (rule 22): one per outcome, recorded by the office or
    by the unit itself."""

    __tablename__ = "outcome_feedback"

    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[UUID | None]
    text: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[UUID | None]
    recorded_by_unit: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(TS)


class FollowUp(Base):
    """The office's follow-up note (跟踪督办) on an outcome."""

    __tablename__ = "outcome_follow_ups"
    __table_args__ = (Index("ix_outcome_follow_ups_outcome", "outcome_id", "recorded_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(TS)


class FeedbackDeadline(Base):
    """One armed feedback deadline of an outcome (rule 22): the row is the deadline (DESIGN.md §9).
    The scanner claims it at `fire_at` while `result` is empty and records `fired`; the key makes
    the overdue fire at most once per outcome and due date. `void`: the feedback came, or the date
    moved (armed again if the date comes back, unless it fired)."""

    __tablename__ = "outcome_feedback_deadlines"
    __table_args__ = (
        Index("ix_outcome_feedback_deadlines_due", "fire_at", postgresql_where=text("result IS NULL")),
    )

    outcome_id: Mapped[UUID] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    fire_at: Mapped[datetime] = mapped_column(TS)
    fired_at: Mapped[datetime | None] = mapped_column(TS)
    result: Mapped[str | None] = mapped_column(String(10))
