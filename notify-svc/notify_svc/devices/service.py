"""Use cases of my devices: register (or take over) one, list, remove one, sign out (remove all)."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.ids import new_id
from notify_svc.devices import repository
from notify_svc.devices.domain import Platform, Vendor, serves
from notify_svc.devices.errors import DeviceNotFound, VendorPlatformMismatch
from notify_svc.devices.models import Device
from notify_svc.devices.schemas import DeviceRead, DeviceRegister
from notify_svc.preferences.policy import DEFAULT_POLICY


async def register(change: Change, body: DeviceRegister) -> Device:
    """A device of mine: a token already registered (by me or by whoever used the phone before)
    becomes mine; beyond the policy's number of devices, my least recently registered is forgotten."""
    if not serves(body.vendor, body.platform):
        raise VendorPlatformMismatch(vendor=body.vendor.value, platform=body.platform.value)
    person = change.person
    device = await repository.register(
        change.session,
        {
            "id": new_id(),
            "org_id": person.org,
            "person_id": person.sub,
            "platform": body.platform.value,
            "vendor": body.vendor.value,
            "token": body.token,
            "name": body.name,
            "registered_at": change.now,
            "session_id": person.session,
        },
    )
    await repository.forget_beyond(change.session, person.sub, DEFAULT_POLICY.max_devices_per_person)
    return device


async def mine(session: AsyncSession, person_id: UUID) -> list[Device]:
    return await repository.own(session, person_id)


async def remove(change: Change, device_id: UUID) -> None:
    if not await repository.remove_own(change.session, change.person.sub, device_id):
        raise DeviceNotFound()


async def sign_out(change: Change) -> int:
    """Signing out of the app: none of my devices is pushed to any more."""
    return await repository.remove_all_own(change.session, change.person.sub)


def read(device: Device) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        platform=Platform(device.platform),
        vendor=Vendor(device.vendor),
        name=device.name,
        registered_at=device.registered_at,
        token_tail=device.token[-6:],
    )
