"""Every query of the devices context. A person reaches only their own devices."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.devices.models import Device


async def register(session: AsyncSession, values: dict[str, object]) -> Device:
    """Inserts the device, or moves an already registered (vendor, token) to this person."""
    insert_ = insert(Device).values(**values)
    moved = {
        k: insert_.excluded[k]
        for k in ("org_id", "person_id", "platform", "name", "registered_at", "session_id")
    }
    stmt = insert_.on_conflict_do_update(constraint="uq_devices_vendor_token", set_=moved).returning(Device)
    result = await session.execute(stmt, execution_options={"populate_existing": True})
    device: Device = result.scalar_one()
    return device


async def forget_beyond(session: AsyncSession, person_id: UUID, keep: int) -> None:
    """Keeps a person's `keep` most recently registered devices."""
    newest = (
        select(Device.id)
        .where(Device.person_id == person_id)
        .order_by(Device.registered_at.desc(), Device.id.desc())
        .limit(keep)
    )
    await session.execute(delete(Device).where(Device.person_id == person_id, Device.id.not_in(newest)))


async def own(session: AsyncSession, person_id: UUID) -> list[Device]:
    query = select(Device).where(Device.person_id == person_id).order_by(Device.registered_at.desc())
    return list((await session.execute(query)).scalars())


async def remove_own(session: AsyncSession, person_id: UUID, device_id: UUID) -> bool:
    result = await session.execute(
        delete(Device).where(Device.id == device_id, Device.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def remove_all_own(session: AsyncSession, person_id: UUID) -> int:
    result = await session.execute(delete(Device).where(Device.person_id == person_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_sessions(
    session: AsyncSession, person_id: UUID, session_ids: Sequence[UUID], *, every_session: bool
) -> int:
    """Forgets the person's devices registered in the ended sessions — and those registered without
    a session (nobody can tell which session they belonged to: a push to a signed-out phone tells a
    stranger more than a missed one tells its owner) — or, `every_session`, all of them."""
    query = delete(Device).where(Device.person_id == person_id)
    if not every_session:
        query = query.where(or_(Device.session_id.in_(list(session_ids)), Device.session_id.is_(None)))
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


async def of_people(session: AsyncSession, people: Iterable[UUID]) -> dict[UUID, list[Device]]:
    ids = list(set(people))
    if not ids:
        return {}
    found: dict[UUID, list[Device]] = {}
    rows = await session.execute(select(Device).where(Device.person_id.in_(ids)).order_by(Device.id))
    for device in rows.scalars():
        found.setdefault(device.person_id, []).append(device)
    return found


async def prune(session: AsyncSession, device_id: UUID, token: str, now: datetime) -> None:
    """Forgets a device whose token the vendor called invalid (unless it was registered again
    since with another token: the id stays, the token would differ)."""
    await session.execute(delete(Device).where(Device.id == device_id, Device.token == token))
