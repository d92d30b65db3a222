"""Every query of the proposals context."""

import json
from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from proposal_svc.proposals.domain import SessionWindow, Status
from proposal_svc.proposals.models import Proposal, ProposalHistory, ProposalPolicyRow, SessionWindowRow
from proposal_svc.proposals.policy import ProposalPolicy


async def get(session: AsyncSession, proposal_id: UUID, *, for_update: bool = False) -> Proposal | None:
    query = select(Proposal).where(Proposal.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


_COLUMNS = [c.name for c in Proposal.__table__.columns]
_READ = f"SELECT {', '.join(_COLUMNS)} FROM proposals WHERE id = $1"


async def read(conn: asyncpg.Connection, proposal_id: UUID) -> Proposal | None:
    """A proposal by id on the driver connection (the hot read; see cppcc_common.db.ReadConnectionDep)."""
    row = await conn.fetchrow(_READ, proposal_id)
    if row is None:
        return None
    values = dict(row)
    if isinstance(values["suggestions"], str):  # jsonb arrives as text on these connections
        values["suggestions"] = json.loads(values["suggestions"])
    return Proposal(**values)


async def policy_for(session: AsyncSession, org_id: UUID) -> ProposalPolicy:
    row = await session.get(ProposalPolicyRow, org_id)
    return ProposalPolicy.from_stored(row.values if row else None)


async def list_visible(
    session: AsyncSession,
    *,
    org_id: UUID,
    proposer_id: UUID | None,
    include_drafts: bool,
    status: Status | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Proposal]:
    """Newest first. `proposer_id` limits to one proposer's; staff never see others' drafts."""
    query = select(Proposal).where(Proposal.org_id == org_id)
    if proposer_id is not None:
        query = query.where(Proposal.first_proposer_id == proposer_id)
    if not include_drafts:
        query = query.where(Proposal.status != Status.DRAFT)
    if status is not None:
        query = query.where(Proposal.status == status)
    if after is not None:
        query = query.where(tuple_(Proposal.created_at, Proposal.id) < tuple_(*after))
    query = query.order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def session_windows(session: AsyncSession, org_id: UUID, at: datetime) -> list[SessionWindow]:
    """The organization's session windows that contain `at`."""
    rows = (
        await session.execute(
            select(SessionWindowRow).where(
                SessionWindowRow.org_id == org_id,
                SessionWindowRow.opens_at <= at,
                SessionWindowRow.closes_at >= at,
            )
        )
    ).scalars()
    return [SessionWindow(r.opens_at, r.closes_at) for r in rows]


def record(session: AsyncSession, entry: ProposalHistory) -> None:
    session.add(entry)


__all__ = ["get", "list_visible", "policy_for", "record", "session_windows"]
