"""Check-in routes: parse → service → respond. The office shows the rotating code at the venue (JSON
for the app's own screen, PNG for a plain display); an invitee's app posts the scanned code."""

import io
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

import segno
from fastapi import APIRouter, Depends, Request, Response

from consultation_svc.checkin import domain, service
from consultation_svc.checkin.errors import (
    CheckinClosed,
    CheckinCodeExpired,
    CheckinCodeInvalid,
    CheckinNotConfigured,
)
from consultation_svc.checkin.schemas import CheckinCode, CheckinRequest, CheckinResult
from consultation_svc.participation.errors import ActivityNotFound, ActivityNotOpen, NotInvited
from consultation_svc.participation.permissions import OFFICE, TAKE_PART
from cppcc_common.auth import Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems

router = APIRouter(prefix="/api/v1/consultations/activities/{activity_id}", tags=["checkin"])
Office = Annotated[Principal, Depends(OFFICE)]


async def signing_key(request: Request) -> bytes:
    """The deployment's check-in key (settings.checkin_key); 503 when it has none."""
    configured = getattr(request.app.state.runtime.settings, "checkin_key", None)
    if configured is None or not configured.get_secret_value():
        raise CheckinNotConfigured()
    return domain.key_bytes(configured.get_secret_value())


Key = Annotated[bytes, Depends(signing_key)]


def qr_text(activity_id: UUID, token: str) -> str:
    """What the QR code holds: the app's check-in link naming the activity and the code."""
    return f"cppcc://consultations/activities/{activity_id}/checkin?token={quote(token, safe='')}"


async def _code(
    request: Request, activity_id: UUID, principal: Principal, session: SessionDep, key: bytes
) -> CheckinCode:
    now = request.app.state.runtime.clock.now()
    venue = await service.venue_code(session, principal, activity_id, key, now)
    return CheckinCode(
        activity_id=activity_id,
        token=venue.code.token,
        qr_text=qr_text(activity_id, venue.code.token),
        issued_at=venue.code.issued_at,
        refresh_at=venue.code.expires_at,
        expires_at=venue.code.accepted_until,
        checkin_opens_at=venue.window.opens_at,
        checkin_closes_at=venue.window.closes_at,
    )


_CODE_PROBLEMS = problems(ActivityNotFound, ActivityNotOpen, CheckinNotConfigured)
_NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/checkin-code",
    response_model=CheckinCode,
    responses=_CODE_PROBLEMS,
    summary="The venue's current check-in code (rotates every policy seconds; the office)",
)
async def checkin_code(
    activity_id: UUID, request: Request, response: Response, principal: Office, session: SessionDep, key: Key
) -> CheckinCode:
    response.headers.update(_NO_STORE)
    return await _code(request, activity_id, principal, session, key)


@router.get(
    "/checkin-code.png",
    response_class=Response,
    responses={
        200: {
            "description": "the current code as a QR image for the venue screen",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_CODE_PROBLEMS,
    },
    summary="The venue's current check-in code as a PNG QR image (the office)",
)
async def checkin_code_png(
    activity_id: UUID, request: Request, principal: Office, session: SessionDep, key: Key
) -> Response:
    code = await _code(request, activity_id, principal, session, key)
    image = io.BytesIO()
    segno.make(code.qr_text, error="m").save(image, kind="png", scale=10, border=4)
    refresh = max(1, int((code.refresh_at - request.app.state.runtime.clock.now()).total_seconds()))
    headers = {**_NO_STORE, "Refresh": str(refresh), "X-Checkin-Expires-At": code.expires_at.isoformat()}
    return Response(image.getvalue(), media_type="image/png", headers=headers)


@router.post(
    "/checkin",
    response_model=CheckinResult,
    responses=problems(
        ActivityNotFound,
        NotInvited,
        ActivityNotOpen,
        CheckinCodeInvalid,
        CheckinCodeExpired,
        CheckinClosed,
        CheckinNotConfigured,
    ),
    summary="Check in (first scan) or out (a later code) with the venue's code (an invitee, for themself)",
)
async def check_in(
    activity_id: UUID, body: CheckinRequest, change: Annotated[Change, Changing(TAKE_PART)], key: Key
) -> CheckinResult:
    scanned = await service.scan(change, activity_id, body.token, key)
    return CheckinResult(
        activity_id=scanned.activity_id,
        person_id=scanned.person_id,
        effect=scanned.effect,
        arrived_at=scanned.arrived_at,
        left_at=scanned.left_at,
    )
