"""The public-opinion reports' tables: the report (its current text and its highest adoption and
instruction, rule 27), its history (every step and every edit, with before and after), and what the
office recorded on it: adoptions, forwards, leaders' instructions, feedback."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class OpinionReport(Base):
    __tablename__ = "opinion_reports"
    __table_args__ = (
        Index("ix_opinion_reports_org_status", "org_id", "status", "created_at"),
        Index("ix_opinion_reports_author", "author_id", "created_at"),
        # Rule 7: a not-filed proposal becomes one report, once.
        Index(
            "ux_opinion_reports_converted_from",
            "converted_from_proposal_id",
            unique=True,
            postgresql_where=text("converted_from_proposal_id IS NOT NULL"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    author_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    situation: Mapped[str] = mapped_column(Text)
    analysis: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    # Rule 7: the not-filed proposal this report was converted from (the proposal links back).
    converted_from_proposal_id: Mapped[UUID | None] = mapped_column(ForeignKey("proposals.id"))
    # Rule 27: the highest adoption (level, single or combined), when first adopted, and the
    # highest leader's instruction.
    adoption_level: Mapped[str | None] = mapped_column(String(20))
    adoption_mode: Mapped[str | None] = mapped_column(String(20))
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    instruction_level: Mapped[str | None] = mapped_column(String(20))
    not_adopted_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OpinionHistory(Base):
    """Every step of a report: who, when, from, to, why; an edit's text before and after."""

    __tablename__ = "opinion_history"
    __table_args__ = (Index("ix_opinion_history_report", "report_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    report_id: Mapped[UUID] = mapped_column(ForeignKey("opinion_reports.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[UUID | None]
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))


class OpinionAdoption(Base):
    """One adoption (采用) of a report: the level of the body that adopted it, single or combined."""

    __tablename__ = "opinion_adoptions"
    __table_args__ = (Index("ix_opinion_adoptions_report", "report_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    report_id: Mapped[UUID] = mapped_column(ForeignKey("opinion_reports.id"))
    level: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))
    adopted_by: Mapped[str] = mapped_column(Text)  # the body, e.g. 省政协办公厅
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[UUID | None]


class OpinionForward(Base):
    """A recipient the office forwarded (报送) the report to."""

    __tablename__ = "opinion_forwards"
    __table_args__ = (Index("ix_opinion_forwards_report", "report_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    report_id: Mapped[UUID] = mapped_column(ForeignKey("opinion_reports.id"))
    recipient_kind: Mapped[str] = mapped_column(String(30))
    recipient_name: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[UUID | None]


class OpinionInstruction(Base):
    """A leader's written instruction (批示) on the report, as the office recorded it."""

    __tablename__ = "opinion_instructions"
    __table_args__ = (Index("ix_opinion_instructions_report", "report_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    report_id: Mapped[UUID] = mapped_column(ForeignKey("opinion_reports.id"))
    level: Mapped[str] = mapped_column(String(20))
    leader: Mapped[str] = mapped_column(Text)  # name and position, e.g. 副省长 王某
    text: Mapped[str] = mapped_column(Text)
    instructed_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[UUID | None]


class OpinionFeedback(Base):
    """Feedback (反馈) received on the report from where it went."""

    __tablename__ = "opinion_feedback"
    __table_args__ = (Index("ix_opinion_feedback_report", "report_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    report_id: Mapped[UUID] = mapped_column(ForeignKey("opinion_reports.id"))
    source: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[UUID | None]


class OpinionPolicyRow(Base):
    """An organization's overrides of the report values (`opinions/policy.py` has the defaults)."""

    __tablename__ = "opinion_policies"

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
