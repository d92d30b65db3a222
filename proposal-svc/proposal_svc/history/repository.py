"""The rows a proposal's timeline and audit trail are read from (each its own context's table)."""

from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from proposal_svc.evaluation.models import CompletionReport, Evaluation
from proposal_svc.handling.models import (
    Assignment,
    Communication,
    Reply,
    ReplyClassCorrection,
    ReplyExtension,
    Unit,
)

T = TypeVar("T")


async def _all(session: AsyncSession, model: type[T], proposal_id: UUID) -> list[T]:
    column: Any = model.proposal_id  # type: ignore[attr-defined]
    return list((await session.execute(select(model).where(column == proposal_id))).scalars())


async def assignments(session: AsyncSession, proposal_id: UUID) -> list[Assignment]:
    return await _all(session, Assignment, proposal_id)


async def communications(session: AsyncSession, proposal_id: UUID) -> list[Communication]:
    return await _all(session, Communication, proposal_id)


async def replies(session: AsyncSession, proposal_id: UUID) -> list[Reply]:
    return await _all(session, Reply, proposal_id)


async def extensions(session: AsyncSession, proposal_id: UUID) -> list[ReplyExtension]:
    return await _all(session, ReplyExtension, proposal_id)


async def evaluations(session: AsyncSession, proposal_id: UUID) -> list[Evaluation]:
    return await _all(session, Evaluation, proposal_id)


async def completion_reports(session: AsyncSession, proposal_id: UUID) -> list[CompletionReport]:
    return await _all(session, CompletionReport, proposal_id)


async def corrections(session: AsyncSession, reply_ids: Sequence[UUID]) -> list[ReplyClassCorrection]:
    if not reply_ids:
        return []
    query = select(ReplyClassCorrection).where(ReplyClassCorrection.reply_id.in_(reply_ids))
    return list((await session.execute(query)).scalars())


async def unit_names(session: AsyncSession, unit_ids: Sequence[UUID]) -> dict[UUID, str]:
    if not unit_ids:
        return {}
    query = select(Unit.unit_id, Unit.name).where(Unit.unit_id.in_(set(unit_ids)))
    return {row.unit_id: row.name for row in await session.execute(query)}
