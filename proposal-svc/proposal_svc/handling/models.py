"""The handling context's tables: the units projection (from member-svc), assignments, the units'
communications with the proposer, replies and the audit of class corrections."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class Unit(Base):
    """A handling unit (承办单位) of an organization, as member-svc announces it."""

    __tablename__ = "units"

    unit_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(60))


class UnitUser(Base):
    """A person who works in the app for a unit."""

    __tablename__ = "unit_users"

    unit_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)


class Assignment(Base):
    """One unit's part in handling a proposal (rule 9), with its own machine (domain.ASSIGNMENTS)."""

    __tablename__ = "assignments"
    __table_args__ = (
        # A unit holds one open part of a proposal; a reassigned (closed) row may sit beside it.
        Index(
            "uq_assignments_open_unit",
            "proposal_id",
            "unit_id",
            unique=True,
            postgresql_where=text("status <> 'reassigned'"),
        ),
        Index("ix_assignments_unit", "unit_id", "proposal_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    org_id: Mapped[UUID]
    unit_id: Mapped[UUID]
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[UUID | None]
    # Lead and split units reply by this day (Asia/Shanghai); its deadline_notices are what the scanner claims.
    reply_due_on: Mapped[date | None] = mapped_column(Date)
    views_due_on: Mapped[date | None] = mapped_column(Date)  # a co-handler's views (rule 11)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reassignment_reason: Mapped[str | None] = mapped_column(Text)
    reassignment_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reassigned_to_id: Mapped[UUID | None]  # the assignment that took this part over
    views: Mapped[str | None] = mapped_column(Text)
    views_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    countersigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class Communication(Base):
    """A contact of a unit with the proposer (rule 13)."""

    __tablename__ = "communications"
    __table_args__ = (Index("ix_communications_assignment", "assignment_id", "recorded_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    assignment_id: Mapped[UUID] = mapped_column(ForeignKey("assignments.id"))
    unit_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(20))
    communicated_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reply(Base):
    """A unit's reply (答复, rule 15): one per lead or split assignment, two when re-handled (rule 17)."""

    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_proposal", "proposal_id", "replied_at"),
        Index(
            "ix_replies_assignment", "assignment_id", "replied_at"
        ),  # a re-handled part replies twice (0010)
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    assignment_id: Mapped[UUID] = mapped_column(ForeignKey("assignments.id"))
    unit_id: Mapped[UUID]
    letter: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(Text)  # the unit's responsible person who signed off
    result_class: Mapped[str] = mapped_column(String(20))
    replied_by: Mapped[UUID | None]
    replied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class ReplyLetter(Base):
    """A reply's letter to the proposers of a proposal merged into the replied one (rule 8: each
    proposer receives a reply): one per merged-in proposal, written with the reply."""

    __tablename__ = "reply_letters"

    reply_id: Mapped[UUID] = mapped_column(ForeignKey("replies.id"), primary_key=True)
    merged_proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    letter: Mapped[str] = mapped_column(Text)


class ReplyClassCorrection(Base):
    """The audit of a result class corrected by the office (rule 15): who, when, before, after, why."""

    __tablename__ = "reply_class_corrections"
    __table_args__ = (Index("ix_reply_class_corrections_reply", "reply_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    reply_id: Mapped[UUID] = mapped_column(ForeignKey("replies.id"))
    from_class: Mapped[str] = mapped_column(String(20))
    to_class: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeadlineNotice(Base):
    """One armed deadline of an assignment's reply (rule 12): a due-soon warning or the overdue, for
    one due date. The row is the deadline (DESIGN.md §9): the scanner claims it at `fire_at` and
    records `fired_at`; the key makes each fire at most once per assignment, due date and kind."""

    __tablename__ = "deadline_notices"
    __table_args__ = (Index("ix_deadline_notices_due", "fire_at", postgresql_where=text("fired_at IS NULL")),)

    assignment_id: Mapped[UUID] = mapped_column(ForeignKey("assignments.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)  # due_soon_<days> | overdue
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # fired: the event went out; void: the assignment had replied, moved on or a later due date
    outcome: Mapped[str | None] = mapped_column(String(20))


class ReplyExtension(Base):
    """An approved extension of a unit's reply due date (rule 12), kept as an audit row."""

    __tablename__ = "reply_extensions"
    __table_args__ = (Index("ix_reply_extensions_assignment", "assignment_id", "recorded_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    assignment_id: Mapped[UUID] = mapped_column(ForeignKey("assignments.id"))
    from_due_on: Mapped[date] = mapped_column(Date)
    to_due_on: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(Text)  # who approved (批准人)
    approved_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
