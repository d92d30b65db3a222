"""My devices: register, list, remove one, sign out. Another person's device is 404."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from cppcc_common.auth import PEOPLE, Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from notify_svc.devices import service
from notify_svc.devices.errors import DeviceNotFound, VendorPlatformMismatch
from notify_svc.devices.schemas import DevicePage, DeviceRead, DeviceRegister, SignedOut

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

READ_OWN = Permission("devices.read_own", roles=PEOPLE)
KEEP_OWN = Permission("devices.keep_own", roles=PEOPLE)
Keeping = Annotated[Change, Changing(KEEP_OWN)]


@router.post(
    "",
    status_code=201,
    response_model=DeviceRead,
    responses=problems(VendorPlatformMismatch),
    summary="Register this device for push (again: it becomes mine)",
)
async def register_device(body: DeviceRegister, change: Keeping, response: Response) -> DeviceRead:
    device = await service.register(change, body)
    response.headers["Location"] = f"{router.prefix}/{device.id}"
    return service.read(device)


@router.get("", response_model=DevicePage, summary="My devices, most recently registered first")
async def list_devices(principal: Annotated[Principal, Depends(READ_OWN)], session: SessionDep) -> DevicePage:
    return DevicePage(items=[service.read(d) for d in await service.mine(session, principal.sub)])


@router.delete(
    "/{device_id}", status_code=204, responses=problems(DeviceNotFound), summary="Remove one of my devices"
)
async def remove_device(device_id: UUID, change: Keeping) -> Response:
    await service.remove(change, device_id)
    return Response(status_code=204)


@router.delete(
    "",
    response_model=SignedOut,
    summary="Sign out: remove all my devices (the app calls this when I sign out)",
)
async def sign_out(change: Keeping) -> SignedOut:
    return SignedOut(removed=await service.sign_out(change))
