"""Registering organizations and people: changes made through a `Change` (a request's, or the
system's for commands and seeding); a registration emits its event in the same transaction."""

from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.contracts.member import OrganizationRegisteredV1, PersonRegisteredV1
from member_svc.identity.passwords import hash_password
from member_svc.models import Organization, Person
from member_svc.people.repository import person_by_phone


async def ensure_organization(
    change: Change, *, id: UUID, name: str, level: str, parent_id: UUID | None = None
) -> Organization:
    """The organization with this id, created if it does not exist yet (announced with its parent)."""
    org = await change.session.get(Organization, id)
    if org is None:
        org = Organization(id=id, name=name, level=level, parent_id=parent_id)
        change.session.add(org)
        await change.session.flush()
        registered = OrganizationRegisteredV1(org_id=id, name=name, level=level, parent_id=parent_id)
        await change.emit(registered, subject=id, orgid=id)
    return org


async def register_person(
    change: Change,
    *,
    id: UUID,
    org_id: UUID,
    name: str,
    phone: str,
    password: str | None,
    roles: list[str],
    scopes: list[str] | None = None,
    unit_id: UUID | None = None,
) -> Person:
    """Creates the account (if the phone is new) and emits `member.person_registered`."""
    session = change.session
    existing = await person_by_phone(session, phone)
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
    registered = PersonRegisteredV1(
        person_id=id, org_id=org_id, name=name, roles=roles, scopes=scopes or [], unit_id=unit_id
    )
    await change.emit(registered, subject=id, orgid=org_id)
    return person
