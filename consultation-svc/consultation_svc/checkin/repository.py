"""Every query of the check-in context."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.models import Attendance
from consultation_svc.checkin.models import CheckinScan


async def attendance_of(session: AsyncSession, activity_id: UUID, person_id: UUID) -> Attendance | None:
    query = select(Attendance).where(Attendance.activity_id == activity_id, Attendance.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def record_scan(session: AsyncSession, scan: CheckinScan) -> bool:
    """Keeps the scan; False when this person scanned this code already (nothing kept)."""
    values = {c.key: getattr(scan, c.key) for c in CheckinScan.__table__.columns}
    stmt = insert(CheckinScan).values(**values).on_conflict_do_nothing().returning(CheckinScan.id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None
