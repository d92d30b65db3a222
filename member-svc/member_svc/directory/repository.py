"""The directory's queries. Every read of the organization's structure is scoped to one
organization; member reads go through `readable(principal)`, the one statement of rule 28."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.pagination import decode_cursor, decode_id_cursor, invalid_cursor, page_after, page_of
from member_svc.directory.errors import DirectoryNotFound, NameTaken
from member_svc.directory.models import (
    DirectoryPolicyRow,
    Member,
    MemberCommittee,
    MemberStatusChange,
    PlenarySession,
    SectorOfficer,
    Term,
    Unit,
)
from member_svc.directory.permissions import reads_all_members
from member_svc.models import Organization, Person

Row = TypeVar("Row")


async def owned(session: AsyncSession, model: type[Row], id: UUID | None, org_id: UUID) -> Row:
    """The row of `model` with this id in this organization, or 404."""
    row = await session.get(model, id) if id is not None else None
    if row is None or getattr(row, "org_id") != org_id:  # noqa: B009 (every model here has org_id)
        raise DirectoryNotFound()
    return row


async def flush_unique(session: AsyncSession, name: str) -> None:
    """Flushes the new row; a name the organization already uses is 409 (the unique constraint)."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise NameTaken(name=name) from exc


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
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


# Organization, terms, plenary sessions, policy ------------------------------------------


async def organization(session: AsyncSession, org_id: UUID) -> Organization | None:
    return await session.get(Organization, org_id)


async def terms(session: AsyncSession, org_id: UUID) -> list[Term]:
    return list(
        (await session.execute(select(Term).where(Term.org_id == org_id).order_by(Term.number))).scalars()
    )


async def plenary_sessions(session: AsyncSession, org_id: UUID) -> list[PlenarySession]:
    query = select(PlenarySession).where(PlenarySession.org_id == org_id).order_by(PlenarySession.opens_on)
    return list((await session.execute(query)).scalars())


async def policy_values(session: AsyncSession, org_id: UUID) -> dict[str, Any] | None:
    row = await session.get(DirectoryPolicyRow, org_id)
    return row.values if row is not None else None


async def save_policy(
    session: AsyncSession, org_id: UUID, values: dict[str, Any], *, at: datetime, by: UUID | None
) -> None:
    fields = {"values": values, "updated_at": at, "updated_by": by}
    stmt = insert(DirectoryPolicyRow).values(org_id=org_id, **fields)
    await session.execute(stmt.on_conflict_do_update(index_elements=[DirectoryPolicyRow.org_id], set_=fields))


# Sectors, committees, units -------------------------------------------------------------


async def named(session: AsyncSession, model: Any, org_id: UUID) -> list[Any]:
    """The organization's sectors, committees or units, by name."""
    query = select(model).where(model.org_id == org_id).order_by(model.name)
    return list((await session.execute(query)).scalars())


