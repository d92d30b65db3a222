"""Annual consultation plan routes: parse → service → respond (DOMAIN.md §4, rule 28).

Staff with the `consultation` scope draft, submit, publish and revise; the approver the policy
names (a leader by default) approves or returns; members, leaders and staff of the organization
read what rule 28 lets them see; anyone else gets 404 (another organization) or 403 (a role the
route does not admit: unit users, partner clients).
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from consultation_svc.plans import service
from consultation_svc.plans.domain import PLAN_LIFECYCLE, PlanAction, PlanStatus
from consultation_svc.plans.errors import (
    ApprovalRequired,
    EntryInvalid,
    EntryNotFound,
    NotAnApprover,
    NotCurrentVersion,
    PlanEmpty,
    PlanExists,
    PlanInvalidTransition,
    PlanNotFound,
    PlanVersionMismatch,
    RevisionOpen,
    TooManyEntries,
)
from consultation_svc.plans.models import Plan, PlanEntry
from consultation_svc.plans.policy import PlanPolicy
from consultation_svc.plans.schemas import (
    PlanApproveBody,
    PlanCreate,
    PlanEntryBody,
    PlanEntryRead,
    PlanHistoryPage,
    PlanHistoryRead,
    PlanPage,
    PlanPatch,
    PlanPolicyValues,
    PlanRead,
    PlanReasonBody,
    PlanSummary,
)
from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import ExpectedVersion, OptionalExpectedVersion, etag

router = APIRouter(prefix="/api/v1/consultations", tags=["consultation-plans"])

# Rule 28: members see published plans, leaders also those awaiting approval, staff every version.
PLAN_READ = Permission("consultation.plan.read", roles={"member", "staff", "leader"})
# The consultation office drafts, submits, publishes and revises.
PLAN_DRAFT = Permission("consultation.plan.draft", roles={"staff"}, scopes={"consultation"})
# Approving and returning: the approver the policy names (plans.domain.check_approver).
PLAN_DECIDE = Permission("consultation.plan.decide", roles={"staff", "leader"})
PLAN_POLICY_READ = Permission("consultation.plan_policy.read", roles={"staff", "leader", "admin"})
PLAN_POLICY_SET = Permission("consultation.plan_policy.set", roles={"admin"})

Reader = Annotated[Principal, Depends(PLAN_READ)]
Drafting = Annotated[Change, Changing(PLAN_DRAFT)]
Deciding = Annotated[Change, Changing(PLAN_DECIDE)]
_WRITE = (PlanNotFound, PlanInvalidTransition, PlanVersionMismatch)


def _read(plan: Plan, entries: list[PlanEntry]) -> PlanRead:
    summary = PlanSummary.model_validate(plan).model_dump()
    return PlanRead(
        **summary,
        notes=plan.notes,
        change_note=plan.change_note,
        submitted_at=plan.submitted_at,
        returned_at=plan.returned_at,
        return_reason=plan.return_reason,
        approved_at=plan.approved_at,
        approval_record=plan.approval_record,
        superseded_at=plan.superseded_at,
        superseded_by=plan.superseded_by,
        entries=[PlanEntryRead.model_validate(e) for e in entries],
        actions=_actions(plan),
    )


def _actions(plan: Plan) -> list[PlanAction]:
    """What a client may offer next: the table's actions but the system's (supersede), and no
    publishing of a first version's draft (it is approved first)."""
    actions = PLAN_LIFECYCLE.actions_from(PlanStatus(plan.status))
    hidden = {PlanAction.SUPERSEDE} | ({PlanAction.PUBLISH} if plan.version_no == 1 else set())
    return [a for a in actions if a not in hidden]


async def _respond(change: Change, plan: Plan, response: Response) -> PlanRead:
    response.headers["ETag"] = etag(plan.version)
    return _read(plan, await service.entries_of(change.session, plan.id))


@router.get(
    "/plan-policy", response_model=PlanPolicyValues, summary="My organization's plan and topic policy"
)
async def get_policy(
    principal: Annotated[Principal, Depends(PLAN_POLICY_READ)], session: SessionDep
) -> PlanPolicyValues:
    policy = await service.policy_of(session, principal.org)
    return PlanPolicyValues.model_validate(policy.model_dump(mode="json"))


@router.put(
    "/plan-policy",
    response_model=PlanPolicyValues,
    summary="Set my organization's plan and topic policy (admin)",
)
async def put_policy(
    body: PlanPolicyValues, change: Annotated[Change, Changing(PLAN_POLICY_SET)]
) -> PlanPolicyValues:
    policy = await service.set_policy(change, PlanPolicy.model_validate(body.model_dump()))
    return PlanPolicyValues.model_validate(policy.model_dump(mode="json"))


