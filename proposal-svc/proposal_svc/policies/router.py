"""The organization's proposal policy: staff read it, administrators set it (default deny)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from proposal_svc.policies import service
from proposal_svc.policies.errors import PolicyInvalid
from proposal_svc.policies.schemas import ProposalPolicyValues
from proposal_svc.proposals.policy import ProposalPolicy

router = APIRouter(prefix="/api/v1/proposals", tags=["proposal-policy"])

READ_POLICY = Permission("proposal.policy.read", roles={"staff", "admin"})
SET_POLICY = Permission("proposal.policy.set", roles={"admin"})
# The national working-day calendar (cppcc_common.workdays_router, mounted by main.py): administrators.
MANAGE_WORKING_CALENDAR = Permission("working_calendar.manage", roles={"admin"})

PolicyReader = Annotated[Principal, Depends(READ_POLICY)]
SettingPolicy = Annotated[Change, Changing(SET_POLICY)]


def _values(policy: ProposalPolicy) -> ProposalPolicyValues:
    return ProposalPolicyValues.model_validate(policy.model_dump(mode="json"))


@router.get(
    "/policy", response_model=ProposalPolicyValues, summary="My organization's proposal policy (staff)"
)
async def get_policy(principal: PolicyReader, session: SessionDep) -> ProposalPolicyValues:
    return _values(await service.policy_of(session, principal.org))


@router.put(
    "/policy",
    response_model=ProposalPolicyValues,
    responses=problems(PolicyInvalid),
    summary="Set my organization's proposal policy, every value (admin; audited)",
)
async def put_policy(body: ProposalPolicyValues, change: SettingPolicy) -> ProposalPolicyValues:
    policy = await service.set_policy(change, ProposalPolicy.model_validate(body.model_dump()))
    return _values(policy)