async def named_page(
    session: AsyncSession, model: Any, org_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """A page of the organization's sectors, committees or units, by name."""
    query = select(model).where(model.org_id == org_id)
    return await keyset_page(
        session, query, model, ("name",), cursor=cursor, limit=limit, belongs=lambda r: r.org_id == org_id
    )


async def replace_officers(session: AsyncSession, sector_id: UUID, officers: dict[UUID, str]) -> None:
    await session.execute(delete(SectorOfficer).where(SectorOfficer.sector_id == sector_id))
    session.add_all(SectorOfficer(sector_id=sector_id, person_id=p, role=r) for p, r in officers.items())


async def officers(session: AsyncSession, sector_id: UUID) -> list[tuple[SectorOfficer, str]]:
    """The sector's officers with their names."""
    query = (
        select(SectorOfficer, Person.name)
        .join(Person, Person.id == SectorOfficer.person_id)
        .where(SectorOfficer.sector_id == sector_id)
    )
    return [(o, n) for o, n in (await session.execute(query)).all()]


async def unit_users(
    session: AsyncSession, unit: Unit, *, cursor: str | None, limit: int
) -> tuple[list[Person], str | None]:
    """A page of the unit's users, by name."""
    query = select(Person).where(Person.unit_id == unit.id)
    return await keyset_page(
        session, query, Person, ("name",), cursor=cursor, limit=limit, belongs=lambda p: p.unit_id == unit.id
    )


# People and members ----------------------------------------------------------------------


async def person(session: AsyncSession, person_id: UUID) -> Person:
    found = await session.get(Person, person_id)
    assert found is not None  # members.person_id is a foreign key
    return found


async def term(session: AsyncSession, term_id: UUID) -> Term:
    found = await session.get(Term, term_id)
    assert found is not None  # members.term_id is a foreign key
    return found


def readable(principal: Principal) -> ColumnElement[bool]:
    """Rule 28, the member records `principal` may read: none of another organization; all of
    their own organization's for managers, leaders and the proposals office; else their own."""
    same_org = Member.org_id == principal.org
    if reads_all_members(principal):
        return same_org
    return same_org & (Member.person_id == principal.sub)


async def readable_member(session: AsyncSession, principal: Principal, member_id: UUID) -> Member | None:
    query = select(Member).where(Member.id == member_id, readable(principal))
    return (await session.execute(query)).scalar_one_or_none()


async def member_for_update(
    session: AsyncSession, principal: Principal | None, org_id: UUID, member_id: UUID
) -> Member | None:
    """The organization's member as `principal` may read it (the system reads every one), locked
    until the transaction ends so that concurrent changes queue."""
    query = select(Member).where(Member.id == member_id, Member.org_id == org_id)
    if principal is not None:
        query = query.where(readable(principal))
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def is_member_of_term(session: AsyncSession, term_id: UUID, person_id: UUID) -> bool:
    query = select(Member.id).where(Member.term_id == term_id, Member.person_id == person_id)
    return (await session.execute(query)).first() is not None


async def members_page(
    session: AsyncSession,
    principal: Principal,
    *,
    filters: dict[str, Any],
    committee_id: UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Member], str | None]:
    """A page of the member records `principal` may read, newest first, matching `filters`."""
    query = select(Member).where(readable(principal))
    if committee_id is not None:
        query = query.join(MemberCommittee, MemberCommittee.member_id == Member.id).where(
            MemberCommittee.committee_id == committee_id
        )
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Member, name) == value)
    if cursor:
        query = query.where(tuple_(Member.created_at, Member.id) < tuple_(*decode_cursor(cursor)))
    query = query.order_by(Member.created_at.desc(), Member.id.desc()).limit(limit + 1)
    return page_of(list((await session.execute(query)).scalars()), limit)


async def own_members(session: AsyncSession, principal: Principal) -> list[Member]:
    """The principal's own member records (one per term), oldest first."""
    query = (
        select(Member)
        .where(readable(principal), Member.person_id == principal.sub)
        .order_by(Member.created_at)
    )
    return list((await session.execute(query)).scalars())


async def seats(session: AsyncSession, member_id: UUID) -> list[MemberCommittee]:
    query = select(MemberCommittee).where(MemberCommittee.member_id == member_id)
    return list((await session.execute(query)).scalars())


async def replace_seats(session: AsyncSession, member_id: UUID, seats: dict[UUID, str]) -> None:
    """The member's committee seats become `seats` (committee id -> position)."""
    await session.execute(delete(MemberCommittee).where(MemberCommittee.member_id == member_id))
    session.add_all(
        MemberCommittee(member_id=member_id, committee_id=c, position=p) for c, p in seats.items()
    )


async def status_history(
    session: AsyncSession, member_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[MemberStatusChange], str | None]:
    """A page of the member's status changes, oldest first."""
    query = select(MemberStatusChange).where(MemberStatusChange.member_id == member_id)
    return await keyset_page(
        session,
        query,
        MemberStatusChange,
        ("at",),
        cursor=cursor,
        limit=limit,
        belongs=lambda c: c.member_id == member_id,
    )
