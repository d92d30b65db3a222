"""A member's calendar feed secret: only its SHA-256 is kept."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base


class CalendarFeed(Base):
    """One feed per person; rotating replaces the hash, revoking deletes the row (the link is 404)."""

    __tablename__ = "calendar_feeds"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
