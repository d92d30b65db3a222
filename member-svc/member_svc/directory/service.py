"""Directory use cases. Every query is scoped to the caller's organization (rule 28); every change
that other services care about stages its event in the same transaction."""

from collections.abc import Callable
from datetime import datetime, time
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
from cppcc_common.events import EventData, make_event
from cppcc_common.ids import new_id
from cppcc_common.outbox import stage
from cppcc_common.pagination import decode_cursor, decode_id_cursor, invalid_cursor, page_after, page_of
from cppcc_common.text import Text
from cppcc_common.versioning import IfMatch, check_version
from member_svc.directory.errors import (
    AlreadyMember,
    DirectoryNotFound,
    InvalidDates,
    NameTaken,
    PhoneBelongsToAnotherOrganization,
    SameStatus,
)
from member_svc.directory.models import (
    Committee,
    DirectoryPolicyRow,
    Member,
    MemberCommittee,
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
    MemberUpdate,
    SectorOfficers,
    SessionCreate,
    StatusChange,
    TermCreate,
)
from member_svc.models import Organization, Person
from member_svc.people.service import register_person

SOURCE = "/member-svc"


async def _stage(
    session: AsyncSession, data: EventData, *, subject: UUID, org_id: UUID, actor: UUID | None
) -> None:
    await stage(session, make_event(data, source=SOURCE, subject=subject, orgid=org_id, actorid=actor))


async def _owned(session: AsyncSession, model: Any, id: UUID | None, org_id: UUID) -> Any:
    """The row of `model` with this id in this organization, or 404."""
    row = await session.get(model, id) if id is not None else None
    if row is None or row.org_id != org_id:
        raise DirectoryNotFound()
    return row


# Organization, terms, plenary sessions ---------------------------------------------------


async def organization(
    session: AsyncSession, org_id: UUID
) -> tuple[Organization, list[Term], list[PlenarySession]]:
    org = await session.get(Organization, org_id)
    if org is None:
        raise DirectoryNotFound()
    terms = (await session.execute(select(Term).where(Term.org_id == org_id).order_by(Term.number))).scalars()
    sessions = (
        await session.execute(
            select(PlenarySession).where(PlenarySession.org_id == org_id).order_by(PlenarySession.opens_on)
        )
    ).scalars()
    return org, list(terms), list(sessions)


async def add_term(session: AsyncSession, *, org_id: UUID, data: TermCreate) -> Term:
    if data.ends_on <= data.starts_on:
        raise InvalidDates(Text("届的结束日期须晚于开始日期", "A term must end after it starts"))
    term = Term(
        id=new_id(), org_id=org_id, number=data.number, starts_on=data.starts_on, ends_on=data.ends_on
    )
    session.add(term)
    await _flush_unique(session, f"第{data.number}届")
    return term


async def policy_of(session: AsyncSession, org_id: UUID) -> DirectoryPolicy:
    """The organization's directory policy; the defaults until an admin sets one."""
    row = await session.get(DirectoryPolicyRow, org_id)
    return DirectoryPolicy.model_validate(row.values) if row is not None else DirectoryPolicy()


async def set_policy(
    session: AsyncSession, *, org_id: UUID, policy: DirectoryPolicy, actor: UUID, now: datetime
) -> DirectoryPolicy:
    """Replaces the organization's directory policy (sessions scheduled later follow it)."""
    values = {"values": policy.model_dump(mode="json"), "updated_at": now, "updated_by": actor}
    stmt = insert(DirectoryPolicyRow).values(org_id=org_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[DirectoryPolicyRow.org_id], set_=values))
    return policy


async def schedule_session(
    session: AsyncSession,
    *,
    org_id: UUID,
    data: SessionCreate,
    actor: UUID,
    policy: DirectoryPolicy | None = None,
) -> PlenarySession:
    """A plenary session and its session-proposal window (default: the organization's policy)."""
    term = await _owned(session, Term, data.term_id, org_id)
    policy = policy or await policy_of(session, org_id)
    opens_at = data.proposal_window_opens_at or datetime.combine(
        session_window_opens_on(data.opens_on, policy), time(0, 0), SHANGHAI
    )
    if data.closes_on < data.opens_on or not (term.starts_on <= data.opens_on <= term.ends_on):
        raise InvalidDates(
            Text("会议日期须在本届任期内且闭幕不早于开幕", "The session must lie within its term")
        )
    if data.proposal_deadline_at <= opens_at:
        raise InvalidDates(
            Text("提案截止时间须晚于征集开始时间", "The proposal deadline must follow the window's opening")
        )
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
    session.add(plenary)
    await _flush_unique(session, f"第{data.number}次会议")
    await _stage(
        session,
        PlenarySessionScheduledV1(
            session_id=plenary.id,
            org_id=org_id,
            term_id=term.id,
            number=plenary.number,
            opens_on=plenary.opens_on,
            closes_on=plenary.closes_on,
            proposal_window_opens_at=opens_at,
            proposal_deadline_at=plenary.proposal_deadline_at,
        ),
        subject=plenary.id,
        org_id=org_id,
        actor=actor,
    )
    return plenary


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise NameTaken(name=name) from exc


