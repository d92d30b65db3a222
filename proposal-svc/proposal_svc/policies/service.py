"""Reading and setting the organization's proposal policy, audited by an event."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.contracts.proposal import ProposalPolicyChangedV1
from proposal_svc.policies import domain, repository
from proposal_svc.policies.errors import PolicyInvalid
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.proposals.repository import policy_for


async def policy_of(session: AsyncSession, org_id: UUID) -> ProposalPolicy:
    """The organization's effective policy: its overrides over the defaults."""
    return await policy_for(session, org_id)


async def set_policy(change: Change, policy: ProposalPolicy) -> ProposalPolicy:
    """Replaces the organization's policy (every value given) when the values hold together; a
    change is announced with who, when, and the changed values before and after (the audit)."""
    org_id = change.person.org
    problems = domain.violations(policy)
    if problems:
        raise PolicyInvalid.listing(problems)
    before = ProposalPolicy.from_stored(await repository.stored_for_update(change.session, org_id))
    changed = domain.changed(before, policy)
    if not changed:
        return policy
    await repository.save(change.session, org_id, domain.overrides(policy))
    old, new = domain.values(before), domain.values(policy)
    audit = ProposalPolicyChangedV1(
        org_id=org_id,
        changed=changed,
        before={name: old[name] for name in changed},
        after={name: new[name] for name in changed},
        changed_at=change.now,
    )
    await change.emit(audit, subject=org_id, orgid=org_id)
    return policy
