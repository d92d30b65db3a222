"""Every query of the members projection: keeping it, and resolving invitees at the time of inviting."""

from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.members.models import MemberProjection
from consultation_svc.topics.domain import Membership
from cppcc_common.contracts.member import MemberSnapshot

# A member in one of these statuses is invited; resigned and revoked members are not.
INVITABLE_STATUSES = ("active", "on_leave")


async def keep(session: AsyncSession, data: MemberSnapshot) -> None:
    """Upserts the member record unless a newer version is already kept (events may arrive out of order)."""
    values = {
        "person_id": data.person_id,
        "org_id": data.org_id,
        "term_id": data.term_id,
        "name": data.name,
        "sector_id": data.sector_id,
        "party": data.party,
        "is_standing": data.is_standing,
        "committee_ids": list(data.committee_ids),
        "status": data.status,
        "term_starts_on": data.term_starts_on,
        "term_ends_on": data.term_ends_on,
        "version": data.version,
    }
    stmt = insert(MemberProjection).values(member_id=data.member_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[MemberProjection.member_id],
            set_=values,
            where=MemberProjection.version < stmt.excluded.version,
        )
    )


def current(org_id: UUID, on: date) -> ColumnElement[bool]:
    """A member of the organization whose term covers the day, in an invitable status."""
    return and_(
        MemberProjection.org_id == org_id,
        MemberProjection.status.in_(INVITABLE_STATUSES),
        or_(MemberProjection.term_starts_on.is_(None), MemberProjection.term_starts_on <= on),
        or_(MemberProjection.term_ends_on.is_(None), MemberProjection.term_ends_on >= on),
    )


async def memberships(session: AsyncSession, org_id: UUID, person_id: UUID, on: date) -> list[Membership]:
    """The person's current member records of the organization (sector, party, committees)."""
    query = select(MemberProjection.sector_id, MemberProjection.party, MemberProjection.committee_ids).where(
        current(org_id, on), MemberProjection.person_id == person_id
    )
    return [
        Membership(sector_id=r.sector_id, party=r.party, committee_ids=tuple(r.committee_ids or ()))
        for r in await session.execute(query)
    ]


async def resolve(
    session: AsyncSession,
    org_id: UUID,
    on: date,
    *,
    person_ids: list[UUID] | None = None,
    sector_ids: list[UUID] | None = None,
    committee_ids: list[UUID] | None = None,
    standing: bool = False,
    everyone: bool = False,
) -> list[tuple[UUID, str]]:
    """The current members (person id, name) any of the selections names, each once, by name."""
    chosen: list[ColumnElement[bool]] = []
    if everyone:
        chosen.append(MemberProjection.org_id == org_id)
    if person_ids:
        chosen.append(MemberProjection.person_id.in_(person_ids))
    if sector_ids:
        chosen.append(MemberProjection.sector_id.in_(sector_ids))
    if committee_ids:
        chosen.append(MemberProjection.committee_ids.overlap(committee_ids))
    if standing:
        chosen.append(MemberProjection.is_standing.is_(True))
    if not chosen:
        return []
    query = (
        select(MemberProjection.person_id, MemberProjection.name)
        .where(current(org_id, on), or_(*chosen))
        .ext(distinct_on(MemberProjection.person_id))
        .order_by(MemberProjection.person_id, MemberProjection.term_starts_on.desc())
    )
    rows = [(row.person_id, row.name) for row in await session.execute(query)]
    return sorted(rows, key=lambda r: (r[1], r[0]))
