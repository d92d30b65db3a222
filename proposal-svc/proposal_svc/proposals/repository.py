"""Every query of the proposals context, and who may read what (rule 28) as one SQL condition."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import Boolean, ColumnElement, and_, bindparam, false, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from proposal_svc.proposals.domain import Plenary, SessionWindow, Status
from proposal_svc.proposals.models import Proposal, ProposalHistory, ProposalPolicyRow, SessionWindowRow
from proposal_svc.proposals.policy import ProposalPolicy


def sees_organization_proposals(principal: Principal) -> bool:
    """Rule 28: the proposals office (staff with the `proposals` scope) and leaders see every
    submitted proposal of their organization; everyone else sees only their own."""
    return principal.has_role("leader") or (principal.has_role("staff") and principal.has_scope("proposals"))


def _rule_28(org: Any, sub: Any, office: ColumnElement[bool]) -> ColumnElement[bool]:
    """Same organization; one's own proposals, drafts included; the office's every non-draft."""
    return and_(
        Proposal.org_id == org,
        or_(Proposal.first_proposer_id == sub, and_(office, Proposal.status != Status.DRAFT)),
    )


def readable(principal: Principal) -> ColumnElement[bool]:
    """The proposals `principal` may read (rule 28): the one visibility rule of this context, used by
    the get for update, the list and (compiled once, below) the hot read by id."""
    office = true() if sees_organization_proposals(principal) else false()
    return _rule_28(principal.org, principal.sub, office)


async def get_readable(session: AsyncSession, principal: Principal, proposal_id: UUID) -> Proposal | None:
    """The proposal, locked for update, if `principal` may read it."""
    query = select(Proposal).where(Proposal.id == proposal_id, readable(principal)).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# The hot read: `readable` over bind parameters, compiled once to asyncpg's `$n` SQL at import, so a
# request only orders its values (no SQLAlchemy statement path; see cppcc_common.db.ReadConnectionDep).
_READ_VISIBLE = (
    select(*Proposal.__table__.columns)
    .where(
        Proposal.id == bindparam("id"),
        _rule_28(bindparam("org"), bindparam("sub"), bindparam("office", type_=Boolean)),
    )
    .compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]  # (SQLAlchemy leaves it untyped)
)
_READ_SQL = str(_READ_VISIBLE)
_READ_ORDER = tuple(_READ_VISIBLE.positiontup or ())
_READ_CONSTANTS = {name: value for name, value in _READ_VISIBLE.params.items() if value is not None}


async def read_readable(conn: asyncpg.Connection, principal: Principal, proposal_id: UUID) -> Proposal | None:
    """The proposal if `principal` may read it, on the driver connection: one fetchrow."""
    params = {
        **_READ_CONSTANTS,
        "id": proposal_id,
        "org": principal.org,
        "sub": principal.sub,
        "office": sees_organization_proposals(principal),
    }
    row = await conn.fetchrow(_READ_SQL, *[params[name] for name in _READ_ORDER])
    if row is None:
        return None
    values = dict(row)
    if isinstance(values["suggestions"], str):  # jsonb arrives as text on these connections
        values["suggestions"] = json.loads(values["suggestions"])
    return Proposal(**values)


async def policy_for(session: AsyncSession, org_id: UUID) -> ProposalPolicy:
    row = await session.get(ProposalPolicyRow, org_id)
    return ProposalPolicy.from_stored(row.values if row else None)


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    *,
    mine: bool,
    status: Status | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Proposal]:
    """Newest first, of those `principal` may read: their own (drafts included), or as the office
    (unless `mine`) every non-draft of the organization."""
    query = select(Proposal).where(readable(principal))
    if mine:
        query = query.where(Proposal.first_proposer_id == principal.sub)
    elif sees_organization_proposals(principal):
        query = query.where(Proposal.status != Status.DRAFT)  # the office's list has no drafts
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


async def plenaries(session: AsyncSession, org_id: UUID) -> list[Plenary]:
    """The organization's plenary sessions whose days are known (rule 3)."""
    rows = await session.execute(
        select(SessionWindowRow.opens_on, SessionWindowRow.closes_on).where(
            SessionWindowRow.org_id == org_id,
            SessionWindowRow.opens_on.is_not(None),
            SessionWindowRow.closes_on.is_not(None),
        )
    )
    return [Plenary(opens_on, closes_on) for opens_on, closes_on in rows.all() if opens_on and closes_on]


def record(session: AsyncSession, entry: ProposalHistory) -> None:
    session.add(entry)


__all__ = [
    "get_readable",
    "list_readable",
    "plenaries",
    "policy_for",
    "read_readable",
    "readable",
    "record",
    "sees_organization_proposals",
    "session_windows",
]
