"""An activity, its invitations, leave requests, attendances, history, and the organization's
consultation policy values."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base

TS = DateTime(timezone=True)


class Activity(Base):
    """A consultation activity of one form (forms.py) and the kind the duty ledger scores it as."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_org_starts", "org_id", "starts_at"),
        Index("ix_activities_remind_at", "remind_at", postgresql_where="remind_at IS NOT NULL"),
        Index(
            "ix_activities_checkin_opens_at",
            "checkin_opens_at",
            postgresql_where="checkin_opens_at IS NOT NULL",
        ),
        Index("ix_activities_open_ends", "ends_at", postgresql_where="status = 'notified'"),
        Index("ix_activities_close_at", "close_at", postgresql_where="close_at IS NOT NULL"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    form: Mapped[str] = mapped_column(String(40))  # a code of plans/forms.py
    kind: Mapped[str] = mapped_column(String(30))  # cppcc_common.contracts.consultation.ActivityKind
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(TS)
    ends_at: Mapped[datetime] = mapped_column(TS)
    venue: Mapped[str | None] = mapped_column(Text)
    online_link: Mapped[str | None] = mapped_column(Text)
    # The organizer: a person (staff, a committee's chair …) or an office by name, or both.
    organizer_person_id: Mapped[UUID | None]
    organizer_name: Mapped[str | None] = mapped_column(Text)
    # An entry of the annual plan (plans context; no foreign key: plans are another context's).
    plan_entry_id: Mapped[UUID | None]
    # Rule 21: when the notice and the materials went out, and why late when they were.
    notice_issued_at: Mapped[datetime | None] = mapped_column(TS)
    notice_late_reason: Mapped[str | None] = mapped_column(Text)
    materials_published_at: Mapped[datetime | None] = mapped_column(TS)
    materials_late_reason: Mapped[str | None] = mapped_column(Text)
    # The day-before reminder (scanner): due at, cleared once sent; set again by a reschedule.
    remind_at: Mapped[datetime | None] = mapped_column(TS)
    reminded_at: Mapped[datetime | None] = mapped_column(TS)
    # Check-in opening (scanner): due at, cleared once told; set again by a reschedule.
    checkin_opens_at: Mapped[datetime | None] = mapped_column(TS)
    checkin_opened_at: Mapped[datetime | None] = mapped_column(TS)
    # When the scanner closes a notified activity (its end plus the policy's hours); None once closed.
    close_at: Mapped[datetime | None] = mapped_column(TS)
    rescheduled_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    reschedule_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(TS)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class Invitation(Base):
    """An invitee of an activity: a member (`person_id`) or a guest who is not one (an official, an
    expert, a public representative: `guest_name`, `guest_kind`), and their answer."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        Index("ix_invitations_person", "person_id", "activity_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID | None]
    name: Mapped[str | None] = mapped_column(Text)  # the member's name when invited, or the guest's
    guest_kind: Mapped[str | None] = mapped_column(String(30))  # official | expert | public_representative
    guest_affiliation: Mapped[str | None] = mapped_column(Text)
    # How the invitee came in: list, sector, committee, standing, all, guest.
    invited_via: Mapped[str] = mapped_column(String(20))
    invited_at: Mapped[datetime] = mapped_column(TS)
    answer: Mapped[str | None] = mapped_column(String(20))  # attend | decline | leave
    answered_at: Mapped[datetime | None] = mapped_column(TS)
    # Whether the close already sent this invitee's attendance or absence (once per close).
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(TS)


class Leave(Base):
    """A leave request (请假) for one activity: approved or refused by the office (rule 24), counted
    against the member's yearly limit (policy) in the activity's year (Asia/Shanghai)."""

    __tablename__ = "leaves"
    __table_args__ = (
        UniqueConstraint("activity_id", "person_id"),
        Index("ix_leaves_org_person_year", "org_id", "person_id", "year"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    invitation_id: Mapped[UUID] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    year: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # requested | approved | refused
    requested_at: Mapped[datetime] = mapped_column(TS)
    decided_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None] = mapped_column(TS)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)


class Attendance(Base):
    """An invitee's presence: arrival and departure, by QR check-in or marked by staff."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    arrived_at: Mapped[datetime] = mapped_column(TS)
    left_at: Mapped[datetime | None] = mapped_column(TS)
    method: Mapped[str] = mapped_column(String(10))  # qr | staff
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)


class ActivityHistory(Base):
    """Every transition of an activity: who, when, from, to, which action, the note."""

    __tablename__ = "activity_history"
    __table_args__ = (Index("ix_activity_history_activity", "activity_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    actor: Mapped[UUID | None]
    at: Mapped[datetime] = mapped_column(TS)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class ConsultationPolicyRow(Base):
    """An organization's stored consultation rule values (policy.py's defaults for the rest)."""

    __tablename__ = "consultation_policies"

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_by: Mapped[UUID | None]
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(default=1)
