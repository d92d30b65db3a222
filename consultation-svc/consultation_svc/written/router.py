"""Written consultation routes (书面协商): parse → service → respond."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from consultation_svc.participation.errors import ActivityNotFound, ActivityNotOpen, NotInvited, WrongForm
from consultation_svc.participation.permissions import OFFICE, READ, TAKE_PART
from consultation_svc.written import domain, service
from consultation_svc.written.errors import (
    DueInThePast,
    OpinionNotFound,
    OpinionsClosed,
    WrittenConsultationNotFound,
    WrittenVersionMismatch,
)
from consultation_svc.written.models import WrittenConsultation
from consultation_svc.written.schemas import (
    OpinionPage,
    OpinionRead,
    OpinionWrite,
    WrittenConsultationRead,
    WrittenConsultationWrite,
)
from cppcc_common.auth import Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import OptionalExpectedVersion, etag

router = APIRouter(
    prefix="/api/v1/consultations/activities/{activity_id}/written-consultation",
    tags=["written consultation"],
)
Reader = Annotated[Principal, Depends(READ)]
_SEEN = (ActivityNotFound, NotInvited)


def _read(row: WrittenConsultation, opinions: int | None, now: datetime) -> WrittenConsultationRead:
    return WrittenConsultationRead(
        activity_id=row.activity_id,
        document=row.document,
        due_at=row.due_at,
        open=domain.is_open(row.due_at, now),
        opinions=opinions,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


@router.put(
    "",
    response_model=WrittenConsultationRead,
    responses={
        201: {"description": "sent out", "model": WrittenConsultationRead},
        **problems(*_SEEN, WrongForm, ActivityNotOpen, DueInThePast, WrittenVersionMismatch),
    },
    summary="Send the document out for written opinions by a due date, or amend it (the office)",
)
async def send_out(
    activity_id: UUID,
    body: WrittenConsultationWrite,
    change: Annotated[Change, Changing(OFFICE)],
    expected: OptionalExpectedVersion,
    response: Response,
) -> WrittenConsultationRead:
    row, created = await service.send_out(change, activity_id, body.document, body.due_at, expected)
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(row.version)
    return _read(row, None, change.now)


@router.get(
    "",
    response_model=WrittenConsultationRead,
    responses=problems(*_SEEN, WrittenConsultationNotFound),
    summary="The document out for written opinions and its due date",
)
async def read(
    activity_id: UUID, principal: Reader, session: SessionDep, request: Request, response: Response
) -> WrittenConsultationRead:
    row, opinions = await service.read(session, principal, activity_id)
    response.headers["ETag"] = etag(row.version)
    return _read(row, opinions, request.app.state.runtime.clock.now())


@router.put(
    "/opinion",
    response_model=OpinionRead,
    responses={
        201: {"description": "submitted", "model": OpinionRead},
        **problems(
            *_SEEN, ActivityNotOpen, WrittenConsultationNotFound, OpinionsClosed, WrittenVersionMismatch
        ),
    },
    summary="Submit my opinion, or revise it until the due date (an invitee)",
)
async def submit(
    activity_id: UUID,
    body: OpinionWrite,
    change: Annotated[Change, Changing(TAKE_PART)],
    expected: OptionalExpectedVersion,
    response: Response,
) -> OpinionRead:
    opinion, created = await service.submit(change, activity_id, body.text, expected)
    response.status_code = 201 if created else 200
    response.headers["ETag"] = etag(opinion.version)
    return OpinionRead.model_validate(opinion)


@router.get(
    "/opinion",
    response_model=OpinionRead,
    responses=problems(*_SEEN, OpinionNotFound),
    summary="My opinion",
)
async def my_opinion(
    activity_id: UUID,
    principal: Annotated[Principal, Depends(TAKE_PART)],
    session: SessionDep,
    response: Response,
) -> OpinionRead:
    opinion = await service.mine(session, principal, activity_id)
    response.headers["ETag"] = etag(opinion.version)
    return OpinionRead.model_validate(opinion)


@router.get(
    "/opinions",
    response_model=OpinionPage,
    responses=problems(*_SEEN, WrittenConsultationNotFound),
    summary="The opinions (the office and leaders: every one; an invitee: their own)",
)
async def list_opinions(
    activity_id: UUID,
    principal: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> OpinionPage:
    rows, next_cursor = await service.page(session, principal, activity_id, cursor, limit)
    return OpinionPage(items=[OpinionRead.model_validate(r) for r in rows], next_cursor=next_cursor)
