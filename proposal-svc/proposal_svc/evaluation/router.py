"""Evaluation routes (/api/v1/proposals/{id}/…): parse → service → respond.

A proposer (the first proposer, a confirmed co-signer) rates each reply once (rules 16, 17); a
unit — its users and its partner client — files the completion report of an open-class reply
(rule 18) and never rates. Forbidden objects are 404.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.versioning import OptionalExpectedVersion
from cppcc_common.workdays import YearUnknown
from proposal_svc.evaluation import service
from proposal_svc.evaluation.errors import (
    AlreadyEvaluated,
    CompletionAlreadyReported,
    CompletionInTheFuture,
    CompletionReportNotRequired,
    EvaluationReplyNotFound,
    EvaluationWindowClosed,
    NotAnEvaluator,
    PartBeingRehandled,
    ReplySuperseded,
    ReportRequired,
    UnknownRating,
)
from proposal_svc.evaluation.schemas import (
    CompletionReportRead,
    CompletionReportRequest,
    CompletionReportResult,
    EvaluationRead,
    EvaluationRequest,
    EvaluationResult,
    ReplyEvaluations,
)
from proposal_svc.handling.errors import (
    AssignmentInvalidTransition,
    AssignmentNotFound,
    AssignmentVersionMismatch,
)
from proposal_svc.proposals.errors import ProposalInvalidTransition, ProposalNotFound

router = APIRouter(prefix="/api/v1/proposals", tags=["evaluation"])

# Rule 16: the proposers rate; a unit user or partner client never does (403 by its role).
EVALUATE = Permission("proposal.evaluate", roles={"member"})
# Rule 18: a unit's completion report (its users and its partner client).
REPORT_COMPLETION = Permission("proposal.completion_report", roles={"unit_user", "partner"})
EVALUATION_READ = Permission(
    "proposal.evaluation.read", roles={"member", "staff", "leader", "unit_user", "partner"}
)

Reader = Annotated[Principal, Depends(EVALUATION_READ)]


@router.post(
    "/{proposal_id}/replies/{reply_id}/evaluations",
    status_code=201,
    response_model=EvaluationResult,
    responses=problems(
        ProposalNotFound,
        EvaluationReplyNotFound,
        NotAnEvaluator,
        ProposalInvalidTransition,
        PartBeingRehandled,
        ReplySuperseded,
        AlreadyEvaluated,
        EvaluationWindowClosed,
        UnknownRating,
        AssignmentInvalidTransition,
        YearUnknown,
    ),
    summary="Evaluate a reply as a proposer, once, within the window (rules 16, 17)",
)
async def evaluate(
    proposal_id: UUID,
    reply_id: UUID,
    body: EvaluationRequest,
    change: Annotated[Change, Changing(EVALUATE)],
) -> EvaluationResult:
    row, status = await service.evaluate(change, proposal_id, reply_id, body)
    return EvaluationResult.model_validate(
        {**EvaluationRead.model_validate(row).model_dump(), "proposal_status": status}
    )


@router.get(
    "/{proposal_id}/replies/{reply_id}/evaluations",
    response_model=ReplyEvaluations,
    responses=problems(ProposalNotFound, EvaluationReplyNotFound),
    summary="A reply's evaluation window, evaluations and completion report (a unit: its own reply)",
)
async def list_evaluations(
    proposal_id: UUID, reply_id: UUID, principal: Reader, session: SessionDep
) -> ReplyEvaluations:
    reply, window, rows, report = await service.of_reply(session, principal, proposal_id, reply_id)
    return ReplyEvaluations(
        reply_id=reply.id,
        unit_id=reply.unit_id,
        result_class=reply.result_class,
        due_on=window.due_on if window else None,
        provisional=window.provisional if window else None,
        closes_at=window.closes_at if window else None,
        evaluations=[EvaluationRead.model_validate(r) for r in rows],
        completion_report=CompletionReportRead.model_validate(report) if report else None,
    )


@router.post(
    "/{proposal_id}/assignments/{assignment_id}/completion-report",
    status_code=201,
    response_model=CompletionReportResult,
    responses=problems(
        ProposalNotFound,
        AssignmentNotFound,
        AssignmentInvalidTransition,
        AssignmentVersionMismatch,
        ProposalInvalidTransition,
        CompletionReportNotRequired,
        CompletionAlreadyReported,
        CompletionInTheFuture,
        ReportRequired,
        YearUnknown,
    ),
    summary="File the completion report of my unit's open-class (B) reply (rule 18)",
)
async def report_completion(
    proposal_id: UUID,
    assignment_id: UUID,
    body: CompletionReportRequest,
    change: Annotated[Change, Changing(REPORT_COMPLETION)],
    expected: OptionalExpectedVersion,
) -> CompletionReportResult:
    row, status = await service.report_completion(change, proposal_id, assignment_id, body, expected)
    read = CompletionReportRead.model_validate(row).model_dump()
    return CompletionReportResult.model_validate({**read, "proposal_status": status})
