"""Every query of the roster context."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from member_svc.directory.errors import DirectoryNotFound
from member_svc.directory.models import Committee, Member, MemberCommittee, Sector, Term
from member_svc.models import Person
from member_svc.roster.models import UNFINISHED, RosterImport
from member_svc.roster.validation import Known, KnownPerson

# Advisory-lock namespace of import jobs (the migrations use 727002).
_JOB_LOCK = 727100


async def term_of(session: AsyncSession, org_id: UUID, term_id: UUID) -> Term:
    term = await session.get(Term, term_id)
    if term is None or term.org_id != org_id:
        raise DirectoryNotFound()
    return term


async def known(session: AsyncSession, *, org_id: UUID, term_id: UUID, phones: Sequence[str]) -> Known:
    people = await session.execute(select(Person).where(Person.phone.in_(set(phones))))
    members = await session.execute(select(Member.person_id, Member.id).where(Member.term_id == term_id))
    return Known(
        org_id=org_id,
        people={p.phone: KnownPerson(id=p.id, org_id=p.org_id, name=p.name) for p in people.scalars()},
        members={person_id: member_id for person_id, member_id in members.all()},
        sectors=frozenset(await named_ids(session, Sector, org_id)),
        committees=frozenset(await named_ids(session, Committee, org_id)),
    )


async def named(session: AsyncSession, model: Any, org_id: UUID) -> list[Any]:
    """The organization's sectors or committees."""
    return list((await session.execute(select(model).where(model.org_id == org_id))).scalars())


async def named_ids(session: AsyncSession, model: Any, org_id: UUID) -> dict[str, UUID]:
    return {row.name: row.id for row in await named(session, model, org_id)}


async def roster(
    session: AsyncSession, *, term_id: UUID, statuses: Sequence[str]
) -> list[tuple[Member, Person, str | None]]:
    """The term's members with their person and sector name, in the order they were added."""
    query = (
        select(Member, Person, Sector.name)
        .join(Person, Person.id == Member.person_id)
        .outerjoin(Sector, Sector.id == Member.sector_id)
        .where(Member.term_id == term_id, Member.status.in_(statuses))
        .order_by(Member.created_at, Member.id)
    )
    return [(m, p, s) for m, p, s in (await session.execute(query)).all()]


async def seats_by_member(session: AsyncSession, term_id: UUID) -> dict[UUID, list[tuple[str, str]]]:
    query = (
        select(MemberCommittee.member_id, Committee.name, MemberCommittee.position)
        .join(Committee, Committee.id == MemberCommittee.committee_id)
        .join(Member, Member.id == MemberCommittee.member_id)
        .where(Member.term_id == term_id)
    )
    seats: dict[UUID, list[tuple[str, str]]] = defaultdict(list)
    for member_id, name, position in (await session.execute(query)).all():
        seats[member_id].append((name, position))
    return {member_id: sorted(found) for member_id, found in seats.items()}  # the same order everywhere


# Import jobs -------------------------------------------------------------------------------


async def job_of(session: AsyncSession, *, org_id: UUID, job_id: UUID) -> RosterImport | None:
    job = await session.get(RosterImport, job_id)
    return job if job is not None and job.org_id == org_id else None


async def try_lock(session: AsyncSession, job_id: UUID) -> bool:
    """Held until the session's transaction ends: one runner per job across processes."""
    key = int.from_bytes(job_id.bytes[-4:], "big", signed=True)
    locked = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(:ns, :key)"), {"ns": _JOB_LOCK, "key": key}
    )
    return bool(locked.scalar())


async def job_to_run(session: AsyncSession, job_id: UUID) -> RosterImport | None:
    query = (
        select(RosterImport)
        .where(RosterImport.id == job_id)
        .options(undefer(RosterImport.rows), undefer(RosterImport.content))
    )
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def unfinished(session: AsyncSession) -> list[UUID]:
    query = select(RosterImport.id).where(RosterImport.status.in_(UNFINISHED)).order_by(RosterImport.id)
    return list((await session.execute(query)).scalars())


async def set_job(session: AsyncSession, job_id: UUID, **values: Any) -> None:
    await session.execute(update(RosterImport).where(RosterImport.id == job_id).values(**values))


async def start_attempt(session: AsyncSession, job_id: UUID, now: datetime) -> None:
    await set_job(
        session,
        job_id,
        status="running",
        attempts=RosterImport.attempts + 1,
        started_at=func.coalesce(RosterImport.started_at, now),
        processed_rows=0,
    )


async def fail_unless_finished(
    session: AsyncSession,
    job_id: UUID,
    *,
    failure: str,
    now: datetime,
    params: dict[str, str] | None = None,
) -> None:
    await session.execute(
        update(RosterImport)
        .where(RosterImport.id == job_id, RosterImport.status.in_(UNFINISHED))
        .values(
            status="failed", failure=failure, failure_params=params, finished_at=now, rows=None, content=None
        )
    )
