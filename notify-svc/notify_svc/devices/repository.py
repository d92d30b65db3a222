"""Every query of the devices context. A person reaches only their own devices."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.devices.models import Device


async def register(session: AsyncSession, values: dict[str, object]) -> Device:
    """Inserts the device, or moves an already registered (vendor, token) to this person."""
    insert_ = insert(Device).values(**values)
    moved = {k: insert_.excluded[k] for k in ("org_id", "person_id", "platform", "name", "registered_at")}
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
