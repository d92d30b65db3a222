"""Events published by member-svc (stream MEMBER)."""

from datetime import date, datetime
from uuid import UUID

from cppcc_common.events import EventData, register


@register("cppcc.member.person_registered.v1")
class PersonRegisteredV1(EventData):
    """A person got an account; consumers keep only what they need to address them."""

    person_id: UUID
    org_id: UUID
    name: str
    roles: list[str]
    scopes: list[str] = []
    unit_id: UUID | None = None


@register("cppcc.org.plenary_session_scheduled.v1")
class PlenarySessionScheduledV1(EventData):
    """member-svc, when a plenary session and its session-proposal window are set or changed.

    proposal-svc keeps the window to decide whether a proposal is a session proposal (rule 5).
    """

    session_id: UUID
    org_id: UUID
    term_id: UUID
    number: int
    opens_on: date
    closes_on: date
    proposal_window_opens_at: datetime
    proposal_deadline_at: datetime


@register("cppcc.org.registered.v1")
class OrganizationRegisteredV1(EventData):
    """member-svc, when an organization (a CPPCC committee, the tenant) is created: its level and the
    parent that guides it (a city of its counties, DOMAIN.md §1). proposal-svc keeps the parent links
    so a parent's office sees its children's statistics side by side (counts and rates only)."""

    org_id: UUID
    name: str
    level: str
    parent_id: UUID | None = None


@register("cppcc.org.sector_registered.v1")
class SectorRegisteredV1(EventData):
    """member-svc, when a sector (界别) is created or renamed."""

    sector_id: UUID
    org_id: UUID
    name: str


@register("cppcc.org.committee_registered.v1")
class CommitteeRegisteredV1(EventData):
    """member-svc, when a special committee (专委会) is created or renamed."""

    committee_id: UUID
    org_id: UUID
    name: str


class MemberSnapshot(EventData):
    """What other services need of a member record (no phone, no personal details)."""

    member_id: UUID
    person_id: UUID
    org_id: UUID
    term_id: UUID
    name: str
    sector_id: UUID | None
    party: str
    is_standing: bool
    committee_ids: list[UUID] = []
    status: str
    version: int
    # The term's dates, so consumers know whether the membership is current (rule 2).
    term_starts_on: date | None = None
    term_ends_on: date | None = None


@register("cppcc.member.registered.v1")
class MemberRegisteredV1(MemberSnapshot):
    """member-svc, when a person becomes a member of a term (roster entry or import)."""


@register("cppcc.member.updated.v1")
class MemberUpdatedV1(MemberSnapshot):
    """member-svc, when a member's sector, party, committees or standing flag change."""


@register("cppcc.member.status_changed.v1")
class MemberStatusChangedV1(MemberSnapshot):
    """member-svc, when a member's status changes (active, on_leave, resigned, revoked)."""

    from_status: str


@register("cppcc.unit.registered.v1")
class UnitRegisteredV1(EventData):
    """member-svc, when a handling unit (承办单位) is registered or renamed."""

    unit_id: UUID
    org_id: UUID
    name: str
    kind: str


@register("cppcc.unit.user_added.v1")
class UnitUserAddedV1(EventData):
    """member-svc, when a person becomes a user of a handling unit."""

    unit_id: UUID
    org_id: UUID
    person_id: UUID
    name: str


@register("cppcc.member.exit_review_required.v1")
class MemberExitReviewRequiredV1(EventData):
    """member-svc, once per threshold crossing: a member's unexcused absences call for an exit review
    (rule 24). notify-svc tells the staff with the `members` scope."""

    person_id: UUID
    org_id: UUID
    term_id: UUID
    name: str
    threshold: str
    unexcused_absences: int


@register("cppcc.member.sessions_ended.v1")
class SessionsEndedV1(EventData):
    """member-svc, when sign-in sessions of a person end: a sign-out (`sign_out`), a refresh token
    presented again after its rotation (`refresh_token_reused`: the family is revoked as stolen), a
    password changed (`password_changed`) or reset (`password_reset`). A session is a refresh-token
    family; access tokens name theirs in the claim `sid`. `all_sessions`: every session of the
    person ended (password change and reset), not only `session_ids`. notify-svc forgets the push
    devices registered under the ended sessions (all of the person's when `all_sessions`)."""

    person_id: UUID
    org_id: UUID
    reason: str
    session_ids: list[UUID] = []
    all_sessions: bool = False
    ended_at: datetime
