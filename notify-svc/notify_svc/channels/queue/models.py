"""The push and SMS queue: one delivery per (event, person, category, channel, target), its attempts."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notify_svc.models import Base


class Delivery(Base):
    """One push to one device or one SMS to one person: written in the consumer's transaction with
    the inbox item (a redelivered event writes nothing new), sent by the worker when `next_attempt_at`
    is due (quiet hours set it to the window's end)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "source_event_id",
            "person_id",
            "category",
            "channel",
            "target",
            name="uq_deliveries_notice_target",
        ),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_deliveries_person", "person_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    source_event_id: Mapped[UUID]
    category: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))  # push, sms
    # push: the device's id (its token is read when sent: a removed device is never pushed to);
    # sms: "phone" (the number is read from the person's preferences when sent).
    target: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[UUID | None]
    # Which provider sends it: the device's vendor (apns, jpush, development) or "sms".
    route: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool]
    locale: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[UUID | None]
    status: Mapped[str] = mapped_column(String(20))  # pending, sent, failed, pruned, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When it was first allowed to go (after quiet hours), and when the worker next looks at it.
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    """One call of a provider for a delivery: its outcome, how long it took, what the vendor said."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_delivery", "delivery_id", "attempted_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    delivery_id: Mapped[UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    provider: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(500), default="")
    latency_ms: Mapped[int]
