"""The activities' deadline scanners (cppcc_common.scanner, DESIGN.md §9): the day-before reminder,
the check-in opening and the close after the activity ended. Each claims its due rows FOR UPDATE
SKIP LOCKED and moves them through the activity's one transition function as a system action, so
each fires exactly once however many replicas scan; a reschedule re-arms all three."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, exists
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities import service
from consultation_svc.activities.domain import LeaveStatus, Status
from consultation_svc.activities.models import Activity, Leave
from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner, due_rows

if TYPE_CHECKING:
    from cppcc_common.app import Runtime, ScannerFactory

_TABLE: Table = Activity.__table__  # type: ignore[assignment]  # a mapped class's table is a Table


class Reminders(DeadlineScanner):
    """`reminder_due` the policy's hours before a notified activity starts, once per start time."""

    name = "activity-reminders"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        query = due_rows(_TABLE, _TABLE.c.remind_at, now, limit, _TABLE.c.status == Status.NOTIFIED)
        return list((await session.execute(query)).all())

    async def fire(self, change: Change, row: Any) -> None:
        await service.remind(change, row.id)


class CheckinOpenings(DeadlineScanner):
    """`checkin_opened` the participation policy's minutes before a notified activity starts, once
    per start time: the invitees still expected are told, urgently, to scan the venue's code."""

    name = "activity-checkin-openings"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        query = due_rows(_TABLE, _TABLE.c.checkin_opens_at, now, limit, _TABLE.c.status == Status.NOTIFIED)
        return list((await session.execute(query)).all())

    async def fire(self, change: Change, row: Any) -> None:
        await service.open_checkin(change, row.id)


class Closings(DeadlineScanner):
    """Closes a notified activity the policy's hours after its end (rules 24, 25: attendance and
    absences go to the duty ledger), unless leave requests still wait for the office's decision."""

    name = "activity-closings"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        pending = exists().where(Leave.activity_id == _TABLE.c.id, Leave.status == LeaveStatus.REQUESTED)
        query = due_rows(_TABLE, _TABLE.c.close_at, now, limit, _TABLE.c.status == Status.NOTIFIED, ~pending)
        return list((await session.execute(query)).all())

    async def fire(self, change: Change, row: Any) -> None:
        await service.close(change, row.id, None)


def _at_the_interval(kind: type[DeadlineScanner]) -> "ScannerFactory":
    """The factory `create_service_app` calls: the scanner on the runtime's sessions and clock,
    every `scanner_interval_seconds`."""

    def build(runtime: "Runtime") -> DeadlineScanner:
        settings = runtime.settings
        return kind(
            runtime.sessionmaker,
            runtime.clock,
            interval=settings.scanner_interval_seconds,
            source=settings.source,
        )

    return build


reminders = _at_the_interval(Reminders)
checkin_openings = _at_the_interval(CheckinOpenings)
closings = _at_the_interval(Closings)
