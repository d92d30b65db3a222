"""The handling context's deadline scanner (cppcc_common.scanner, DESIGN.md §9; rule 12)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner
from proposal_svc.handling import repository, service

if TYPE_CHECKING:
    from cppcc_common.app import Runtime


class ReplyDeadlines(DeadlineScanner):
    """Rule 12: a reply's due-soon warnings and its overdue, each armed notice fired exactly once
    (the claim locks it and its assignment, skipping what another replica holds)."""

    name = "reply-deadlines"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        return (await session.execute(repository.claim_due_notices(now, limit))).all()

    async def fire(self, change: Change, row: Any) -> None:
        notice = await repository.notice_for_update(change.session, row.assignment_id, row.due_on, row.kind)
        await service.fire_deadline(change, notice)


def reply_deadlines(runtime: "Runtime") -> DeadlineScanner:
    settings = runtime.settings
    return ReplyDeadlines(
        runtime.sessionmaker,
        runtime.clock,
        interval=settings.scanner_interval_seconds,
        source=settings.source,
    )
