"""Directory use cases. Every change takes the request's (or the job's) `Change` and stages its
events through it in the same transaction; every read is scoped to one organization (rule 28).
Never commits (the request or the job does)."""

from datetime import datetime, time
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.member import (
    CommitteeRegisteredV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
    MemberUpdatedV1,
    PlenarySessionScheduledV1,
    SectorRegisteredV1,
    UnitRegisteredV1,
    UnitUserAddedV1,
)
from cppcc_common.events import EventData
from cppcc_common.ids import new_id
from cppcc_common.versioning import IfMatch, check_version
from member_svc.directory import domain, repository
from member_svc.directory.domain import Action
from member_svc.directory.errors import (
    DATE_RULES,
    AlreadyMember,
    DirectoryNotFound,
    InvalidDates,
    PhoneBelongsToAnotherOrganization,
)
from member_svc.directory.models import (
    Committee,
    Member,
    MemberStatusChange,
    PlenarySession,
    Sector,
    SectorOfficer,
    Term,
    Unit,
)
from member_svc.directory.policy import DirectoryPolicy, session_window_opens_on
from member_svc.directory.schemas import (
    CommitteeSeat,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    SectorOfficers,
    SessionCreate,
    StatusChange,
    TermCreate,
)
from member_svc.models import Organization, Person
from member_svc.people import repository as people
from member_svc.people.service import register_person

# Reads that are one query each.
named_page = repository.named_page
named = repository.named


def _raise_invalid_dates(violation: str | None) -> None:
    if violation is not None:
        raise InvalidDates(DATE_RULES[violation])


# Organization, terms, plenary sessions ---------------------------------------------------


async def organization(
    session: AsyncSession, org_id: UUID
) -> tuple[Organization, list[Term], list[PlenarySession]]:
    org = await repository.organization(session, org_id)
    if org is None:
        raise DirectoryNotFound()
    return org, await repository.terms(session, org_id), await repository.plenary_sessions(session, org_id)


async def add_term(change: Change, *, org_id: UUID, data: TermCreate) -> Term:
    _raise_invalid_dates(domain.term_dates_violation(data.starts_on, data.ends_on))
    term = Term(
        id=new_id(), org_id=org_id, number=data.number, starts_on=data.starts_on, ends_on=data.ends_on
    )
    change.session.add(term)
    await repository.flush_unique(change.session, f"第{data.number}届")
    return term


async def policy_of(session: AsyncSession, org_id: UUID) -> DirectoryPolicy:
    """The organization's directory policy; the defaults until an admin sets one."""
    values = await repository.policy_values(session, org_id)
    return DirectoryPolicy.model_validate(values) if values is not None else DirectoryPolicy()


async def set_policy(change: Change, *, org_id: UUID, policy: DirectoryPolicy) -> DirectoryPolicy:
    """Replaces the organization's directory policy (sessions scheduled later follow it)."""
    values = policy.model_dump(mode="json")
    await repository.save_policy(change.session, org_id, values, at=change.now, by=change.actor)
    return policy


async def schedule_session(
    change: Change, *, org_id: UUID, data: SessionCreate, policy: DirectoryPolicy | None = None
) -> PlenarySession:
    """A plenary session and its session-proposal window (default: the organization's policy)."""
    term = await repository.owned(change.session, Term, data.term_id, org_id)
    policy = policy or await policy_of(change.session, org_id)
    opens_at = data.proposal_window_opens_at or datetime.combine(
        session_window_opens_on(data.opens_on, policy), time(0, 0), SHANGHAI
    )
    violation = domain.session_dates_violation(
        term_starts_on=term.starts_on,
        term_ends_on=term.ends_on,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        window_opens_at=opens_at,
        deadline_at=data.proposal_deadline_at,
    )
    _raise_invalid_dates(violation)
    plenary = PlenarySession(
        id=new_id(),
        org_id=org_id,
        term_id=term.id,
        number=data.number,
        opens_on=data.opens_on,
        closes_on=data.closes_on,
        proposal_window_opens_at=opens_at,
        proposal_deadline_at=data.proposal_deadline_at,
    )
    change.session.add(plenary)
    await repository.flush_unique(change.session, f"第{data.number}次会议")
    scheduled = PlenarySessionScheduledV1(
        session_id=plenary.id,
        org_id=org_id,
        term_id=term.id,
        number=plenary.number,
        opens_on=plenary.opens_on,
        closes_on=plenary.closes_on,
        proposal_window_opens_at=opens_at,
        proposal_deadline_at=plenary.proposal_deadline_at,
    )
    await change.emit(scheduled, subject=plenary.id, orgid=org_id)
    return plenary


