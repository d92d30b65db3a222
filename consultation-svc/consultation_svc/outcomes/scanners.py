"""The outcomes context's deadline scanner (cppcc_common.scanner, DESIGN.md §9; rule 22)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.outcomes import repository, service
from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner

if TYPE_CHECKING:
    from cppcc_common.app import Runtime


class FeedbackDeadlines(DeadlineScanner):
    """Rule 22: an outcome still awaiting its responsible department's feedback when its due date has
    ended is overdue — `cppcc.consultation.feedback_overdue.v1` exactly once per outcome and due date,
    however many replicas scan (the claim locks the deadline and its outcome, skipping what another
    replica or a request holds)."""

    name = "outcome-feedback-deadlines"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        return (await session.execute(repository.claim_due_deadlines(now, limit))).all()

    async def fire(self, change: Change, row: Any) -> None:
        await service.fire_overdue(change, row.outcome_id, row.due_on)


def feedback_deadlines(runtime: "Runtime") -> DeadlineScanner:
    settings = runtime.settings
    return FeedbackDeadlines(
        runtime.sessionmaker,
        runtime.clock,
        interval=settings.scanner_interval_seconds,
        source=settings.source,
    )
