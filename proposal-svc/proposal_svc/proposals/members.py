"""proposal-svc's projections of member-svc's people: member records (rule 2) and the
organization's leaders (rule 19: who may supervise a key proposal)."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, DateTime, Index, String, Text, Uuid, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from cppcc_common.contracts.member import MemberSnapshot, PersonRegisteredV1
from proposal_svc.models import Base

# Statuses in which a member may still propose; resigned and revoked members may not.
PROPOSING_STATUSES = ("active", "on_leave")


class MemberProjection(Base):
    __tablename__ = "members"
    __table_args__ = (Index("ix_members_person", "person_id"),)

    member_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID]
    org_id: Mapped[UUID]
    term_id: Mapped[UUID]
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(Text)  # shown in the office's list and its export
    # What the statistics break a proposal down by: its first proposer's sector, party and committees
    # (migration 0016; unknown for records kept before it until member-svc announces them again).
    sector_id: Mapped[UUID | None]
    party: Mapped[str | None] = mapped_column(Text)
    committee_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), server_default=text("'{}'"))
    version: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LeaderProjection(Base):
    """A person whose account has the `leader` role, as member-svc announced it (rule 19)."""

    __tablename__ = "leaders"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]


LEADER_ROLE = "leader"


async def keep_person(session: AsyncSession, data: PersonRegisteredV1) -> None:
    """Keeps a person registered with the leader role (idempotent: a redelivery changes nothing)."""
    if LEADER_ROLE not in data.roles:
        return
    stmt = insert(LeaderProjection).values(person_id=data.person_id, org_id=data.org_id)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[LeaderProjection.person_id], set_={"org_id": data.org_id})
    )


async def leaders_among(session: AsyncSession, *, org_id: UUID, person_ids: list[UUID]) -> set[UUID]:
    """Those of `person_ids` who are leaders of the organization (rule 19)."""
    if not person_ids:
        return set()
    query = select(LeaderProjection.person_id).where(
        LeaderProjection.org_id == org_id, LeaderProjection.person_id.in_(person_ids)
    )
    return set((await session.execute(query)).scalars())


async def keep(session: AsyncSession, data: MemberSnapshot) -> None:
    """Upserts the member record unless a newer version is already kept (events may arrive out of order)."""
    values = {
        "person_id": data.person_id,
        "org_id": data.org_id,
        "term_id": data.term_id,
        "term_starts_on": data.term_starts_on,
        "term_ends_on": data.term_ends_on,
        "status": data.status,
        "name": data.name,
        "sector_id": data.sector_id,
        "party": data.party,
        "committee_ids": list(data.committee_ids),
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


async def is_current_member(session: AsyncSession, *, org_id: UUID, person_id: UUID, on: date) -> bool:
    """Rule 2: the person holds a member record of a term covering the date, in a proposing status."""
    query = select(MemberProjection.member_id).where(
        MemberProjection.org_id == org_id,
        MemberProjection.person_id == person_id,
        MemberProjection.status.in_(PROPOSING_STATUSES),
        MemberProjection.term_starts_on <= on,
        MemberProjection.term_ends_on >= on,
    )
    return (await session.execute(query.limit(1))).first() is not None


async def current_among(
    session: AsyncSession, *, org_id: UUID, person_ids: list[UUID], on: date
) -> set[UUID]:
    """Those of `person_ids` who are current members of the organization on the date (rule 4's
    co-signers, by rule 2's test)."""
    if not person_ids:
        return set()
    query = select(MemberProjection.person_id).where(
        MemberProjection.org_id == org_id,
        MemberProjection.person_id.in_(person_ids),
        MemberProjection.status.in_(PROPOSING_STATUSES),
        MemberProjection.term_starts_on <= on,
        MemberProjection.term_ends_on >= on,
    )
    return set((await session.execute(query)).scalars())
