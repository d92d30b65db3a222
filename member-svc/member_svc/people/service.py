"""Registering organizations and people; each registration stages its event in the same transaction."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.events import make_event
from cppcc_common.outbox import stage
from member_svc.identity.passwords import hash_password
from member_svc.models import Organization, Person

SOURCE = "/member-svc"


async def ensure_organization(
    session: AsyncSession, *, id: UUID, name: str, level: str, parent_id: UUID | None = None
) -> Organization:
    org = await session.get(Organization, id)
    if org is None:
        org = Organization(id=id, name=name, level=level, parent_id=parent_id)
        session.add(org)
        await session.flush()
    return org


async def register_person(
    session: AsyncSession,
    *,
    id: UUID,
    org_id: UUID,
    name: str,
    phone: str,
    password: str | None,
    roles: list[str],
    scopes: list[str] | None = None,
    unit_id: UUID | None = None,
    actor_id: UUID | None = None,
) -> Person:
    """Creates the account (if the phone is new) and stages `member.person_registered`."""
    existing = (await session.execute(select(Person).where(Person.phone == phone))).scalar_one_or_none()
    if existing is not None:
        return existing
    person = Person(
        id=id,
        org_id=org_id,
        name=name,
        phone=phone,
        roles=roles,
        scopes=scopes or [],
        unit_id=unit_id,
        password_hash=await hash_password(password) if password else None,
    )
    session.add(person)
    await session.flush()
    await stage(
        session,
        make_event(
            PersonRegisteredV1(
                person_id=id, org_id=org_id, name=name, roles=roles, scopes=scopes or [], unit_id=unit_id
            ),
            source=SOURCE,
            subject=id,
            orgid=org_id,
            actorid=actor_id,
        ),
    )
    return person
