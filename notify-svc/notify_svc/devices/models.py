from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notify_svc.models import Base


class Device(Base):
    """One app installation a person's pushes go to. A token belongs to one person at a time:
    registering it again (another person signed in on the phone) moves it."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("vendor", "token", name="uq_devices_vendor_token"),
        Index("ix_devices_person", "person_id", "registered_at"),
        Index("ix_devices_person_session", "person_id", "session_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    platform: Mapped[str] = mapped_column(String(20))
    vendor: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(100), default="")
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The sign-in session (member-svc's refresh-token family, the token's `sid`) it was registered
    # in: when that session ends the device is forgotten. None: registered with a token naming none.
    session_id: Mapped[UUID | None]
