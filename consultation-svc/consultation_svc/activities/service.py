"""Activity use cases, each taking a Change."""

from datetime import datetime
from uuid import UUID

from consultation_svc.activities.domain import AttendanceMethod
from consultation_svc.activities.models import Attendance
from cppcc_common.change import Change


async def record_attendance(
    change: Change,
    activity_id: UUID,
    person_id: UUID,
    arrived_at: datetime,
    left_at: datetime | None,
    method: AttendanceMethod,
) -> Attendance:
    """Records (or corrects) an invitee's arrival and departure at an activity of the caller's
    organization; emits attendance_recorded when the activity is closed already (a correction).
    Used by staff marking attendance and by the QR check-in (participation)."""
    raise NotImplementedError
