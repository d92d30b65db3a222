"""Public-opinion report routes (社情民意信息, DOMAIN.md §3): parse → service → respond.

A member drafts, submits and (before review) withdraws their report and attaches material; the
office (staff with the `opinions` scope) edits, adopts or not, forwards, records leaders'
instructions and feedback; the author, the office and the leaders read (rule 28), nobody else.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.contracts.proposal import AdoptionLevel
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems, raw_body
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.uploads import ContentTypeHeader, FileNameHeader
from cppcc_common.validation import CleanStr
from cppcc_common.versioning import OptionalExpectedVersion, etag
from proposal_svc.attachments.domain import Purpose
from proposal_svc.attachments.errors import (
    AttachmentContentMismatch,
    AttachmentEmpty,
    AttachmentNotFound,
    AttachmentTooLarge,
    InvalidFileName,
    TooManyAttachments,
    UnsupportedAttachmentType,
)
from proposal_svc.attachments.schemas import AttachmentRead
from proposal_svc.attachments.uploads import download, download_responses, header_doc, receive
from proposal_svc.opinions import service
from proposal_svc.opinions.domain import Adoption, Recipient, Status
from proposal_svc.opinions.errors import (
    AlreadyConverted,
    DateInTheFuture,
    NothingToEdit,
    OpinionForbidden,
    OpinionIncomplete,
    OpinionInvalidTransition,
    OpinionNotFound,
    OpinionVersionMismatch,
)
from proposal_svc.opinions.models import OpinionReport
from proposal_svc.opinions.policy import OpinionPolicy
from proposal_svc.opinions.repository import Filters
from proposal_svc.opinions.schemas import (
    OpinionAdoptRequest,
    OpinionConvertRequest,
    OpinionDraft,
    OpinionDraftUpdate,
    OpinionFeedbackRequest,
    OpinionForwardRequest,
    OpinionHistoryEntry,
    OpinionHistoryPage,
    OpinionInstructionRequest,
    OpinionNotAdoptRequest,
    OpinionOfficeEdit,
    OpinionPolicyValues,
    OpinionReportPage,
    OpinionReportRead,
    OpinionReportSummary,
    OpinionWithdrawRequest,
)
from proposal_svc.proposals.errors import (
    NotACurrentMember,
    ProposalInvalidTransition,
    ProposalNotFound,
    ProposalVersionMismatch,
)
from proposal_svc.proposals.policy import DEFAULT_POLICY

router = APIRouter(prefix="/api/v1/opinions", tags=["opinions"])

# A member writes their own reports (the transition checks it is theirs).
WRITE = Permission("opinion.write", roles={"member"})
# Rule 28: the author, the office and the leaders read (`readable`); another member or staff
# without the scope reach the route and see nothing (404, an empty list); a unit's users and
# partner systems never reach it (403: reports are not handled by units).
READ = Permission("opinion.read", roles={"member", "staff", "leader"})
# The office handling reports (信息工作): staff with the `opinions` scope.
OFFICE = Permission("opinion.office", roles={"staff"}, scopes={"opinions"})
# Rule 7: the proposals office converts a not-filed proposal, or its first proposer asks for it.
CONVERT = Permission("opinion.convert", roles={"member", "staff"})

# The organization's report values: staff read them, administrators set them (as the proposal policy).
READ_POLICY = Permission("opinion.policy.read", roles={"staff", "admin"})
SET_POLICY = Permission("opinion.policy.set", roles={"admin"})

Writing = Annotated[Change, Changing(WRITE)]
PolicyReader = Annotated[Principal, Depends(READ_POLICY)]
SettingPolicy = Annotated[Change, Changing(SET_POLICY)]
Office = Annotated[Change, Changing(OFFICE)]
Reader = Annotated[Principal, Depends(READ)]

_WRITE_PROBLEMS = (OpinionNotFound, OpinionForbidden, OpinionInvalidTransition, OpinionVersionMismatch)


async def _respond(
    session: Any, principal: Principal, row: OpinionReport, response: Response
) -> OpinionReportRead:
    read = await service.view(session, principal, row)
    response.headers["ETag"] = etag(read.version)
    return read


@router.post(
    "",
    status_code=201,
    response_model=OpinionReportRead,
    responses=problems(OpinionIncomplete),
    summary="Draft a public-opinion report (一事一报: title, situation, analysis, suggestion)",
)
async def create_draft(body: OpinionDraft, change: Writing, response: Response) -> OpinionReportRead:
    row = await service.create_draft(change, body)
    response.headers["Location"] = f"/api/v1/opinions/{row.id}"
    return await _respond(change.session, change.person, row, response)


@router.get(
    "",
    response_model=OpinionReportPage,
    summary="Reports I may read, newest first: a member's own; the office's and leaders' whole list, filtered",
)
async def list_reports(
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    mine: Annotated[bool, Query(description="only the reports I wrote")] = False,
    status: Annotated[Status | None, Query()] = None,
    adoption_level: Annotated[AdoptionLevel | None, Query(description="the highest adoption level")] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="submitted in this year (Asia/Shanghai)")
    ] = None,
    q: Annotated[CleanStr | None, Query(max_length=100, description="text in the title or body")] = None,
) -> OpinionReportPage:
    filters = Filters(mine=mine, status=status, adoption_level=adoption_level, year=year, text=q or None)
    rows, next_cursor = await service.list_visible(session, principal, filters, cursor=cursor, limit=limit)
    return OpinionReportPage(
        items=[OpinionReportSummary.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/policy",
    response_model=OpinionPolicyValues,
    summary="My organization's public-opinion report values (staff, administrators)",
)
async def get_policy(principal: PolicyReader, session: SessionDep) -> OpinionPolicyValues:
    policy = await service.policy_of(session, principal.org)
    return OpinionPolicyValues.model_validate(policy.model_dump())


@router.put(
    "/policy",
    response_model=OpinionPolicyValues,
    summary="Set my organization's public-opinion report values, every value (admin; audited)",
)
async def put_policy(body: OpinionPolicyValues, change: SettingPolicy) -> OpinionPolicyValues:
    policy = await service.set_policy(change, OpinionPolicy.model_validate(body.model_dump()))
    return OpinionPolicyValues.model_validate(policy.model_dump())


@router.post(
    "/from-proposal/{proposal_id}",
    status_code=201,
    response_model=OpinionReportRead,
    responses=problems(
        ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch, AlreadyConverted
    ),
    summary="Convert a not-filed proposal into a report, linked both ways (rule 7): the proposals "
    "office, or the first proposer asking for it; If-Match is the proposal's version",
)
async def convert(
    proposal_id: UUID,
    change: Annotated[Change, Changing(CONVERT)],
    response: Response,
    expected: OptionalExpectedVersion,
    body: OpinionConvertRequest | None = None,
) -> OpinionReportRead:
    row = await service.convert(change, proposal_id, body.note if body else None, expected)
    response.headers["Location"] = f"/api/v1/opinions/{row.id}"
    return await _respond(change.session, change.person, row, response)


@router.get(
    "/{report_id}",
    response_model=OpinionReportRead,
    responses=problems(OpinionNotFound),
    summary="Read a report: its text as edited, its adoptions, forwards, instructions and feedback",
)
async def get_report(
    report_id: UUID, principal: Reader, session: SessionDep, response: Response
) -> OpinionReportRead:
    read = await service.read(session, principal, report_id)
    response.headers["ETag"] = etag(read.version)
    return read


async def _history(
    session: Any, principal: Principal, report_id: UUID, *, edits_only: bool, cursor: str | None, limit: int
) -> OpinionHistoryPage:
    """A page of the report's steps, or of the office's edits only (the two history routes)."""
    rows, next_cursor = await service.history(
        session, principal, report_id, edits_only=edits_only, cursor=cursor, limit=limit
    )
    return OpinionHistoryPage(
        items=[OpinionHistoryEntry.model_validate(h) for h in rows], next_cursor=next_cursor
    )


@router.get(
    "/{report_id}/history",
    response_model=OpinionHistoryPage,
    responses=problems(OpinionNotFound),
    summary="Every step of a report, oldest first: who, when, from, to, why",
)
async def get_history(
    report_id: UUID,
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> OpinionHistoryPage:
    return await _history(session, principal, report_id, edits_only=False, cursor=cursor, limit=limit)


@router.get(
    "/{report_id}/edits",
    response_model=OpinionHistoryPage,
    responses=problems(OpinionNotFound),
    summary="The office's edits of a report, oldest first, each with its author, time, and the text before and after",
)
async def get_edits(
    report_id: UUID,
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> OpinionHistoryPage:
    return await _history(session, principal, report_id, edits_only=True, cursor=cursor, limit=limit)


@router.patch(
    "/{report_id}",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS, OpinionIncomplete),
    summary="Edit my draft",
)
async def edit_draft(
    report_id: UUID,
    body: OpinionDraftUpdate,
    change: Writing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    row = await service.edit_draft(change, report_id, body.model_dump(exclude_unset=True), expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/submit",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS, OpinionIncomplete, NotACurrentMember),
    summary="Submit my report (a current member; complete and within the policy's length)",
)
async def submit(
    report_id: UUID, change: Writing, response: Response, expected: OptionalExpectedVersion
) -> OpinionReportRead:
    return await _respond(
        change.session, change.person, await service.submit(change, report_id, expected), response
    )


@router.post(
    "/{report_id}/withdraw",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS),
    summary="Withdraw my submitted report before the office reviewed it",
)
async def withdraw(
    report_id: UUID,
    change: Writing,
    response: Response,
    expected: OptionalExpectedVersion,
    body: OpinionWithdrawRequest | None = None,
) -> OpinionReportRead:
    row = await service.withdraw(change, report_id, body.reason if body else None, expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/edits",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS, OpinionIncomplete, NothingToEdit),
    summary="The office edits the title, analysis or suggestion (each edit kept with its author and time)",
)
async def office_edit(
    report_id: UUID,
    body: OpinionOfficeEdit,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    fields = body.model_dump(exclude_unset=True, exclude={"note"})
    row = await service.edit(change, report_id, fields, body.note, expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/adopt",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS),
    summary="Record an adoption: level, single or combined, and by whom (rule 27: the highest is kept)",
)
async def adopt(
    report_id: UUID,
    body: OpinionAdoptRequest,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    adoption = Adoption(body.level, body.mode)
    row = await service.adopt(change, report_id, adoption, body.adopted_by, body.note, expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/not-adopt",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS),
    summary="Do not adopt a report, with the reason the author is told",
)
async def not_adopt(
    report_id: UUID,
    body: OpinionNotAdoptRequest,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    row = await service.not_adopt(change, report_id, body.reason, expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/forwards",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS),
    summary="Forward an adopted report to its recipients (national or provincial CPPCC, the city's "
    "Party committee and government, departments)",
)
async def forward(
    report_id: UUID,
    body: OpinionForwardRequest,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    recipients = [Recipient(r.kind, r.name) for r in body.recipients]
    row = await service.forward(change, report_id, recipients, expected)
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/instructions",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS, DateInTheFuture),
    summary="Record a leader's written instruction (批示): level, leader, text (rule 27)",
)
async def instruct(
    report_id: UUID,
    body: OpinionInstructionRequest,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    row = await service.instruct(
        change,
        report_id,
        level=body.level,
        leader=body.leader,
        text=body.text,
        instructed_on=body.instructed_on,
        expected=expected,
    )
    return await _respond(change.session, change.person, row, response)


@router.post(
    "/{report_id}/feedback",
    response_model=OpinionReportRead,
    responses=problems(*_WRITE_PROBLEMS, DateInTheFuture),
    summary="Record feedback (反馈) received on an adopted report",
)
async def feedback(
    report_id: UUID,
    body: OpinionFeedbackRequest,
    change: Office,
    response: Response,
    expected: OptionalExpectedVersion,
) -> OpinionReportRead:
    row = await service.record_feedback(
        change, report_id, source=body.source, text=body.text, received_on=body.received_on, expected=expected
    )
    return await _respond(change.session, change.person, row, response)


# ---- attachments of the author's draft ---------------------------------------------------------


@router.post(
    "/{report_id}/attachments",
    status_code=201,
    response_model=AttachmentRead,
    responses={
        201: {"headers": {"Location": header_doc("the attachment")}},
        **problems(
            *_WRITE_PROBLEMS,
            AttachmentTooLarge,
            UnsupportedAttachmentType,
            AttachmentContentMismatch,
            AttachmentEmpty,
            InvalidFileName,
            TooManyAttachments,
        ),
    },
    openapi_extra=raw_body(*DEFAULT_POLICY.attachment_types),
    summary="Attach a file to my draft report (raw file body; type in Content-Type, name in X-Filename)",
)
async def add_attachment(
    report_id: UUID,
    change: Writing,
    request: Request,
    response: Response,
    content_type: ContentTypeHeader,
    file_name: FileNameHeader,
    expected: OptionalExpectedVersion,
) -> AttachmentRead:
    rules, upload = await receive(change, request, content_type, file_name, Purpose.MATERIAL)
    attachment, report = await service.add_attachment(change, report_id, upload, expected, rules)
    response.headers["Location"] = f"/api/v1/opinions/{report_id}/attachments/{attachment.id}"
    response.headers["ETag"] = etag(report.version)
    return AttachmentRead.model_validate(attachment)


@router.get(
    "/{report_id}/attachments",
    response_model=list[AttachmentRead],
    responses=problems(OpinionNotFound),
    summary="The attachments of a report I may read",
)
async def list_attachments(report_id: UUID, principal: Reader, session: SessionDep) -> list[AttachmentRead]:
    return [
        AttachmentRead.model_validate(a)
        for a in await service.list_attachments(session, principal, report_id)
    ]


@router.get(
    "/{report_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=download_responses(OpinionNotFound, AttachmentNotFound),
    summary="Download an attachment of a report I may read",
)
async def download_attachment(
    report_id: UUID, attachment_id: UUID, principal: Reader, session: SessionDep
) -> Response:
    attachment, content = await service.read_attachment(session, principal, report_id, attachment_id)
    return download(attachment, content)


@router.delete(
    "/{report_id}/attachments/{attachment_id}",
    status_code=204,
    response_class=Response,
    responses=problems(*_WRITE_PROBLEMS, AttachmentNotFound),
    summary="Remove an attachment from my draft report",
)
async def remove_attachment(
    report_id: UUID, attachment_id: UUID, change: Writing, expected: OptionalExpectedVersion
) -> Response:
    await service.remove_attachment(change, report_id, attachment_id, expected)
    return Response(status_code=204)
