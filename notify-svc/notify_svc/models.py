"""notify-svc's tables: the recipients projection and inbox items; plus the messaging tables."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cppcc_common.db import make_metadata
from cppcc_common.idempotency import add_idempotency_table
from cppcc_common.messaging_schema import add_messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)


class Recipient(Base):
    """Who can be told things: projected from member-svc's person events."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_org", "org_id"),)

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(50))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    unit_id: Mapped[UUID | None]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MemberRecord(Base):
    """A member record of a term (one person may hold one per term), as member-svc's member events
    last announced it: who the organization's current members are (an org-wide notice's audience)."""

    __tablename__ = "member_records"
    __table_args__ = (Index("ix_member_records_org", "org_id", "status"),)

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID]
    org_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(20))
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InboxItem(Base):
    """One message in one person's in-app inbox."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        Index("ix_inbox_items_person_created", "person_id", "created_at"),
        Index("ix_inbox_items_unread", "person_id", postgresql_where="read_at IS NULL"),
        Index("ix_inbox_items_person_seq", "person_id", "seq", unique=True),
        UniqueConstraint("person_id", "source_event_id", "category", name="uq_inbox_items_event"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[UUID | None]
    source_event_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The order items were written in: the live stream's event id (`Last-Event-ID` resumes after it).
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))


# Each context's tables register on this metadata when imported: the whole schema is declared here
# (what Alembic and the migrations test compare against).
from notify_svc.channels.queue import models as _queue_models  # noqa: E402,F401
from notify_svc.devices import models as _device_models  # noqa: E402,F401
from notify_svc.preferences import models as _preference_models  # noqa: E402,F401
from notify_svc.webhooks import models as _webhook_models  # noqa: E402,F401
