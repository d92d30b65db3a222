"""The activity as the participation contexts see it: `readable(principal)` (rule 28) and the
caller's invitation."""

from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.models import Activity, ConsultationPolicyRow, Invitation
from consultation_svc.participation.permissions import is_office
from consultation_svc.participation.policy import DEFAULT_POLICY, ParticipationPolicy
from cppcc_common.auth import Principal


def invited(person_id: UUID) -> ColumnElement[bool]:
    """The person is among the activity's invitees."""
    return exists().where(Invitation.activity_id == Activity.id, Invitation.person_id == person_id)


def readable(principal: Principal) -> ColumnElement[bool]:
    """Rule 28 for participation: the organization's own activities only; the consultation office
    and leaders see every one of them, a member those they are invited to."""
    whole = true() if is_office(principal) or principal.has_role("leader") else false()
    member = invited(principal.sub) if principal.has_role("member") else false()
    return and_(Activity.org_id == principal.org, or_(whole, member))


async def activity_of_org(
    session: AsyncSession,
    principal: Principal,
    activity_id: UUID,
    *,
    lock: bool = False,
    exclusive: bool = False,
) -> Activity | None:
    """The activity if it is of the principal's organization (rule 28: nothing of another one);
    locked FOR SHARE when asked (its status and times stay as read while participation is written),
    FOR UPDATE when the use case goes on to the activity's own write path (`record_attendance`
    locks it FOR UPDATE: two scans holding it FOR SHARE would deadlock on that upgrade).
    Who of the organization may take part or read is `access.see`'s question."""
    query = select(Activity).where(Activity.id == activity_id, Activity.org_id == principal.org)
    if lock or exclusive:
        query = query.with_for_update(read=not exclusive, of=Activity)
    return (await session.execute(query)).scalar_one_or_none()


async def invitation_of(session: AsyncSession, activity_id: UUID, person_id: UUID) -> Invitation | None:
    query = select(Invitation).where(Invitation.activity_id == activity_id, Invitation.person_id == person_id)
    return (await session.execute(query)).scalar_one_or_none()


async def policy_for(session: AsyncSession, org_id: UUID) -> ParticipationPolicy:
    """The organization's participation values (defaults for what it did not set)."""
    row = await session.get(ConsultationPolicyRow, org_id)
    if row is None:
        return DEFAULT_POLICY
    return ParticipationPolicy.model_validate({**DEFAULT_POLICY.model_dump(), **row.values})