@router.get("/plans", response_model=PlanPage, summary="The annual plans I may see, newest first")
async def list_plans(
    principal: Reader,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: PlanStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PlanPage:
    rows, next_cursor = await service.list_plans(
        session, principal, year=year, status=status, cursor=cursor, limit=limit
    )
    return PlanPage(items=[PlanSummary.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/plans",
    status_code=201,
    response_model=PlanRead,
    responses=problems(PlanExists),
    summary="Draft the year's annual consultation plan (年度协商计划)",
)
async def create_plan(body: PlanCreate, change: Drafting, response: Response) -> PlanRead:
    plan = await service.create(change, body)
    response.headers["Location"] = f"/api/v1/consultations/plans/{plan.id}"
    return await _respond(change, plan, response)


@router.get(
    "/plans/{plan_id}",
    response_model=PlanRead,
    responses=problems(PlanNotFound),
    summary="A plan version with its entries",
)
async def read_plan(plan_id: UUID, principal: Reader, session: SessionDep, response: Response) -> PlanRead:
    plan, entries = await service.read(session, principal, plan_id)
    response.headers["ETag"] = etag(plan.version)
    return _read(plan, entries)


@router.patch(
    "/plans/{plan_id}",
    response_model=PlanRead,
    responses=problems(*_WRITE),
    summary="Edit a draft's title, preamble or revision note",
)
async def update_plan(
    plan_id: UUID, body: PlanPatch, change: Drafting, expected: ExpectedVersion, response: Response
) -> PlanRead:
    return await _respond(change, await service.update(change, plan_id, body, expected), response)


@router.get(
    "/plans/{plan_id}/history",
    response_model=PlanHistoryPage,
    responses=problems(PlanNotFound),
    summary="Every step of a plan version: who, when, why (oldest first)",
)
async def plan_history(
    plan_id: UUID,
    principal: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PlanHistoryPage:
    rows, next_cursor = await service.history(session, principal, plan_id, cursor=cursor, limit=limit)
    return PlanHistoryPage(items=[PlanHistoryRead.model_validate(h) for h in rows], next_cursor=next_cursor)


@router.post(
    "/plans/{plan_id}/entries",
    status_code=201,
    response_model=PlanRead,
    responses=problems(*_WRITE, EntryInvalid, TooManyEntries),
    summary="Add an entry to a draft: topic, form, month or date, participants, lead department",
)
async def add_entry(
    plan_id: UUID,
    body: PlanEntryBody,
    change: Drafting,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    plan, _ = await service.add_entry(change, plan_id, service.values_of(body), expected)
    return await _respond(change, plan, response)


@router.put(
    "/plans/{plan_id}/entries/{entry_id}",
    response_model=PlanRead,
    responses=problems(*_WRITE, EntryNotFound, EntryInvalid),
    summary="Replace an entry of a draft",
)
async def replace_entry(
    plan_id: UUID,
    entry_id: UUID,
    body: PlanEntryBody,
    change: Drafting,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    plan = await service.replace_entry(change, plan_id, entry_id, service.values_of(body), expected)
    return await _respond(change, plan, response)


@router.delete(
    "/plans/{plan_id}/entries/{entry_id}",
    response_model=PlanRead,
    responses=problems(*_WRITE, EntryNotFound),
    summary="Remove an entry from a draft",
)
async def remove_entry(
    plan_id: UUID, entry_id: UUID, change: Drafting, expected: OptionalExpectedVersion, response: Response
) -> PlanRead:
    return await _respond(change, await service.remove_entry(change, plan_id, entry_id, expected), response)


@router.post(
    "/plans/{plan_id}/submit",
    response_model=PlanRead,
    responses=problems(*_WRITE, PlanEmpty),
    summary="Submit a draft for approval",
)
async def submit_plan(
    plan_id: UUID, change: Drafting, expected: OptionalExpectedVersion, response: Response
) -> PlanRead:
    return await _respond(change, await service.submit(change, plan_id, expected), response)


@router.post(
    "/plans/{plan_id}/return",
    response_model=PlanRead,
    responses=problems(*_WRITE, NotAnApprover),
    summary="Send a submitted or approved plan back to a draft, with a reason",
)
async def return_plan(
    plan_id: UUID,
    body: PlanReasonBody,
    change: Deciding,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    return await _respond(change, await service.return_(change, plan_id, body.reason, expected), response)


@router.post(
    "/plans/{plan_id}/approve",
    response_model=PlanRead,
    responses=problems(*_WRITE, NotAnApprover),
    summary="Approve a submitted plan, with the record of the approval (the policy's approver)",
)
async def approve_plan(
    plan_id: UUID,
    body: PlanApproveBody,
    change: Deciding,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    return await _respond(change, await service.approve(change, plan_id, body.record, expected), response)


@router.post(
    "/plans/{plan_id}/publish",
    response_model=PlanRead,
    responses=problems(*_WRITE, ApprovalRequired, PlanEmpty),
    summary="Publish an approved plan to the members (a revision supersedes the current version)",
)
async def publish_plan(
    plan_id: UUID, change: Drafting, expected: OptionalExpectedVersion, response: Response
) -> PlanRead:
    return await _respond(change, await service.publish(change, plan_id, expected), response)


@router.post(
    "/plans/{plan_id}/revise",
    status_code=201,
    response_model=PlanRead,
    responses=problems(*_WRITE, RevisionOpen, NotCurrentVersion),
    summary="Change a published plan: a new draft version with the published entries, and a reason",
)
async def revise_plan(
    plan_id: UUID,
    body: PlanReasonBody,
    change: Drafting,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    plan = await service.revise(change, plan_id, body.reason, expected)
    response.headers["Location"] = f"/api/v1/consultations/plans/{plan.id}"
    return await _respond(change, plan, response)


@router.post(
    "/plans/{plan_id}/discard",
    response_model=PlanRead,
    responses=problems(*_WRITE),
    summary="Discard a draft that was never published, with a reason",
)
async def discard_plan(
    plan_id: UUID,
    body: PlanReasonBody,
    change: Drafting,
    expected: OptionalExpectedVersion,
    response: Response,
) -> PlanRead:
    return await _respond(change, await service.discard(change, plan_id, body.reason, expected), response)