Named = TypeVar("Named", Sector, Committee, Unit)


# Sectors, committees, units -------------------------------------------------------------


async def _register_named(session: AsyncSession, row: Named, event: EventData, actor: UUID | None) -> Named:
    """Adds a named row of the organization (unique name), and stages its registration event."""
    session.add(row)
    await _flush_unique(session, row.name)
    await _stage(session, event, subject=row.id, org_id=row.org_id, actor=actor)
    return row


async def create_sector(session: AsyncSession, *, org_id: UUID, name: str, actor: UUID | None) -> Sector:
    sector = Sector(id=new_id(), org_id=org_id, name=name.strip())
    event = SectorRegisteredV1(sector_id=sector.id, org_id=org_id, name=sector.name)
    return await _register_named(session, sector, event, actor)


async def create_committee(
    session: AsyncSession, *, org_id: UUID, name: str, actor: UUID | None
) -> Committee:
    committee = Committee(id=new_id(), org_id=org_id, name=name.strip())
    event = CommitteeRegisteredV1(committee_id=committee.id, org_id=org_id, name=committee.name)
    return await _register_named(session, committee, event, actor)


async def create_unit(
    session: AsyncSession, *, org_id: UUID, name: str, kind: str, actor: UUID | None
) -> Unit:
    unit = Unit(id=new_id(), org_id=org_id, name=name.strip(), kind=kind)
    event = UnitRegisteredV1(unit_id=unit.id, org_id=org_id, name=unit.name, kind=kind)
    return await _register_named(session, unit, event, actor)


async def named(session: AsyncSession, model: Any, org_id: UUID) -> list[Any]:
    return list(
        (await session.execute(select(model).where(model.org_id == org_id).order_by(model.name))).scalars()
    )


async def _keyset_page(
    session: AsyncSession,
    query: Any,
    model: Any,
    keys: tuple[str, ...],
    *,
    cursor: str | None,
    limit: int,
    belongs: Callable[[Any], bool],
) -> tuple[list[Any], str | None]:
    """A page ordered by `keys` then id, after the row the cursor names (a row of this same list)."""
    columns = [*(getattr(model, k) for k in keys), model.id]
    if cursor:
        anchor = await session.get(model, decode_id_cursor(cursor))
        if anchor is None or not belongs(anchor):
            raise invalid_cursor()
        query = query.where(tuple_(*columns) > tuple_(*(getattr(anchor, k) for k in keys), anchor.id))
    rows = (await session.execute(query.order_by(*columns).limit(limit + 1))).scalars()
    return page_after(list(rows), limit)


