"""Proposal routes: parse → authorize → service → respond."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import ReadConnectionDep, SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag
from proposal_svc.opinions import service as opinions
from proposal_svc.opinions.errors import AlreadyConverted
from proposal_svc.proposals import service
from proposal_svc.proposals.domain import Status
from proposal_svc.proposals.errors import (
    CosignDeadlinePassed,
    CosignersInvalid,
    CosignInvalidTransition,
    MeetingInTheFuture,
    MeetingRequired,
    MergeTargetNotFiled,
    MergeTargetNotFound,
    NotACurrentMember,
    NoteRequired,
    ProposalAlreadyKey,
    ProposalIncomplete,
    ProposalInvalidTransition,
    ProposalNotFound,
    ProposalVersionMismatch,
    SupervisorNotALeader,
    UnknownRefusalReason,
    WithdrawReasonRequired,
)
from proposal_svc.proposals.schemas import (
    CosignRequest,
    KeyDesignation,
    MergeRequest,
    NotFileRequest,
    ProposalDraft,
    ProposalPage,
    ProposalRead,
    ProposalUpdate,
    ReturnRequest,
    WithdrawRequest,
)

router = APIRouter(prefix="/api/v1/proposals", tags=["proposals"])

DRAFT = Permission("proposal.draft", roles={"member"})
READ = Permission("proposal.read", roles={"member", "staff", "leader", "unit_user", "partner"})
# The proposals office: review (file, return, not file, merge) and key designation.
REVIEW = Permission("proposal.review", roles={"staff"}, scopes={"proposals"})
SUPERVISE = Permission("proposal.supervised", roles={"leader"})

Drafting = Annotated[Change, Changing(DRAFT)]
Reviewing = Annotated[Change, Changing(REVIEW)]
Reader = Annotated[Principal, Depends(READ)]
Supervisor = Annotated[Principal, Depends(SUPERVISE)]
# What every office action on a proposal may answer besides its own rule's errors.
_REVIEW_PROBLEMS = (ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch)


def _respond(proposal: object, response: Response) -> ProposalRead:
    read = ProposalRead.model_validate(proposal)
    response.headers["ETag"] = etag(read.version)
    return read


@router.post(
    "",
    status_code=201,
    response_model=ProposalRead,
    responses=problems(ProposalIncomplete, CosignersInvalid),
    summary="Create a proposal draft (with co-signers to invite on submission)",
)
async def create_draft(body: ProposalDraft, change: Drafting, response: Response) -> ProposalRead:
    proposal = await service.create_draft(change, body)
    response.headers["Location"] = f"/api/v1/proposals/{proposal.id}"
    return _respond(proposal, response)


@router.get("", response_model=ProposalPage, summary="List proposals visible to me")
async def list_proposals(
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    status: Annotated[Status | None, Query()] = None,
    mine: bool = False,
) -> ProposalPage:
    rows, next_cursor = await service.list_visible(
        session, principal=principal, mine=mine, status=status, cursor=cursor, limit=limit
    )
    return ProposalPage(items=[ProposalRead.model_validate(p) for p in rows], next_cursor=next_cursor)


@router.get(
    "/supervised",
    response_model=ProposalPage,
    summary="The key proposals I supervise (leaders)",
)
async def list_supervised(
    principal: Supervisor, session: SessionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ProposalPage:
    rows, next_cursor = await service.list_supervised(session, principal, cursor=cursor, limit=limit)
    return ProposalPage(items=[ProposalRead.model_validate(p) for p in rows], next_cursor=next_cursor)


@router.get(
    "/{proposal_id}",
    response_model=ProposalRead,
    responses=problems(ProposalNotFound),
    summary="Read one proposal",
)
async def get_proposal(
    proposal_id: UUID, principal: Reader, conn: ReadConnectionDep, response: Response
) -> ProposalRead:
    return _respond(await service.read_visible(conn, principal, proposal_id), response)


@router.patch(
    "/{proposal_id}",
    response_model=ProposalRead,
    responses=problems(
        ProposalNotFound,
        ProposalInvalidTransition,
        ProposalIncomplete,
        ProposalVersionMismatch,
        CosignersInvalid,
    ),
    summary="Edit my draft and its co-signers (If-Match)",
)
async def update_draft(
    proposal_id: UUID,
    body: ProposalUpdate,
    change: Drafting,
    response: Response,
    expected: ExpectedVersion,
) -> ProposalRead:
    proposal = await service.update_draft(change, proposal_id, body, expected)
    return _respond(proposal, response)


@router.post(
    "/{proposal_id}/submit",
    response_model=ProposalRead,
    responses=problems(
        ProposalNotFound,
        ProposalInvalidTransition,
        ProposalIncomplete,
        ProposalVersionMismatch,
        NotACurrentMember,
    ),
    summary="Submit my draft",
)
async def submit(
    proposal_id: UUID, change: Drafting, response: Response, expected: OptionalExpectedVersion
) -> ProposalRead:
    proposal = await service.submit(change, proposal_id, expected)
    return _respond(proposal, response)


@router.post(
    "/{proposal_id}/cosign",
    response_model=ProposalRead,
    responses=problems(
        ProposalNotFound,
        ProposalInvalidTransition,
        ProposalVersionMismatch,
        CosignInvalidTransition,
        CosignDeadlinePassed,
    ),
    summary="Confirm or decline my invitation to co-sign (before the deadline)",
)
async def cosign(
    proposal_id: UUID,
    body: CosignRequest,
    change: Drafting,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    proposal = await service.answer_cosign(change, proposal_id, body.answer, expected)
    return _respond(proposal, response)


@router.post(
    "/{proposal_id}/withdraw",
    response_model=ProposalRead,
    responses=problems(
        ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch, WithdrawReasonRequired
    ),
    summary="Withdraw my proposal before it is assigned",
)
async def withdraw(
    proposal_id: UUID,
    body: WithdrawRequest,
    change: Drafting,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    proposal = await service.withdraw(change, proposal_id, body.reason, expected)
    return _respond(proposal, response)


@router.delete(
    "/{proposal_id}",
    status_code=204,
    responses=problems(ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch),
    summary="Delete my draft",
)
async def delete_draft(proposal_id: UUID, change: Drafting, expected: OptionalExpectedVersion) -> Response:
    await service.delete_draft(change, proposal_id, expected)
    return Response(status_code=204)


@router.post(
    "/{proposal_id}/file",
    response_model=ProposalRead,
    responses=problems(*_REVIEW_PROBLEMS),
    summary="File a submitted proposal with its number (立案)",
)
async def file(
    proposal_id: UUID, change: Reviewing, response: Response, expected: OptionalExpectedVersion
) -> ProposalRead:
    return _respond(await service.file(change, proposal_id, expected), response)


@router.post(
    "/{proposal_id}/return",
    response_model=ProposalRead,
    responses=problems(*_REVIEW_PROBLEMS, NoteRequired),
    summary="Return a submitted proposal for revision with a note (退回修改)",
)
async def return_for_revision(
    proposal_id: UUID,
    body: ReturnRequest,
    change: Reviewing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    return _respond(await service.return_for_revision(change, proposal_id, body.note, expected), response)


@router.post(
    "/{proposal_id}/not-file",
    response_model=ProposalRead,
    responses=problems(*_REVIEW_PROBLEMS, UnknownRefusalReason, AlreadyConverted),
    summary="Do not file a proposal: a reason from the list and a disposition (不予立案); "
    "convert_to_opinion makes it a public-opinion report now, linked both ways (rule 7)",
)
async def not_file(
    proposal_id: UUID,
    body: NotFileRequest,
    change: Reviewing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    convert = opinions.create_from_proposal  # rule 7: `convert_to_opinion` creates the report now
    proposal = await service.not_file(
        change, proposal_id, body.reason, body.disposition, expected, convert=convert
    )
    return _respond(proposal, response)


@router.post(
    "/{proposal_id}/merge",
    response_model=ProposalRead,
    responses=problems(*_REVIEW_PROBLEMS, MergeTargetNotFound, MergeTargetNotFiled),
    summary="Merge a submitted proposal into a filed one, keeping every proposer (并案)",
)
async def merge(
    proposal_id: UUID,
    body: MergeRequest,
    change: Reviewing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    return _respond(await service.merge(change, proposal_id, body.into_id, expected), response)


@router.post(
    "/{proposal_id}/key",
    response_model=ProposalRead,
    responses=problems(
        *_REVIEW_PROBLEMS, ProposalAlreadyKey, MeetingRequired, MeetingInTheFuture, SupervisorNotALeader
    ),
    summary="Designate a key proposal: the approving meeting and the supervising leaders (重点提案)",
)
async def designate_key(
    proposal_id: UUID,
    body: KeyDesignation,
    change: Reviewing,
    response: Response,
    expected: OptionalExpectedVersion,
) -> ProposalRead:
    proposal = await service.designate_key(
        change,
        proposal_id,
        meeting=body.meeting,
        meeting_on=body.meeting_on,
        supervisor_ids=body.supervisor_ids,
        expected=expected,
    )
    return _respond(proposal, response)
