"""notify-svc's own projections of member-svc's people, and their one read before `audience.notices`."""

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, any_, false, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.contracts.member import MemberSnapshot, PersonRegisteredV1
from cppcc_common.events import CloudEvent, EventData
from cppcc_common.workdays import local_date
from notify_svc.audience import DEFAULT_LOCALE, READS, Person, Projections, Reads
from notify_svc.models import MemberRecord, Recipient
from notify_svc.preferences.models import PreferenceRow

# A member in one of these statuses is told what the organization tells its members.
CURRENT_STATUSES = ("active", "on_leave")


async def on_person_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps who can be told things: a person's name, roles, scopes and unit (an upsert: idempotent)."""
    assert isinstance(data, PersonRegisteredV1)
    values = {
        "person_id": data.person_id,
        "org_id": data.org_id,
        "name": data.name,
        "roles": data.roles,
        "scopes": data.scopes,
        "unit_id": data.unit_id,
        "updated_at": change.now,
    }
    stmt = insert(Recipient).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Recipient.person_id], set_={k: stmt.excluded[k] for k in values if k != "person_id"}
    )
    await change.session.execute(stmt)


async def on_member_changed(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps the member records (registered, updated, status changed): an upsert unless a newer
    version is kept already (events may arrive out of order; idempotent)."""
    assert isinstance(data, MemberSnapshot)
    values = {
        "person_id": data.person_id,
        "org_id": data.org_id,
        "status": data.status,
        "term_starts_on": data.term_starts_on,
        "term_ends_on": data.term_ends_on,
        "version": data.version,
        "updated_at": change.now,
    }
    stmt = insert(MemberRecord).values(member_id=data.member_id, **values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[MemberRecord.member_id],
        set_={k: stmt.excluded[k] for k in values},
        where=MemberRecord.version < stmt.excluded.version,
    )
    await change.session.execute(stmt)


async def current_members(session: AsyncSession, org_id: UUID, envelope: CloudEvent) -> frozenset[UUID]:
    """The organization's current members on the event's day (Asia/Shanghai)."""
    on = local_date(envelope.time)
    query = select(MemberRecord.person_id).where(
        MemberRecord.org_id == org_id,
        MemberRecord.status.in_(CURRENT_STATUSES),
        or_(MemberRecord.term_starts_on.is_(None), MemberRecord.term_starts_on <= on),
        or_(MemberRecord.term_ends_on.is_(None), MemberRecord.term_ends_on >= on),
    )
    return frozenset((await session.execute(query)).scalars())


def _uuids(value: Any) -> Iterator[UUID]:
    """Every id an event names, at any depth (people, units, nested assignments)."""
    if isinstance(value, UUID):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _uuids(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _uuids(v)


def _by_role(reads: Reads) -> ColumnElement[bool]:
    """The organization's holders of the role (and scope) the event's rule picks, if it picks any."""
    if reads.role is None:
        return false()
    held = any_(Recipient.roles) == reads.role
    return and_(held, any_(Recipient.scopes) == reads.scope) if reads.scope else held


async def load(session: AsyncSession, envelope: CloudEvent, data: EventData) -> Projections:
    """In one query, everyone of the event's organization it may concern: the people and the units'
    users it names, and those its rule picks by role and scope (an office, the administrators) or
    membership (`audience.READS`): nobody else is read on this per-event path."""
    org_id = getattr(data, "org_id", None) or envelope.orgid
    if org_id is None:
        return Projections()
    reads = READS.get(type(data), Reads())
    ids = list(dict.fromkeys(_uuids(data.model_dump(mode="python"))))
    members = await current_members(session, org_id, envelope) if reads.members else frozenset()
    ids += members
    query = (
        select(Recipient, PreferenceRow.locale)
        .outerjoin(PreferenceRow, PreferenceRow.person_id == Recipient.person_id)
        .where(
            Recipient.org_id == org_id,
            or_(Recipient.person_id.in_(ids), Recipient.unit_id.in_(ids), _by_role(reads)),
        )
    )
    rows = (await session.execute(query)).all()
    return Projections(
        people={
            r.person_id: Person(
                r.person_id,
                r.org_id,
                r.name,
                tuple(r.roles),
                tuple(r.scopes),
                r.unit_id,
                locale or DEFAULT_LOCALE,
            )
            for r, locale in rows
        },
        members=members,
    )
