"""Handling routes (/api/v1/proposals/{id}/…): parse → service → respond.

The office (staff with the `proposals` scope) assigns and decides reassignments and corrects reply
classes; a handling unit — its users (`unit_user`) and its partner client (`partner`), bound to it
by the `unit` claim — does its own assignment's steps. Forbidden objects are 404.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.errors import AppError
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag
from proposal_svc.handling import service
from proposal_svc.handling.errors import (
    AssignmentInvalid,
    AssignmentInvalidTransition,
    AssignmentNotFound,
    AssignmentVersionMismatch,
    CommunicationInTheFuture,
    CommunicationRequired,
    CountersignMissing,
    ExtensionInvalid,
    FaceToFaceRequired,
    MergedLettersInvalid,
    ReassignmentWindowClosed,
    ReassignToSameUnit,
    ReplyNotFound,
    ReplyVersionMismatch,
    TextRequired,
    UnknownReplyClass,
)
from proposal_svc.handling.models import Assignment, Reply, ReplyClassCorrection, ReplyLetter
from proposal_svc.handling.schemas import (
    AssignmentRead,
    AssignRequest,
    ClassCorrection,
    ClassCorrectionRead,
    CommunicationPage,
    CommunicationRead,
    CommunicationRequest,
    ExtensionRead,
    ExtensionRequest,
    Handling,
    MergedLetterRead,
    ReassignmentRequest,
    ReassignRequest,
    RefuseReassignment,
    ReplyRead,
    ReplyRequest,
    ViewsRequest,
)
from proposal_svc.proposals.domain import Status
from proposal_svc.proposals.errors import ProposalInvalidTransition, ProposalNotFound, ProposalVersionMismatch
from proposal_svc.proposals.models import Proposal

router = APIRouter(prefix="/api/v1/proposals", tags=["handling"])

# The office's handling decisions (rules 9, 10, 15).
ASSIGN = Permission("proposal.assign", roles={"staff"}, scopes={"proposals"})
# A unit's steps on its own assignment (its users and its partner client).
HANDLE = Permission("proposal.handle", roles={"unit_user", "partner"})
HANDLING_READ = Permission(
    "proposal.handling.read", roles={"member", "staff", "leader", "unit_user", "partner"}
)

Assigning = Annotated[Change, Changing(ASSIGN)]
Handling_ = Annotated[Change, Changing(HANDLE)]
Reader = Annotated[Principal, Depends(HANDLING_READ)]
# Rule 12: an assignment's extensions are read by the office and the assigned unit only.
EXTENSIONS_READ = Permission("proposal.extension.read", roles={"staff", "unit_user", "partner"})
ExtensionReader = Annotated[Principal, Depends(EXTENSIONS_READ)]

# What every step on an assignment may answer besides its own rule's errors.
_STEP: tuple[type[AppError], ...] = (
    ProposalNotFound,
    AssignmentNotFound,
    AssignmentInvalidTransition,
    AssignmentVersionMismatch,
)


def _assignment(row: Assignment, response: Response) -> AssignmentRead:
    response.headers["ETag"] = etag(row.version)
    return AssignmentRead.model_validate(row)


def _handling(proposal: Proposal, rows: list[Assignment], internal: bool) -> Handling:
    """The assignments; without the co-handlers' views and the reassignment reasons unless `internal`."""
    hidden = {} if internal else {"views": None, "reassignment_reason": None}
    return Handling(
        proposal_id=proposal.id,
        proposal_status=Status(proposal.status),
        proposal_version=proposal.version,
        assignments=[AssignmentRead.model_validate(r).model_copy(update=hidden) for r in rows],
    )


def _reply(
    row: Reply, corrections: list[ReplyClassCorrection], letters: list[ReplyLetter] | None = None
) -> ReplyRead:
    read = ReplyRead.model_validate(row)
    return read.model_copy(
        update={
            "corrections": [ClassCorrectionRead.model_validate(c) for c in corrections],
            "merged_letters": [MergedLetterRead.model_validate(x) for x in letters or []],
        }
    )