# Sectors, committees, units -------------------------------------------------------------


Named = TypeVar("Named", Sector, Committee, Unit)


async def _register_named(change: Change, row: Named, event: EventData) -> Named:
    """Adds a named row of the organization (unique name), and emits its registration event."""
    change.session.add(row)
    await repository.flush_unique(change.session, row.name)
    await change.emit(event, subject=row.id, orgid=row.org_id)
    return row


async def create_sector(change: Change, *, org_id: UUID, name: str) -> Sector:
    sector = Sector(id=new_id(), org_id=org_id, name=name.strip())
    event = SectorRegisteredV1(sector_id=sector.id, org_id=org_id, name=sector.name)
    return await _register_named(change, sector, event)


async def create_committee(change: Change, *, org_id: UUID, name: str) -> Committee:
    committee = Committee(id=new_id(), org_id=org_id, name=name.strip())
    event = CommitteeRegisteredV1(committee_id=committee.id, org_id=org_id, name=committee.name)
    return await _register_named(change, committee, event)


async def create_unit(change: Change, *, org_id: UUID, name: str, kind: str) -> Unit:
    unit = Unit(id=new_id(), org_id=org_id, name=name.strip(), kind=kind)
    event = UnitRegisteredV1(unit_id=unit.id, org_id=org_id, name=unit.name, kind=kind)
    return await _register_named(change, unit, event)


async def get_unit(session: AsyncSession, principal: Principal, unit_id: UUID) -> Unit:
    """A unit of the principal's organization; a partner system sees only its own."""
    unit = await repository.owned(session, Unit, unit_id, principal.org)
    if principal.has_role("partner") and principal.unit != unit_id:
        raise DirectoryNotFound()
    return unit


async def add_unit_user(change: Change, *, org_id: UUID, unit_id: UUID, name: str, phone: str) -> Person:
    """A unit user account (SMS login; no password until they set one), bound to the unit."""
    unit = await repository.owned(change.session, Unit, unit_id, org_id)
    existing = await people.person_by_phone(change.session, phone)
    if existing is not None:
        raise PhoneBelongsToAnotherOrganization() if existing.org_id != org_id else AlreadyMember()
    person = await register_person(
        change,
        id=new_id(),
        org_id=org_id,
        name=name,
        phone=phone,
        password=None,
        roles=["unit_user"],
        unit_id=unit.id,
    )
    added = UnitUserAddedV1(unit_id=unit.id, org_id=org_id, person_id=person.id, name=name)
    await change.emit(added, subject=unit.id, orgid=org_id)
    return person


async def unit_users(
    session: AsyncSession, *, org_id: UUID, unit_id: UUID, cursor: str | None, limit: int
) -> tuple[list[Person], str | None]:
    """A page of the unit's users, by name."""
    unit = await repository.owned(session, Unit, unit_id, org_id)
    return await repository.unit_users(session, unit, cursor=cursor, limit=limit)


async def set_sector_officers(change: Change, *, org_id: UUID, sector_id: UUID, data: SectorOfficers) -> None:
    """One first convener, at most one more convener, an optional liaison; all people of the organization."""
    sector = await repository.owned(change.session, Sector, sector_id, org_id)
    wanted = [(data.first_convener_id, "first_convener"), *((p, "convener") for p in data.convener_ids)]
    if data.liaison_id:
        wanted.append((data.liaison_id, "liaison"))
    for person_id, _ in wanted:
        await repository.owned(change.session, Person, person_id, org_id)
    await repository.replace_officers(change.session, sector.id, dict(wanted))


