"""Every query of the activities context, `readable(principal)` among them (rule 28)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, text, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.domain import LeaveStatus
from consultation_svc.activities.models import (
    Activity,
    ActivityHistory,
    Attendance,
    ConsultationPolicyRow,
    Invitation,
    Leave,
)
from consultation_svc.activities.policy import ConsultationPolicy
from cppcc_common.auth import Principal

CONSULTATION_SCOPE = "consultation"


def sees_organization_activities(principal: Principal) -> bool:
    """The consultation office (staff with the `consultation` scope) and the leaders see every
    activity of their organization (rule 28)."""
    return principal.has_role("leader") or (
        principal.has_role("staff") and principal.has_scope(CONSULTATION_SCOPE)
    )


def readable(principal: Principal) -> ColumnElement[bool]:
    """The activities `principal` may read (rule 28): nothing of another organization; the office
    and the leaders all of theirs; a member those they are invited to, once the notice went out."""
    office = true() if sees_organization_activities(principal) else false()
    invited = exists().where(Invitation.activity_id == Activity.id, Invitation.person_id == principal.sub)
    member = true() if principal.has_role("member") else false()
    return and_(
        Activity.org_id == principal.org,
        or_(office, and_(member, Activity.notice_issued_at.is_not(None), invited)),
    )


async def get_readable(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, lock: bool = False
) -> Activity | None:
    query = select(Activity).where(Activity.id == activity_id, readable(principal))
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, activity_id: UUID) -> Activity | None:
    """The activity, locked, whoever may read it (a scanner's system change)."""
    query = select(Activity).where(Activity.id == activity_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    starts_from: datetime | None,
    starts_before: datetime | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Activity]:
    """The activities `principal` may read, latest start first (a cursor of (starts_at, id))."""
    query = select(Activity).where(readable(principal))
    if status is not None:
        query = query.where(Activity.status == status)
    if starts_from is not None:
        query = query.where(Activity.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(Activity.starts_at < starts_before)
    if after is not None:
        query = query.where(tuple_(Activity.starts_at, Activity.id) < tuple_(*after))
    query = query.order_by(Activity.starts_at.desc(), Activity.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def policy_for(session: AsyncSession, org_id: UUID) -> ConsultationPolicy:
    row = await session.get(ConsultationPolicyRow, org_id)
    return ConsultationPolicy.from_stored(row.values if row else None)


async def policy_row(
    session: AsyncSession, org_id: UUID, *, lock: bool = False
) -> ConsultationPolicyRow | None:
    query = select(ConsultationPolicyRow).where(ConsultationPolicyRow.org_id == org_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# ---- invitations -----------------------------------------------------------------------------------


async def invitations_of(
    session: AsyncSession, activity_id: UUID, *, after: UUID | None = None, limit: int | None = None
) -> list[Invitation]:
    """The activity's invitees: members by name, then guests (a cursor of the id order when paged)."""
    query = select(Invitation).where(Invitation.activity_id == activity_id)
    if limit is None:
        query = query.order_by(Invitation.invited_at, Invitation.id)
        return list((await session.execute(query)).scalars())
    if after is not None:
        query = query.where(Invitation.id > after)
    query = query.order_by(Invitation.id).limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def invitee_ids(session: AsyncSession, activity_id: UUID) -> list[UUID]:
    """The invited members' person ids (guests have none), in a stable order."""
    query = (
        select(Invitation.person_id)
        .where(Invitation.activity_id == activity_id, Invitation.person_id.is_not(None))
        .order_by(Invitation.person_id)
    )
    return [pid for pid in (await session.execute(query)).scalars() if pid is not None]


async def expected_ids(session: AsyncSession, activity_id: UUID) -> list[UUID]:
    """The invited members still expected: not declined, not on a requested or approved leave."""
    on_leave = exists().where(
        Leave.activity_id == Invitation.activity_id,
        Leave.person_id == Invitation.person_id,
        Leave.status.in_((LeaveStatus.REQUESTED, LeaveStatus.APPROVED)),
    )
    query = (
        select(Invitation.person_id)
        .where(
            Invitation.activity_id == activity_id,
            Invitation.person_id.is_not(None),
            or_(Invitation.answer.is_(None), Invitation.answer != "decline"),
            ~on_leave,
        )
        .order_by(Invitation.person_id)
    )
    return [pid for pid in (await session.execute(query)).scalars() if pid is not None]


async def count_invitations(session: AsyncSession, activity_id: UUID) -> int:
    query = select(func.count()).where(Invitation.activity_id == activity_id)
    return int((await session.execute(query)).scalar_one())


async def invited_person_ids(session: AsyncSession, activity_id: UUID, person_ids: list[UUID]) -> set[UUID]:
    if not person_ids:
        return set()
    query = select(Invitation.person_id).where(
        Invitation.activity_id == activity_id, Invitation.person_id.in_(person_ids)
    )
    return {pid for pid in (await session.execute(query)).scalars() if pid is not None}


async def invitation_of(
    session: AsyncSession, activity_id: UUID, person_id: UUID, *, lock: bool = False
) -> Invitation | None:
    query = select(Invitation).where(Invitation.activity_id == activity_id, Invitation.person_id == person_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def invitation(session: AsyncSession, activity_id: UUID, invitation_id: UUID) -> Invitation | None:
    query = select(Invitation).where(Invitation.activity_id == activity_id, Invitation.id == invitation_id)
    return (await session.execute(query)).scalar_one_or_none()


async def answers_of(
    session: AsyncSession, person_id: UUID, activity_ids: list[UUID]
) -> dict[UUID, tuple[str | None, str | None]]:
    """The person's answer and leave status on each of the activities they are invited to (one query)."""
    if not activity_ids:
        return {}
    query = (
        select(Invitation.activity_id, Invitation.answer, Leave.status)
        .outerjoin(
            Leave, and_(Leave.activity_id == Invitation.activity_id, Leave.person_id == Invitation.person_id)
        )
        .where(Invitation.person_id == person_id, Invitation.activity_id.in_(activity_ids))
    )
    return {row.activity_id: (row.answer, row.status) for row in await session.execute(query)}


async def move_leave_year(session: AsyncSession, activity_id: UUID, year: int) -> None:
    """A rescheduled activity's leave requests count in its new year (rule 24's limit)."""
    await session.execute(update(Leave).where(Leave.activity_id == activity_id).values(year=year))


# ---- leave -------------------------------------------------------------------------------------------


async def leave_of(session: AsyncSession, activity_id: UUID, person_id: UUID) -> Leave | None:
    query = select(Leave).where(Leave.activity_id == activity_id, Leave.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def leave(
    session: AsyncSession, activity_id: UUID, leave_id: UUID, *, lock: bool = False
) -> Leave | None:
    query = select(Leave).where(Leave.activity_id == activity_id, Leave.id == leave_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def leaves_of(
    session: AsyncSession, activity_id: UUID, *, after: UUID | None = None, limit: int | None = None
) -> list[Leave]:
    """The activity's leave requests in the order made (ids are time-ordered); `limit + 1` when paged."""
    query = select(Leave).where(Leave.activity_id == activity_id)
    if after is not None:
        query = query.where(Leave.id > after)
    query = query.order_by(Leave.id)
    if limit is not None:
        query = query.limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def lock_member_year(session: AsyncSession, org_id: UUID, person_id: UUID, year: int) -> None:
    """Serializes leave decisions of one member and year (rule 24's limit holds under races)."""
    key = f"consultation-leave:{org_id}:{person_id}:{year}"
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def approved_leaves(session: AsyncSession, org_id: UUID, person_id: UUID, year: int) -> int:
    query = select(func.count()).where(
        Leave.org_id == org_id,
        Leave.person_id == person_id,
        Leave.year == year,
        Leave.status == LeaveStatus.APPROVED,
    )
    return int((await session.execute(query)).scalar_one())


async def pending_leaves(
    session: AsyncSession, org_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Leave]:
    """The organization's leave requests waiting for a decision, oldest first."""
    query = select(Leave).where(Leave.org_id == org_id, Leave.status == LeaveStatus.REQUESTED)
    if after is not None:
        query = query.where(tuple_(Leave.requested_at, Leave.id) > tuple_(*after))
    query = query.order_by(Leave.requested_at, Leave.id).limit(limit + 1)
    return list((await session.execute(query)).scalars())


# ---- attendance --------------------------------------------------------------------------------------


async def attendance_of(
    session: AsyncSession, activity_id: UUID, person_id: UUID, *, lock: bool = False
) -> Attendance | None:
    query = select(Attendance).where(Attendance.activity_id == activity_id, Attendance.person_id == person_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def attendances_of(
    session: AsyncSession, activity_id: UUID, *, after: UUID | None = None, limit: int | None = None
) -> list[Attendance]:
    """Who came, in the order first recorded (ids are time-ordered); `limit + 1` when paged."""
    query = select(Attendance).where(Attendance.activity_id == activity_id)
    if after is not None:
        query = query.where(Attendance.id > after)
    query = query.order_by(Attendance.id)
    if limit is not None:
        query = query.limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def history_of(
    session: AsyncSession, activity_id: UUID, *, after: UUID | None, limit: int
) -> list[ActivityHistory]:
    """Every step of the activity, oldest first (ids are time-ordered), `limit + 1` of them."""
    query = select(ActivityHistory).where(ActivityHistory.activity_id == activity_id)
    if after is not None:
        query = query.where(ActivityHistory.id > after)
    query = query.order_by(ActivityHistory.id).limit(limit + 1)
    return list((await session.execute(query)).scalars())