@router.post(
    "/{proposal_id}/assignments",
    status_code=201,
    response_model=Handling,
    responses=problems(
        ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch, AssignmentInvalid
    ),
    summary="Assign a filed proposal: a lead unit with co-handlers, or split handling (office)",
)
async def assign(
    proposal_id: UUID,
    body: AssignRequest,
    change: Assigning,
    response: Response,
    expected: OptionalExpectedVersion,
) -> Handling:
    proposal, rows = await service.assign(change, proposal_id, body, expected)
    response.headers["ETag"] = etag(proposal.version)
    return _handling(proposal, rows, True)  # the office, which sees every assignment


@router.get(
    "/{proposal_id}/assignments",
    response_model=Handling,
    responses=problems(ProposalNotFound),
    summary="The proposal's assignments (a unit sees its own)",
)
async def list_assignments(proposal_id: UUID, principal: Reader, session: SessionDep) -> Handling:
    return _handling(*await service.handling_of(session, principal, proposal_id))


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/accept",
    response_model=AssignmentRead,
    responses=problems(*_STEP, ProposalInvalidTransition),
    summary="Accept my unit's assignment (lead or split unit)",
)
async def accept(
    proposal_id: UUID,
    assignment_id: UUID,
    change: Handling_,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    return _assignment(await service.accept(change, proposal_id, assignment_id, expected), response)


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/reassignment-request",
    response_model=AssignmentRead,
    responses=problems(*_STEP, ReassignmentWindowClosed, TextRequired),
    summary="Ask the office to reassign my unit's part, with a reason, within the window (rule 10)",
)
async def request_reassignment(
    proposal_id: UUID,
    assignment_id: UUID,
    body: ReassignmentRequest,
    change: Handling_,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    row = await service.request_reassignment(change, proposal_id, assignment_id, body.reason, expected)
    return _assignment(row, response)


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/reassign",
    status_code=201,
    response_model=AssignmentRead,
    responses=problems(*_STEP, ReassignToSameUnit),
    summary="Reassign a unit's part to another unit, on its request (office; rule 10)",
)
async def reassign(
    proposal_id: UUID,
    assignment_id: UUID,
    body: ReassignRequest,
    change: Assigning,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    return _assignment(
        await service.reassign(change, proposal_id, assignment_id, body.unit_id, expected), response
    )


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/refuse-reassignment",
    response_model=AssignmentRead,
    responses=problems(*_STEP),
    summary="Refuse a unit's reassignment request: it keeps its part (office)",
)
async def refuse_reassignment(
    proposal_id: UUID,
    assignment_id: UUID,
    body: RefuseReassignment,
    change: Assigning,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    row = await service.refuse_reassignment(change, proposal_id, assignment_id, body.note, expected)
    return _assignment(row, response)


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/views",
    response_model=AssignmentRead,
    responses=problems(*_STEP, TextRequired),
    summary="Send my co-handling unit's views to the lead unit (rule 11)",
)
async def send_views(
    proposal_id: UUID,
    assignment_id: UUID,
    body: ViewsRequest,
    change: Handling_,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    return _assignment(
        await service.send_views(change, proposal_id, assignment_id, body.views, expected), response
    )


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/countersign",
    response_model=AssignmentRead,
    responses=problems(*_STEP),
    summary="Countersign the lead unit's reply as a co-handler (rule 14)",
)
async def countersign(
    proposal_id: UUID,
    assignment_id: UUID,
    change: Handling_,
    response: Response,
    expected: OptionalExpectedVersion,
) -> AssignmentRead:
    return _assignment(await service.countersign(change, proposal_id, assignment_id, expected), response)


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/communications",
    status_code=201,
    response_model=CommunicationRead,
    responses=problems(*_STEP, CommunicationInTheFuture, TextRequired),
    summary="Record a communication with the proposer (rule 13)",
)
async def record_communication(
    proposal_id: UUID,
    assignment_id: UUID,
    body: CommunicationRequest,
    change: Handling_,
    expected: OptionalExpectedVersion,
) -> CommunicationRead:
    row = await service.record_communication(change, proposal_id, assignment_id, body, expected)
    return CommunicationRead.model_validate(row)


