"""notify-svc's own projections of member-svc's people, and their one read before `audience.notices`."""

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import any_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.contracts.member import PersonRegisteredV1
from cppcc_common.events import CloudEvent, EventData
from notify_svc.audience import DEFAULT_LOCALE, Person, Projections
from notify_svc.models import Recipient
from notify_svc.preferences.models import PreferenceRow


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


async def load(session: AsyncSession, envelope: CloudEvent, data: EventData) -> Projections:
    """In one query, everyone of the event's organization it may concern: the people and the units'
    users it names, the staff (the offices are told by scope) and the administrators."""
    org_id = getattr(data, "org_id", None) or envelope.orgid
    if org_id is None:
        return Projections()
    ids = list(dict.fromkeys(_uuids(data.model_dump(mode="python"))))
    query = (
        select(Recipient, PreferenceRow.locale)
        .outerjoin(PreferenceRow, PreferenceRow.person_id == Recipient.person_id)
        .where(
            Recipient.org_id == org_id,
            or_(
                Recipient.person_id.in_(ids),
                Recipient.unit_id.in_(ids),
                any_(Recipient.roles) == "staff",
                any_(Recipient.roles) == "admin",
            ),
        )
    )
    rows = (await session.execute(query)).all()
    return Projections(
        {
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
        }
    )