async def named_page(
    session: AsyncSession, model: Any, org_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """A page of the organization's sectors, committees or units, by name."""
    query = select(model).where(model.org_id == org_id)
    return await _keyset_page(
        session, query, model, ("name",), cursor=cursor, limit=limit, belongs=lambda r: r.org_id == org_id
    )


async def add_unit_user(
    session: AsyncSession, *, org_id: UUID, unit_id: UUID, name: str, phone: str, actor: UUID
) -> Person:
    """A unit user account (SMS login; no password until they set one), bound to the unit."""
    unit = await _owned(session, Unit, unit_id, org_id)
    existing = await _person_by_phone(session, phone)
    if existing is not None:
        raise PhoneBelongsToAnotherOrganization() if existing.org_id != org_id else AlreadyMember()
    person = await register_person(
        session,
        id=new_id(),
        org_id=org_id,
        name=name,
        phone=phone,
        password=None,
        roles=["unit_user"],
        unit_id=unit.id,
        actor_id=actor,
    )
    await _stage(
        session,
        UnitUserAddedV1(unit_id=unit.id, org_id=org_id, person_id=person.id, name=name),
        subject=unit.id,
        org_id=org_id,
        actor=actor,
    )
    return person


async def set_sector_officers(
    session: AsyncSession, *, org_id: UUID, sector_id: UUID, data: SectorOfficers
) -> None:
    """One first convener, at most one more convener, an optional liaison; all people of the organization."""
    sector = await _owned(session, Sector, sector_id, org_id)
    wanted = [(data.first_convener_id, "first_convener"), *((p, "convener") for p in data.convener_ids)]
    if data.liaison_id:
        wanted.append((data.liaison_id, "liaison"))
    for person_id, _ in wanted:
        await _owned(session, Person, person_id, org_id)
    await session.execute(delete(SectorOfficer).where(SectorOfficer.sector_id == sector.id))
    session.add_all(SectorOfficer(sector_id=sector.id, person_id=p, role=r) for p, r in dict(wanted).items())


async def sector_officers(
    session: AsyncSession, *, org_id: UUID, sector_id: UUID
) -> list[tuple[SectorOfficer, str]]:
    """The sector's officers with their names, the first convener first."""
    sector = await _owned(session, Sector, sector_id, org_id)
    order = {"first_convener": 0, "convener": 1, "liaison": 2}
    rows = (
        await session.execute(
            select(SectorOfficer, Person.name)
            .join(Person, Person.id == SectorOfficer.person_id)
            .where(SectorOfficer.sector_id == sector.id)
        )
    ).all()
    return sorted(((o, n) for o, n in rows), key=lambda r: order.get(r[0].role, 9))


async def unit_users(
    session: AsyncSession, *, org_id: UUID, unit_id: UUID, cursor: str | None, limit: int
) -> tuple[list[Person], str | None]:
    """A page of the unit's users, by name."""
    unit = await _owned(session, Unit, unit_id, org_id)
    query = select(Person).where(Person.unit_id == unit.id)
    return await _keyset_page(
        session, query, Person, ("name",), cursor=cursor, limit=limit, belongs=lambda p: p.unit_id == unit.id
    )


# Members ---------------------------------------------------------------------------------


async def _person_by_phone(session: AsyncSession, phone: str) -> Person | None:
    return (await session.execute(select(Person).where(Person.phone == phone))).scalar_one_or_none()


async def seats(session: AsyncSession, member_id: UUID) -> list[CommitteeSeat]:
    rows = (
        await session.execute(select(MemberCommittee).where(MemberCommittee.member_id == member_id))
    ).scalars()
    return [CommitteeSeat(committee_id=r.committee_id, position=r.position) for r in rows]


async def _replace_seats(session: AsyncSession, member: Member, wanted: list[CommitteeSeat]) -> None:
    for seat in wanted:
        await _owned(session, Committee, seat.committee_id, member.org_id)
    await session.execute(delete(MemberCommittee).where(MemberCommittee.member_id == member.id))
    session.add_all(
        MemberCommittee(member_id=member.id, committee_id=s.committee_id, position=s.position)
        for s in {s.committee_id: s for s in wanted}.values()
    )


async def snapshot(session: AsyncSession, member: Member) -> dict[str, Any]:
    person = await session.get(Person, member.person_id)
    term = await session.get(Term, member.term_id)
    assert person is not None and term is not None
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
        "committee_ids": [s.committee_id for s in await seats(session, member.id)],
        "status": member.status,
        "version": member.version,
    }


async def register_member(
    session: AsyncSession, *, org_id: UUID, data: MemberCreate, actor: UUID | None, now: datetime
) -> Member:
    """A person (new, or already of this organization) becomes a member of a term."""
    term = await _owned(session, Term, data.term_id, org_id)
    if data.sector_id is not None:
        await _owned(session, Sector, data.sector_id, org_id)
    person = await _person_by_phone(session, data.person.phone)
    if person is None:
        person = await register_person(
            session,
            id=new_id(),
            org_id=org_id,
            name=data.person.name,
            phone=data.person.phone,
            password=None,
            roles=["member"],
            actor_id=actor,
        )
    elif person.org_id != org_id:
        raise PhoneBelongsToAnotherOrganization()
    elif "member" not in person.roles:
        person.roles = [*person.roles, "member"]
    exists = await session.execute(
        select(Member.id).where(Member.term_id == term.id, Member.person_id == person.id)
    )
    if exists.first() is not None:
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
        status="active",
        version=1,
    )
    session.add(member)
    await session.flush()
    await _replace_seats(session, member, data.committees)
    session.add(
        MemberStatusChange(
            id=new_id(),
            member_id=member.id,
            from_status=None,
            to_status="active",
            reason=None,
            actor_id=actor,
            at=now,
        )
    )
    await session.flush()
    await _stage(
        session,
        MemberRegisteredV1(**await snapshot(session, member)),
        subject=member.id,
        org_id=org_id,
        actor=actor,
    )
    return member


