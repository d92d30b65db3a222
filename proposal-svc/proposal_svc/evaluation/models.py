"""The evaluation context's tables: each reply's evaluation window, the proposers' evaluations and
the units' completion reports."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class EvaluationWindow(Base):
    """A reply's evaluation window (rule 16): opened with the reply, closed at the end of `due_on`.
    The row is also the deadline (DESIGN.md §9): the window scanner claims it at `closes_at` and
    records `settled_at` once it has checked whether the proposal concludes."""

    __tablename__ = "evaluation_windows"
    __table_args__ = (
        Index("ix_evaluation_windows_due", "closes_at", postgresql_where=text("settled_at IS NULL")),
    )

    reply_id: Mapped[UUID] = mapped_column(ForeignKey("replies.id"), primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    due_on: Mapped[date] = mapped_column(Date)
    # Counted into a year the calendar did not know (docs/calendar.md): recomputed once it is entered.
    provisional: Mapped[bool]
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Evaluation(Base):
    """A proposer's rating of a reply (rule 16): once per reply and proposer."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("reply_id", "person_id", name="uq_evaluations_reply_id"),
        Index("ix_evaluations_proposal", "proposal_id", "evaluated_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    reply_id: Mapped[UUID] = mapped_column(ForeignKey("replies.id"))
    assignment_id: Mapped[UUID]
    unit_id: Mapped[UUID]
    person_id: Mapped[UUID]
    rating: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompletionReport(Base):
    """A unit's report that an open-class (B) reply's plan was carried out (rule 18): one per reply."""

    __tablename__ = "completion_reports"
    __table_args__ = (Index("ix_completion_reports_proposal", "proposal_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    reply_id: Mapped[UUID] = mapped_column(ForeignKey("replies.id"), unique=True)
    assignment_id: Mapped[UUID]
    unit_id: Mapped[UUID]
    report: Mapped[str] = mapped_column(Text)
    completed_on: Mapped[date] = mapped_column(Date)
    reported_by: Mapped[UUID | None]
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
