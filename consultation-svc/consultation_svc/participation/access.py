"""The checks every participation use case starts with: the activity of the caller's organization
(404 otherwise, rule 28), the caller an invitee, the office or a leader (403 otherwise: a member of
the organization who is not invited learns only that), the activity still open, of the right form."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.domain import Status
from consultation_svc.activities.models import Activity, Invitation
from consultation_svc.participation import repository
from consultation_svc.participation.errors import ActivityNotFound, ActivityNotOpen, NotInvited, WrongForm
from consultation_svc.participation.permissions import is_office
from cppcc_common.auth import Principal

CLOSED_STATUSES = (Status.CANCELLED, Status.CLOSED)


@dataclass(frozen=True)
class Seen:
    """An activity as one caller sees it: as the office, a leader, or an invitee (their invitation)."""

    activity: Activity
    office: bool
    leader: bool
    invitation: Invitation | None

    @property
    def invitee(self) -> bool:
        return self.invitation is not None


async def see(
    session: AsyncSession,
    principal: Principal,
    activity_id: UUID,
    *,
    lock: bool = False,
    exclusive: bool = False,
) -> Seen:
    """The activity for a reader: the office, a leader, or an invitee."""
    activity = await repository.activity_of_org(
        session, principal, activity_id, lock=lock, exclusive=exclusive
    )
    if activity is None:
        raise ActivityNotFound()
    invitation = None
    if principal.has_role("member"):
        invitation = await repository.invitation_of(session, activity_id, principal.sub)
    seen = Seen(activity, is_office(principal), principal.has_role("leader"), invitation)
    if not (seen.office or seen.leader or seen.invitee):
        raise NotInvited()
    return seen


async def as_invitee(
    session: AsyncSession, principal: Principal, activity_id: UUID, *, exclusive: bool = False
) -> Seen:
    """The activity of which the caller is an invitee, locked for share (or for update, when the
    activity's own write path follows), 403 for anyone else."""
    seen = await see(session, principal, activity_id, lock=True, exclusive=exclusive)
    if not seen.invitee:
        raise NotInvited()
    return seen


async def as_office(session: AsyncSession, principal: Principal, activity_id: UUID) -> Seen:
    """The activity for the consultation office (the route's permission admitted only it)."""
    return await see(session, principal, activity_id, lock=True)


def check_open(activity: Activity) -> None:
    if activity.status in CLOSED_STATUSES:
        raise ActivityNotOpen(status=activity.status)


def check_form(activity: Activity, expected: str) -> None:
    if activity.form != expected:
        raise WrongForm(expected=expected, form=activity.form)
