"""The timeline (for whoever may read the proposal) and the audit trail (the office)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from cppcc_common.auth import Permission, Principal
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from proposal_svc.history import service
from proposal_svc.history.schemas import AuditEntryRead, AuditTrail, Timeline, TimelineStep
from proposal_svc.proposals.errors import ProposalNotFound

router = APIRouter(prefix="/api/v1/proposals", tags=["proposals"])

TIMELINE = Permission("proposal.read", roles={"member", "staff", "leader", "unit_user", "partner"})
# The audit trail: the proposals office only (staff with the `proposals` scope).
AUDIT = Permission("proposal.audit", roles={"staff"}, scopes={"proposals"})


@router.get(
    "/{proposal_id}/timeline",
    response_model=Timeline,
    responses=problems(ProposalNotFound),
    summary="The steps of a proposal (办理进度), the units' steps included",
)
async def timeline(
    proposal_id: UUID, principal: Annotated[Principal, Depends(TIMELINE)], session: SessionDep
) -> Timeline:
    steps = await service.timeline(session, principal, proposal_id)
    return Timeline(items=[TimelineStep.model_validate(s) for s in steps])


@router.get(
    "/{proposal_id}/audit",
    response_model=AuditTrail,
    responses=problems(ProposalNotFound),
    summary="The audit trail of a proposal: actor, time, reason, before/after of corrected fields (office)",
)
async def audit(
    proposal_id: UUID, principal: Annotated[Principal, Depends(AUDIT)], session: SessionDep
) -> AuditTrail:
    entries = await service.audit(session, principal, proposal_id)
    return AuditTrail(items=[AuditEntryRead.model_validate(e) for e in entries])