async def sector_officers(
    session: AsyncSession, *, org_id: UUID, sector_id: UUID
) -> list[tuple[SectorOfficer, str]]:
    """The sector's officers with their names, the first convener first."""
    sector = await repository.owned(session, Sector, sector_id, org_id)
    order = {"first_convener": 0, "convener": 1, "liaison": 2}
    return sorted(await repository.officers(session, sector.id), key=lambda r: order.get(r[0].role, 9))


# Members: reads --------------------------------------------------------------------------


async def seats(session: AsyncSession, member_id: UUID) -> list[CommitteeSeat]:
    rows = await repository.seats(session, member_id)
    return [CommitteeSeat(committee_id=r.committee_id, position=r.position) for r in rows]


async def view(session: AsyncSession, member: Member) -> MemberRead:
    """The member record as the API shows it (with the person's name and phone, and the seats)."""
    person = await repository.person(session, member.person_id)
    return MemberRead(
        id=member.id,
        person_id=member.person_id,
        name=person.name,
        phone=person.phone,
        term_id=member.term_id,
        sector_id=member.sector_id,
        party=member.party,
        is_standing=member.is_standing,
        leadership_position=member.leadership_position,
        committees=await seats(session, member.id),
        status=member.status,
        version=member.version,
    )


async def get_member(session: AsyncSession, principal: Principal, member_id: UUID) -> Member:
    """A member record the principal may read (`repository.readable`), else 404."""
    member = await repository.readable_member(session, principal, member_id)
    if member is None:
        raise DirectoryNotFound()
    return member


async def list_members(
    session: AsyncSession,
    principal: Principal,
    *,
    term_id: UUID | None = None,
    sector_id: UUID | None = None,
    status: str | None = None,
    committee_id: UUID | None = None,
    cursor: str | None = None,
    limit: int,
) -> tuple[list[Member], str | None]:
    """A page of the member records the principal may read (`repository.readable`), newest first."""
    filters = {"term_id": term_id, "sector_id": sector_id, "status": status}
    return await repository.members_page(
        session, principal, filters=filters, committee_id=committee_id, cursor=cursor, limit=limit
    )


async def my_members(session: AsyncSession, principal: Principal) -> list[Member]:
    return await repository.own_members(session, principal)


async def status_history(
    session: AsyncSession, principal: Principal, member_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[MemberStatusChange], str | None]:
    """A page of the member's status changes, oldest first."""
    member = await get_member(session, principal, member_id)
    return await repository.status_history(session, member.id, cursor=cursor, limit=limit)


# Members: changes ------------------------------------------------------------------------


async def _snapshot(session: AsyncSession, member: Member) -> dict[str, Any]:
    """The member as its events carry it (no phone, no reason: those stay in member-svc)."""
    person = await repository.person(session, member.person_id)
    term = await repository.term(session, member.term_id)
    return {
        "term_starts_on": term.starts_on,
        "term_ends_on": term.ends_on,
        "member_id": member.id,
        "person_id": member.person_id,
        "org_id": member.org_id,
        "term_id": member.term_id,
        "name": person.name,
        "sector_id": member.sector_id,
        "party": member.party,
        "is_standing": member.is_standing,
        "committee_ids": [s.committee_id for s in await repository.seats(session, member.id)],
        "status": member.status,
        "version": member.version,
    }


async def _check_sector(session: AsyncSession, org_id: UUID, sector_id: UUID | None) -> None:
    if sector_id is not None:
        await repository.owned(session, Sector, sector_id, org_id)


async def _replace_seats(session: AsyncSession, member: Member, wanted: list[CommitteeSeat]) -> None:
    """The member's seats become `wanted` (committees of the organization, else 404; the last
    seat named for a committee counts)."""
    for seat in wanted:
        await repository.owned(session, Committee, seat.committee_id, member.org_id)
    await repository.replace_seats(session, member.id, {s.committee_id: s.position for s in wanted})