@router.get(
    "/{proposal_id}/communications",
    response_model=CommunicationPage,
    responses=problems(ProposalNotFound),
    summary="The proposal's communications, newest first (a unit sees its own)",
)
async def list_communications(
    proposal_id: UUID,
    principal: Reader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> CommunicationPage:
    rows, next_cursor = await service.communications(
        session, principal, proposal_id, cursor=cursor, limit=limit
    )
    return CommunicationPage(
        items=[CommunicationRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/replies",
    status_code=201,
    response_model=ReplyRead,
    responses=problems(
        *_STEP,
        ProposalInvalidTransition,
        CommunicationRequired,
        FaceToFaceRequired,
        CountersignMissing,
        UnknownReplyClass,
        MergedLettersInvalid,
        TextRequired,
    ),
    summary="Reply to the proposer for my unit (lead or split unit; rules 13–15)",
)
async def reply(
    proposal_id: UUID,
    assignment_id: UUID,
    body: ReplyRequest,
    change: Handling_,
    expected: OptionalExpectedVersion,
) -> ReplyRead:
    row, letters = await service.reply(change, proposal_id, assignment_id, body, expected)
    return _reply(row, [], letters)


@router.get(
    "/{proposal_id}/replies",
    response_model=list[ReplyRead],
    responses=problems(ProposalNotFound),
    summary="The proposal's replies (a unit sees its own; the office also the class corrections)",
)
async def list_replies(proposal_id: UUID, principal: Reader, session: SessionDep) -> list[ReplyRead]:
    return [
        _reply(r, audit, letters)
        for r, letters, audit in await service.replies(session, principal, proposal_id)
    ]


@router.patch(
    "/{proposal_id}/replies/{reply_id}/class",
    response_model=ReplyRead,
    responses=problems(
        ProposalNotFound,
        ReplyNotFound,
        AssignmentInvalidTransition,
        ReplyVersionMismatch,
        UnknownReplyClass,
        TextRequired,
    ),
    summary="Correct a reply's result class, with a reason (office; audited; If-Match: the reply's version)",
)
async def correct_class(
    proposal_id: UUID,
    reply_id: UUID,
    body: ClassCorrection,
    change: Assigning,
    response: Response,
    expected: ExpectedVersion,
) -> ReplyRead:
    row = await service.correct_class(change, proposal_id, reply_id, body.result_class, body.reason, expected)
    response.headers["ETag"] = etag(row.version)
    return _reply(row, [])


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/extensions",
    status_code=201,
    response_model=ExtensionRead,
    responses=problems(*_STEP, ExtensionInvalid, TextRequired),
    summary="Record an approved extension of a unit's reply due date, within the maximum (office; rule 12)",
)
async def extend_reply(
    proposal_id: UUID,
    assignment_id: UUID,
    body: ExtensionRequest,
    change: Assigning,
    expected: OptionalExpectedVersion,
) -> ExtensionRead:
    row = await service.extend_reply(change, proposal_id, assignment_id, body, expected)
    return ExtensionRead.model_validate(row)


@router.get(
    "/{proposal_id}/assignments/{assignment_id}/extensions",
    response_model=list[ExtensionRead],
    responses=problems(ProposalNotFound, AssignmentNotFound),
    summary="An assignment's approved extensions: who approved, when, why, from → to (office, the unit; rule 12)",
)
async def list_extensions(
    proposal_id: UUID, assignment_id: UUID, principal: ExtensionReader, session: SessionDep
) -> list[ExtensionRead]:
    rows = await service.extensions(session, principal, proposal_id, assignment_id)
    return [ExtensionRead.model_validate(r) for r in rows]
