"""Check-in use cases: the venue's code for the office, an invitee's scan."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities import service as activities
from consultation_svc.activities.domain import AttendanceMethod
from consultation_svc.checkin import domain, repository
from consultation_svc.checkin.domain import Code, Effect
from consultation_svc.checkin.models import CheckinScan
from consultation_svc.participation import access
from consultation_svc.participation import repository as participation
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.ids import new_id


@dataclass(frozen=True)
class VenueCode:
    activity_id: UUID
    code: Code
    window: domain.Window


@dataclass(frozen=True)
class Scanned:
    activity_id: UUID
    person_id: UUID
    effect: Effect
    arrived_at: datetime | None
    left_at: datetime | None


async def venue_code(
    session: AsyncSession, principal: Principal, activity_id: UUID, key: bytes, now: datetime
) -> VenueCode:
    """The current code of an open activity for the venue screen (the office only)."""
    seen = await access.see(session, principal, activity_id)
    access.check_open(seen.activity)
    policy = await participation.policy_for(session, seen.activity.org_id)
    window = domain.checkin_window(seen.activity.starts_at, seen.activity.ends_at, policy)
    return VenueCode(activity_id, domain.issue(key, activity_id, now, policy), window)


async def scan(change: Change, activity_id: UUID, token: str, key: bytes) -> Scanned:
    """An invitee's scan of the venue code: arrival, departure, or nothing for the same code again.
    The attendance is the caller's own, written by the activities context (`record_attendance`)."""
    person = change.person
    # FOR UPDATE: record_attendance takes the activity's lock; scans of one activity run one by one.
    seen = await access.as_invitee(change.session, person, activity_id, exclusive=True)
    activity = seen.activity
    access.check_open(activity)
    policy = await participation.policy_for(change.session, activity.org_id)
    code = domain.read(key, token, activity_id, change.now, policy)
    domain.check_window(domain.checkin_window(activity.starts_at, activity.ends_at, policy), change.now)
    attendance = await repository.attendance_of(change.session, activity_id, person.sub)
    arrived_at = attendance.arrived_at if attendance is not None else None
    fresh = CheckinScan(
        id=new_id(),
        activity_id=activity_id,
        org_id=activity.org_id,
        person_id=person.sub,
        code_window=code.window,
        scanned_at=change.now,
        effect=domain.effect_of(arrived_at, scanned_before=False),
    )
    effect = domain.effect_of(
        arrived_at, scanned_before=not await repository.record_scan(change.session, fresh)
    )
    if effect is Effect.REPEAT:
        left_at = attendance.left_at if attendance is not None else None
        return Scanned(activity_id, person.sub, effect, arrived_at, left_at)
    arrival = change.now if arrived_at is None else arrived_at
    left_at = change.now if effect is Effect.DEPARTURE else None
    row = await activities.record_attendance(
        change, activity_id, person.sub, arrival, left_at, AttendanceMethod.QR
    )
    return Scanned(activity_id, person.sub, effect, row.arrived_at, row.left_at)