def _history(change: Change, member: Member, from_status: str | None, note: str | None) -> MemberStatusChange:
    return MemberStatusChange(
        id=new_id(),
        member_id=member.id,
        from_status=from_status,
        to_status=member.status,
        reason=note,
        actor_id=change.actor,
        at=change.now,
    )


async def register_member(change: Change, *, org_id: UUID, data: MemberCreate) -> Member:
    """A person (new, or already of this organization) becomes a member of a term."""
    session = change.session
    term = await repository.owned(session, Term, data.term_id, org_id)
    await _check_sector(session, org_id, data.sector_id)
    person = await people.person_by_phone(session, data.person.phone)
    if person is None:
        person = await register_person(
            change,
            id=new_id(),
            org_id=org_id,
            name=data.person.name,
            phone=data.person.phone,
            password=None,
            roles=["member"],
        )
    elif person.org_id != org_id:
        raise PhoneBelongsToAnotherOrganization()
    elif "member" not in person.roles:
        person.roles = [*person.roles, "member"]
    if await repository.is_member_of_term(session, term.id, person.id):
        raise AlreadyMember()
    member = Member(
        id=new_id(),
        org_id=org_id,
        term_id=term.id,
        person_id=person.id,
        sector_id=data.sector_id,
        party=data.party,
        is_standing=data.is_standing,
        leadership_position=data.leadership_position,
        status=domain.INITIAL,
        version=1,
    )
    session.add(member)
    await session.flush()
    await _replace_seats(session, member, data.committees)
    session.add(_history(change, member, None, None))
    await session.flush()
    await change.emit(MemberRegisteredV1(**await _snapshot(session, member)), subject=member.id, orgid=org_id)
    return member


async def _transition(
    change: Change,
    *,
    org_id: UUID,
    member_id: UUID,
    action: Action,
    expected_version: IfMatch | None,
    reason: str | None = None,
    edits: dict[str, Any] | None = None,
) -> Member:
    """The one write path of a member record: load for update through `readable` (404) → the
    status table (409) → If-Match (412) → the domain's decision → history row → version bump → emit."""
    session = change.session
    member = await repository.member_for_update(session, change.principal, org_id, member_id)
    if member is None:
        raise DirectoryNotFound()
    decision = domain.decide(member.status, action, reason=reason, changes=edits or {})
    check_version(member.version, expected_version)
    fields = dict(decision.changes)
    new_seats = fields.pop("committees", None)
    await _check_sector(session, org_id, fields.get("sector_id"))
    for name, value in fields.items():
        setattr(member, name, value)
    if new_seats is not None:
        await _replace_seats(session, member, new_seats)
    old = member.status
    if decision.status != old:
        member.status = decision.status
        session.add(_history(change, member, old, decision.note))
    member.version += 1
    await session.flush()
    snapshot = await _snapshot(session, member)
    event = (
        MemberUpdatedV1(**snapshot)
        if old == member.status
        else MemberStatusChangedV1(**snapshot, from_status=old)
    )
    await change.emit(event, subject=member.id, orgid=org_id)
    return member


async def update_member(
    change: Change, *, org_id: UUID, member_id: UUID, changes: MemberUpdate, expected_version: IfMatch | None
) -> Member:
    """Sector, party, committees, standing flag, leadership position: the fields sent."""
    edits = changes.model_dump(exclude_unset=True)
    if "committees" in edits:
        edits["committees"] = [CommitteeSeat(**s) for s in edits["committees"]]
    return await _transition(
        change,
        org_id=org_id,
        member_id=member_id,
        action=Action.EDIT,
        expected_version=expected_version,
        edits=edits,
    )


async def change_status(
    change: Change, *, org_id: UUID, member_id: UUID, body: StatusChange, expected_version: IfMatch | None
) -> Member:
    """A status change with its reason, recorded in the history and published."""
    return await _transition(
        change,
        org_id=org_id,
        member_id=member_id,
        action=domain.action_to(body.status),
        expected_version=expected_version,
        reason=body.reason,
    )
