"""The organization's stored overrides of the proposal policy (`proposal_policies`)."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from proposal_svc.proposals.models import ProposalPolicyRow


async def stored_for_update(session: AsyncSession, org_id: UUID) -> dict[str, Any] | None:
    """The stored overrides, the row locked so that concurrent changes audit one after the other."""
    query = select(ProposalPolicyRow.values).where(ProposalPolicyRow.org_id == org_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def save(session: AsyncSession, org_id: UUID, values: dict[str, Any]) -> None:
    stmt = insert(ProposalPolicyRow).values(org_id=org_id, values=values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[ProposalPolicyRow.org_id], set_={"values": values})
    )
