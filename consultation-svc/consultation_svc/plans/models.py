"""The plan context's tables: the annual plan's versions, their entries, the history of every
step, and the organization's plan policy."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base


class Plan(Base):
    """One version of an organization's annual consultation plan (年度协商计划). Version 1 is the
    first plan of the year; each revision of a published version is a new row (`previous_id`),
    so the old version stays readable. At most one unpublished version and one published
    (current) version per organization and year (the partial unique indexes)."""

    __tablename__ = "consultation_plans"
    __table_args__ = (
        UniqueConstraint("org_id", "year", "version_no"),
        Index(
            "uq_consultation_plans_open",
            "org_id",
            "year",
            unique=True,
            postgresql_where=text("status IN ('draft', 'submitted', 'approved')"),
        ),
        Index(
            "uq_consultation_plans_current",
            "org_id",
            "year",
            unique=True,
            postgresql_where=text("status = 'published'"),
        ),
        Index("ix_consultation_plans_org", "org_id", "year", "version_no"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    year: Mapped[int] = mapped_column(SmallInteger)
    version_no: Mapped[int] = mapped_column(SmallInteger)
    previous_id: Mapped[UUID | None] = mapped_column(ForeignKey("consultation_plans.id"))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    change_note: Mapped[str | None] = mapped_column(Text)  # why this version revises the previous one
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[UUID | None]
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[UUID | None]
    approval_record: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[UUID | None]
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[UUID | None]
    discarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class PlanEntry(Base):
    """An entry of a plan version: topic, form, when, who takes part, the lead department.
    `entry_key` is the entry's identity across versions (a revision copies it), so a new version
    says which entries it added, changed or removed."""

    __tablename__ = "consultation_plan_entries"
    __table_args__ = (
        UniqueConstraint("plan_id", "entry_key"),
        Index("ix_consultation_plan_entries_plan", "plan_id", "position"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("consultation_plans.id"))
    entry_key: Mapped[UUID]
    position: Mapped[int]
    topic: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    form: Mapped[str] = mapped_column(String(40))
    planned_month: Mapped[int] = mapped_column(SmallInteger)
    planned_on: Mapped[date | None] = mapped_column(Date)
    participants: Mapped[dict[str, Any]] = mapped_column(JSONB)
    lead_unit_id: Mapped[UUID | None]
    lead_department: Mapped[str | None] = mapped_column(Text)
    topic_id: Mapped[UUID | None]  # the collected topic accepted into this entry


class PlanHistory(Base):
    """Every step of a plan version: who, when, from, to, why."""

    __tablename__ = "consultation_plan_history"
    __table_args__ = (Index("ix_consultation_plan_history_plan", "plan_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[UUID] = mapped_column(ForeignKey("consultation_plans.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[UUID | None]
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class PlanPolicyRow(Base):
    """The organization's overrides of the plan policy (plans.policy.PlanPolicy)."""

    __tablename__ = "plan_policies"

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[UUID | None]
