"""Every query of the evaluation context. Which proposals a caller sees is the proposals context's
`readable(principal)` (rule 28); within a visible proposal a unit sees its own replies only."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.scanner import due_rows
from proposal_svc.evaluation.models import CompletionReport, Evaluation, EvaluationWindow
from proposal_svc.handling.domain import Role
from proposal_svc.handling.models import Assignment, Reply
from proposal_svc.handling.repository import open_assignments
from proposal_svc.proposals.models import Proposal


async def reply_of(session: AsyncSession, proposal_id: UUID, reply_id: UUID) -> Reply | None:
    query = select(Reply).where(Reply.id == reply_id, Reply.proposal_id == proposal_id)
    return (await session.execute(query)).scalar_one_or_none()


async def window_of(session: AsyncSession, reply_id: UUID) -> EvaluationWindow | None:
    return await session.get(EvaluationWindow, reply_id)


async def windows_of(session: AsyncSession, reply_ids: list[UUID]) -> dict[UUID, EvaluationWindow]:
    """The stored windows of these replies, by reply (one query for every part)."""
    if not reply_ids:
        return {}
    query = select(EvaluationWindow).where(EvaluationWindow.reply_id.in_(reply_ids))
    return {w.reply_id: w for w in (await session.execute(query)).scalars()}


def claim_closed_windows(now: datetime, limit: int) -> Any:
    """The evaluation windows closed at `now` and not yet settled, locked, skipping any another
    transaction holds (DESIGN.md §9): each is settled once however many replicas scan."""
    table = EvaluationWindow.__table__
    return due_rows(table, table.c.closes_at, now, limit, table.c.settled_at.is_(None))  # type: ignore[arg-type]


async def window_for_update(session: AsyncSession, reply_id: UUID) -> EvaluationWindow:
    """The claimed window as a mapped row (already locked by the claim)."""
    row = await session.get(EvaluationWindow, reply_id)
    assert row is not None
    return row


async def provisional_windows(session: AsyncSession, year: int) -> list[tuple[EvaluationWindow, Reply, UUID]]:
    """The windows still open to the scanner that were counted into an unknown year and end in
    `year` or later, locked, with their replies and organizations."""
    query = (
        select(EvaluationWindow, Reply, Proposal.org_id)
        .join(Reply, Reply.id == EvaluationWindow.reply_id)
        .join(Proposal, Proposal.id == EvaluationWindow.proposal_id)
        .where(
            EvaluationWindow.provisional.is_(True),
            EvaluationWindow.settled_at.is_(None),
            EvaluationWindow.due_on >= date(year, 1, 1),
        )
        .order_by(EvaluationWindow.reply_id)
        .with_for_update(of=EvaluationWindow)
    )
    return [(w, r, org) for w, r, org in (await session.execute(query)).all()]


def current_replies(assignments: list[Assignment], replies: list[Reply]) -> list[tuple[Assignment, Reply]]:
    """Each replying part's current reply: the latest of every open lead or split assignment that
    replied (a re-handled part's second reply supersedes its first)."""
    latest: dict[UUID, Reply] = {}
    for reply in sorted(replies, key=lambda r: (r.replied_at, r.id)):
        latest[reply.assignment_id] = reply
    parts = [a for a in open_assignments(assignments) if a.role != Role.COHANDLER]
    return [(a, latest[a.id]) for a in parts if a.id in latest]


async def evaluations_of(session: AsyncSession, reply_ids: list[UUID]) -> list[Evaluation]:
    if not reply_ids:
        return []
    query = (
        select(Evaluation)
        .where(Evaluation.reply_id.in_(reply_ids))
        .order_by(Evaluation.evaluated_at, Evaluation.id)
    )
    return list((await session.execute(query)).scalars())


async def reports_of(session: AsyncSession, reply_ids: list[UUID]) -> list[CompletionReport]:
    if not reply_ids:
        return []
    query = select(CompletionReport).where(CompletionReport.reply_id.in_(reply_ids))
    return list((await session.execute(query)).scalars())