async def get_member(session: AsyncSession, *, org_id: UUID, member_id: UUID) -> Member:
    member: Member = await _owned(session, Member, member_id, org_id)
    return member


async def my_members(session: AsyncSession, *, org_id: UUID, person_id: UUID) -> list[Member]:
    query = (
        select(Member)
        .where(Member.org_id == org_id, Member.person_id == person_id)
        .order_by(Member.created_at)
    )
    return list((await session.execute(query)).scalars())


async def list_members(
    session: AsyncSession,
    *,
    org_id: UUID,
    term_id: UUID | None,
    sector_id: UUID | None,
    status: str | None,
    cursor: str | None,
    limit: int,
    committee_id: UUID | None = None,
) -> tuple[list[Member], str | None]:
    query = select(Member).where(Member.org_id == org_id)
    if committee_id is not None:
        query = query.join(MemberCommittee, MemberCommittee.member_id == Member.id).where(
            MemberCommittee.committee_id == committee_id
        )
    for column, value in ((Member.term_id, term_id), (Member.sector_id, sector_id), (Member.status, status)):
        if value is not None:
            query = query.where(column == value)
    if cursor:
        query = query.where(tuple_(Member.created_at, Member.id) < tuple_(*decode_cursor(cursor)))
    query = query.order_by(Member.created_at.desc(), Member.id.desc()).limit(limit + 1)
    return page_of(list((await session.execute(query)).scalars()), limit)


async def update_member(
    session: AsyncSession,
    *,
    org_id: UUID,
    member_id: UUID,
    changes: MemberUpdate,
    expected_version: IfMatch | None,
    actor: UUID,
) -> Member:
    member = await get_member(session, org_id=org_id, member_id=member_id)
    check_version(member.version, expected_version)
    fields = changes.model_dump(exclude_unset=True)
    if fields.get("sector_id") is not None:
        await _owned(session, Sector, fields["sector_id"], org_id)
    new_seats = fields.pop("committees", None)
    for name, value in fields.items():
        setattr(member, name, value)
    if new_seats is not None:
        await _replace_seats(session, member, [CommitteeSeat(**s) for s in new_seats])
    member.version += 1
    await session.flush()
    await _stage(
        session,
        MemberUpdatedV1(**await snapshot(session, member)),
        subject=member.id,
        org_id=org_id,
        actor=actor,
    )
    return member


async def change_status(
    session: AsyncSession,
    *,
    org_id: UUID,
    member_id: UUID,
    change: StatusChange,
    expected_version: IfMatch | None,
    actor: UUID,
    now: datetime,
) -> Member:
    """A status change with its reason, recorded in the history and published."""
    member = await get_member(session, org_id=org_id, member_id=member_id)
    check_version(member.version, expected_version)
    if member.status == change.status:
        raise SameStatus()
    old = member.status
    member.status = change.status
    member.version += 1
    session.add(
        MemberStatusChange(
            id=new_id(),
            member_id=member.id,
            from_status=old,
            to_status=change.status,
            reason=change.reason,
            actor_id=actor,
            at=now,
        )
    )
    await session.flush()
    await _stage(
        session,
        MemberStatusChangedV1(**await snapshot(session, member), from_status=old),
        subject=member.id,
        org_id=org_id,
        actor=actor,
    )
    return member


async def status_history(
    session: AsyncSession, *, org_id: UUID, member_id: UUID, cursor: str | None, limit: int
) -> tuple[list[MemberStatusChange], str | None]:
    """A page of the member's status changes, oldest first."""
    member = await get_member(session, org_id=org_id, member_id=member_id)
    query = select(MemberStatusChange).where(MemberStatusChange.member_id == member.id)
    return await _keyset_page(
        session,
        query,
        MemberStatusChange,
        ("at",),
        cursor=cursor,
        limit=limit,
        belongs=lambda c: c.member_id == member.id,
    )
