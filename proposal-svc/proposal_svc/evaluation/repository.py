"""Every query of the evaluation context. Which proposals a caller sees is the proposals context's
`readable(principal)` (rule 28); within a visible proposal a unit sees its own replies only."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from proposal_svc.evaluation.models import CompletionReport, Evaluation, EvaluationWindow
from proposal_svc.handling.domain import Role
from proposal_svc.handling.models import Assignment, Reply
from proposal_svc.handling.repository import open_assignments


async def reply_of(session: AsyncSession, proposal_id: UUID, reply_id: UUID) -> Reply | None:
    query = select(Reply).where(Reply.id == reply_id, Reply.proposal_id == proposal_id)
    return (await session.execute(query)).scalar_one_or_none()


async def window_of(session: AsyncSession, reply_id: UUID) -> EvaluationWindow | None:
    return await session.get(EvaluationWindow, reply_id)


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
