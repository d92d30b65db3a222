"""Outcome routes: parse → service → respond (DOMAIN.md §4 "Outcomes", rules 22 and 28).

The consultation office (staff with the `consultation` scope) drafts, sends and tracks outcomes;
leaders read every sent one and the year's tracking report; the responsible department's users
and partner client read their own outcomes and record their feedback. Nobody else sees any."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from consultation_svc.attachments import transfer
from consultation_svc.outcomes import service
from consultation_svc.outcomes.domain import Status
from consultation_svc.outcomes.errors import (
    ActivityCancelled,
    ActivityNotFound,
    DateBeforeSending,
    DateInTheFuture,
    DueDateNotLater,
    DuplicateRecipient,
    OutcomeInvalidTransition,
    OutcomeNotFound,
    OutcomeVersionMismatch,
    ResponsibleRecipientRequired,
    TextRequired,
    UnitRecipientNeedsDepartment,
    UnknownUnit,
)
from consultation_svc.outcomes.policy import DEFAULT_POLICY
from consultation_svc.outcomes.repository import acts_as_office, acts_for_unit
from consultation_svc.outcomes.schemas import (
    DueDateIn,
    FeedbackIn,
    FollowUpIn,
    FollowUpRead,
    InstructionIn,
    InstructionRead,
    OutcomeAttachmentRead,
    OutcomeCreate,
    OutcomePage,
    OutcomePatch,
    OutcomeRead,
    TrackingReport,
)
from consultation_svc.outcomes.spreadsheet import XLSX
from cppcc_common.attachments import AttachmentNotFound
from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.uploads import ContentTypeHeader, FileNameHeader
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag

router = APIRouter(prefix="/api/v1/consultations", tags=["outcomes"])

# The consultation office drafts, sends, records instructions, moves due dates, follows up.
OFFICE = Permission("consultation.outcome.write", roles={"staff"}, scopes={"consultation"})
# Who may reach the reads at all; which outcomes is `readable` (rule 28): the office all, leaders
# the sent ones, a unit those it is responsible for.
READ = Permission("consultation.outcome.read", roles={"staff", "leader", "unit_user", "partner"})
# Rule 22: the feedback is recorded by the office or by the responsible unit (users, partner client).
FEEDBACK = Permission(
    "consultation.outcome.feedback",
    roles={"staff", "unit_user", "partner"},
    rule=lambda p: acts_as_office(p) or acts_for_unit(p) is not None,
)
# The year-end tracking report: the office and the leaders.
TRACKING = Permission(
    "consultation.outcome.tracking",
    roles={"staff", "leader"},
    rule=lambda p: p.has_role("leader") or acts_as_office(p),
)

Office = Annotated[Change, Changing(OFFICE)]
Reader = Annotated[Principal, Depends(READ)]
Tracker = Annotated[Principal, Depends(TRACKING)]
Year = Annotated[int, Path(ge=2000, le=2100, description="the year of the activities (Asia/Shanghai)")]

_WRITE = (OutcomeNotFound, OutcomeInvalidTransition, OutcomeVersionMismatch)
_RECIPIENTS = (DuplicateRecipient, UnknownUnit, UnitRecipientNeedsDepartment)


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.runtime.clock.now()
    return now


def _header_doc(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


async def _read(change: Change, outcome_id: UUID, response: Response) -> OutcomeRead:
    read = await service.read(change.session, change.person, outcome_id, change.now)
    response.headers["ETag"] = etag(read.version)
    return read


@router.get(
    "/outcome-tracking/{year}",
    response_model=TrackingReport,
    summary="The year-end tracking report: every outcome of the year with its state (office, leaders)",
)
async def tracking(year: Year, principal: Tracker, session: SessionDep, request: Request) -> TrackingReport:
    return await service.tracking_report(session, principal, year, _now(request))


@router.get(
    "/outcome-tracking/{year}/workbook",
    response_class=Response,
    responses={
        200: {
            "description": "the tracking report as an Excel workbook, in the office's column order",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {"Content-Disposition": _header_doc("attachment; filename of the workbook")},
        }
    },
    summary="The year-end tracking report as .xlsx (office, leaders)",
)
async def tracking_workbook(
    year: Year, principal: Tracker, session: SessionDep, request: Request
) -> Response:
    content = await service.tracking_workbook(session, principal, year, _now(request))
    name = f"outcome-tracking-{year}.xlsx"
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-cache",
        },
    )


@router.post(
    "/outcomes",
    status_code=201,
    response_model=OutcomeRead,
    responses={
        201: {"headers": {"Location": _header_doc("the outcome"), "ETag": _header_doc("its version")}},
        **problems(ActivityNotFound, ActivityCancelled, *_RECIPIENTS),
    },
    summary="Draft an outcome of an activity (minutes, recommendation, report, brief; the office)",
)
async def create(body: OutcomeCreate, change: Office, response: Response) -> OutcomeRead:
    outcome = await service.create(change, body)
    response.headers["Location"] = f"/api/v1/consultations/outcomes/{outcome.id}"
    return await _read(change, outcome.id, response)


@router.get(
    "/outcomes",
    response_model=OutcomePage,
    summary="The outcomes I may read, newest first (the office all; leaders sent ones; a unit its own)",
)
async def list_outcomes(
    principal: Reader,
    session: SessionDep,
    request: Request,
    activity_id: Annotated[UUID | None, Query(description="only this activity's")] = None,
    status: Annotated[Status | None, Query(description="only in this status")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="only of this year")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> OutcomePage:
    items, next_cursor = await service.list_outcomes(
        session,
        principal,
        _now(request),
        activity_id=activity_id,
        status=status,
        year=year,
        cursor=cursor,
        limit=limit,
    )
    return OutcomePage(items=items, next_cursor=next_cursor)


@router.get(
    "/outcomes/{outcome_id}",
    response_model=OutcomeRead,
    responses={200: {"headers": {"ETag": _header_doc("its version")}}, **problems(OutcomeNotFound)},
    summary="An outcome with its recipients, instructions, feedback, follow-ups and attachments",
)
async def read(
    outcome_id: UUID, principal: Reader, session: SessionDep, request: Request, response: Response
) -> OutcomeRead:
    outcome = await service.read(session, principal, outcome_id, _now(request))
    response.headers["ETag"] = etag(outcome.version)
    return outcome


@router.patch(
    "/outcomes/{outcome_id}",
    response_model=OutcomeRead,
    responses=problems(*_WRITE, *_RECIPIENTS),
    summary="Edit a draft outcome (If-Match required)",
)
async def edit(
    outcome_id: UUID, body: OutcomePatch, change: Office, expected: ExpectedVersion, response: Response
) -> OutcomeRead:
    await service.edit(change, outcome_id, body, expected)
    return await _read(change, outcome_id, response)


@router.post(
    "/outcomes/{outcome_id}/submit",
    response_model=OutcomeRead,
    responses=problems(*_WRITE, ResponsibleRecipientRequired, TextRequired),
    summary="Send the outcome to its recipients; the feedback is due after the policy's months (rule 22)",
)
async def submit(
    outcome_id: UUID, change: Office, expected: OptionalExpectedVersion, response: Response
) -> OutcomeRead:
    await service.submit(change, outcome_id, expected)
    return await _read(change, outcome_id, response)


@router.post(
    "/outcomes/{outcome_id}/instructions",
    status_code=201,
    response_model=InstructionRead,
    responses=problems(*_WRITE, DateInTheFuture, DateBeforeSending, TextRequired),
    summary="Record a leader's instruction (批示) on a sent outcome",
)
async def record_instruction(
    outcome_id: UUID, body: InstructionIn, change: Office, expected: OptionalExpectedVersion
) -> InstructionRead:
    row = await service.record_instruction(change, outcome_id, body, expected)
    return InstructionRead.model_validate(row)


@router.post(
    "/outcomes/{outcome_id}/feedback",
    response_model=OutcomeRead,
    responses=problems(*_WRITE, DateInTheFuture, DateBeforeSending, TextRequired),
    summary="Record the responsible department's feedback (the office or the unit itself; rule 22)",
)
async def record_feedback(
    outcome_id: UUID,
    body: FeedbackIn,
    change: Annotated[Change, Changing(FEEDBACK)],
    expected: OptionalExpectedVersion,
    response: Response,
) -> OutcomeRead:
    await service.record_feedback(change, outcome_id, body, expected)
    return await _read(change, outcome_id, response)


@router.put(
    "/outcomes/{outcome_id}/feedback-due-date",
    response_model=OutcomeRead,
    responses=problems(*_WRITE, DueDateNotLater, TextRequired),
    summary="Move the feedback due date, with a reason (audited; the overdue is armed again, rule 22)",
)
async def change_due_date(
    outcome_id: UUID, body: DueDateIn, change: Office, expected: OptionalExpectedVersion, response: Response
) -> OutcomeRead:
    await service.change_due_date(change, outcome_id, body, expected)
    return await _read(change, outcome_id, response)


@router.post(
    "/outcomes/{outcome_id}/follow-ups",
    status_code=201,
    response_model=FollowUpRead,
    responses=problems(*_WRITE),
    summary="Add a follow-up note (跟踪督办) to a sent outcome",
)
async def add_follow_up(
    outcome_id: UUID, body: FollowUpIn, change: Office, expected: OptionalExpectedVersion
) -> FollowUpRead:
    return FollowUpRead.model_validate(await service.add_follow_up(change, outcome_id, body, expected))


@router.post(
    "/outcomes/{outcome_id}/attachments",
    status_code=201,
    response_model=OutcomeAttachmentRead,
    **transfer.upload_doc(DEFAULT_POLICY.attachment_types, *_WRITE),
    summary="Attach a file to a draft outcome (raw file body; an EDIT of the draft: If-Match optional)",
    description=(
        "文件作为请求体上传，Content-Type 为文件类型（组织策略允许的类型），X-Filename 为文件名。"
        "大小、类型、数量以组织策略为准；PDF、PNG、JPEG、Word、Excel 文件须名副其实。"
    ),
)
async def add_attachment(
    outcome_id: UUID,
    change: Office,
    request: Request,
    response: Response,
    content_type: ContentTypeHeader,
    file_name: FileNameHeader,
    expected: OptionalExpectedVersion,
) -> OutcomeAttachmentRead:
    rules = await service.policy(change)
    upload = await transfer.receive(request, content_type, file_name, rules, purpose="material")
    row = await service.add_attachment(change, outcome_id, upload, expected, rules)
    response.headers["Location"] = f"/api/v1/consultations/outcomes/{outcome_id}/attachments/{row.id}"
    return OutcomeAttachmentRead.model_validate(row)


@router.get(
    "/outcomes/{outcome_id}/attachments",
    response_model=list[OutcomeAttachmentRead],
    responses=problems(OutcomeNotFound),
    summary="The attachments of an outcome I may read (at most the policy's count)",
)
async def list_attachments(
    outcome_id: UUID, principal: Reader, session: SessionDep
) -> list[OutcomeAttachmentRead]:
    return [
        OutcomeAttachmentRead.model_validate(a)
        for a in await service.list_attachments(session, principal, outcome_id)
    ]


@router.get(
    "/outcomes/{outcome_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=transfer.download_doc(DEFAULT_POLICY.attachment_types, OutcomeNotFound),
    summary="Download an attachment of an outcome I may read",
)
async def download_attachment(
    outcome_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    return transfer.file_response(
        *await service.read_attachment(session, principal, outcome_id, attachment_id)
    )


@router.delete(
    "/outcomes/{outcome_id}/attachments/{attachment_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*_WRITE, AttachmentNotFound),
    summary="Remove an attachment from a draft outcome (an EDIT of the draft: If-Match optional)",
)
async def remove_attachment(
    outcome_id: UUID, attachment_id: UUID, change: Office, expected: OptionalExpectedVersion
) -> Response:
    await service.remove_attachment(change, outcome_id, attachment_id, expected)
    return Response(status_code=204)
