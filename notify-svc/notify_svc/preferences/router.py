"""My notification preferences: read them, replace them (If-Match / ETag). Only my own exist here."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from cppcc_common.auth import PEOPLE, Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.versioning import ExpectedVersion, etag
from notify_svc import crypto
from notify_svc.preferences import service
from notify_svc.preferences.errors import (
    PreferencesVersionMismatch,
    SmsNumbersNotConfigured,
    UnknownCategory,
)
from notify_svc.preferences.schemas import PreferencesRead, PreferencesWrite

router = APIRouter(prefix="/api/v1/preferences", tags=["preferences"])

# Anyone with an inbox chooses how it reaches them; partner systems have webhooks instead.
READ_OWN = Permission("preferences.read_own", roles=PEOPLE)
KEEP_OWN = Permission("preferences.keep_own", roles=PEOPLE)


async def _key(request: Request) -> bytes | None:
    """The key SMS numbers are encrypted with (NOTIFY_WEBHOOK_KEY), None when not configured."""
    return crypto.settings_key(request.app.state.runtime.settings)


KeyDep = Annotated[bytes | None, Depends(_key)]


@router.get("/me", response_model=PreferencesRead, summary="My notification preferences")
async def get_mine(
    principal: Annotated[Principal, Depends(READ_OWN)], session: SessionDep, key: KeyDep, response: Response
) -> PreferencesRead:
    prefs = await service.own(session, principal.sub, key)
    response.headers["ETag"] = etag(prefs.version)
    return service.read(prefs)


@router.put(
    "/me",
    response_model=PreferencesRead,
    summary="Replace my notification preferences",
    description='If-Match: the ETag of the preferences you read ("0" before you ever changed them).',
    responses=problems(PreferencesVersionMismatch, UnknownCategory, SmsNumbersNotConfigured),
)
async def put_mine(
    body: PreferencesWrite,
    change: Annotated[Change, Changing(KEEP_OWN)],
    expected: ExpectedVersion,
    key: KeyDep,
    response: Response,
) -> PreferencesRead:
    prefs = await service.replace_own(change, body, expected, key)
    response.headers["ETag"] = etag(prefs.version)
    return service.read(prefs)
