"""Duty-ledger tables: scoring tables per organization, ledger entries, exit-review alerts,
annual written reports and closed years."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from member_svc.db import Base


class ScoringTable(Base):
    """An organization's scoring table, in force from `effective_from` (DutyPolicy values)."""

    __tablename__ = "scoring_tables"
    __table_args__ = (UniqueConstraint("org_id", "effective_from", name="uq_scoring_tables_org_effective"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[UUID | None]


class LedgerEntry(Base):
    """One scored duty act of one person; linked to the event it came from (rule 23)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # Replaying or redelivering an event never adds points twice (rule 23).
        UniqueConstraint("source_event_id", "person_id", "rule", name="uq_ledger_entries_source"),
        Index("ix_ledger_entries_org_year_person", "org_id", "year", "person_id"),
        Index("ix_ledger_entries_person_occurred", "person_id", "occurred_on"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    year: Mapped[int]
    occurred_on: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(60))
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    source_event_id: Mapped[UUID]
    source_type: Mapped[str] = mapped_column(String(80))
    source_object_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExitReviewAlert(Base):
    """An exit-review alert raised once per member, term and threshold (rule 24)."""

    __tablename__ = "exit_review_alerts"
    __table_args__ = (
        UniqueConstraint("person_id", "term_id", "threshold", name="uq_exit_review_alerts_once"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    term_id: Mapped[UUID]
    threshold: Mapped[str] = mapped_column(String(40))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnnualReport(Base):
    """A standing member's written annual report (rule 26), uploaded as a file."""

    __tablename__ = "annual_reports"
    __table_args__ = (UniqueConstraint("person_id", "year", name="uq_annual_reports_person_year"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    year: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[UUID]


class ClosedYear(Base):
    """A member's closed duty year: its record is final (rule 26 gates closing)."""

    __tablename__ = "closed_years"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    total: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[UUID]


class DutyEvent(Base):
    """Every consumed duty event as received, so a year can be recomputed under a new scoring table."""

    __tablename__ = "duty_events"
    __table_args__ = (Index("ix_duty_events_org_occurred", "org_id", "occurred_on"),)

    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    type: Mapped[str] = mapped_column(String(80))
    occurred_on: Mapped[date] = mapped_column(Date)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)


class HeldEntry(Base):
    """An entry an event gave for a closed year: kept out of the ledger until staff decide.

    A closed year is final (DOMAIN.md §5): a late event never changes it by itself. Staff list the
    held entries and apply one (it joins the ledger and the closed total follows) or dismiss it.
    """

    __tablename__ = "held_entries"
    __table_args__ = (
        # Redelivering the late event holds its entries once.
        UniqueConstraint("source_event_id", "person_id", "rule", name="uq_held_entries_source"),
        Index("ix_held_entries_org_status_held", "org_id", "status", "held_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    year: Mapped[int]
    occurred_on: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(60))
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    source_event_id: Mapped[UUID]
    source_type: Mapped[str] = mapped_column(String(80))
    source_object_id: Mapped[UUID | None]
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # pending | applied | dismissed
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[UUID | None]
