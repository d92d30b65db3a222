"""Every accepted scan of a check-in code: who scanned which code (its window) of which activity."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consultation_svc.models import Base


class CheckinScan(Base):
    """One person's scan of one code (window) of an activity: a repeat of the same code by the same
    person is recognised (not a departure), and the scans are the audit trail of the attendance."""

    __tablename__ = "checkin_scans"
    __table_args__ = (UniqueConstraint("activity_id", "person_id", "code_window"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    activity_id: Mapped[UUID] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    org_id: Mapped[UUID]
    person_id: Mapped[UUID]
    code_window: Mapped[int] = mapped_column(BigInteger)  # which rotation of the code was scanned
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    effect: Mapped[str] = mapped_column(String(20))  # arrival | departure
