"""The evaluation context's deadline scanner (cppcc_common.scanner, DESIGN.md §9; rules 16–18)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner
from proposal_svc.evaluation import repository, service

if TYPE_CHECKING:
    from cppcc_common.app import Runtime


class EvaluationWindows(DeadlineScanner):
    """Rules 16–18: a reply's evaluation window, at its close, settled exactly once (the claim locks
    it, skipping what another replica holds); a proposal nothing else keeps open concludes."""

    name = "evaluation-windows"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        return (await session.execute(repository.claim_closed_windows(now, limit))).all()

    async def fire(self, change: Change, row: Any) -> None:
        window = await repository.window_for_update(change.session, row.reply_id)
        await service.settle_window(change, window)


def evaluation_windows(runtime: "Runtime") -> DeadlineScanner:
    settings = runtime.settings
    return EvaluationWindows(
        runtime.sessionmaker,
        runtime.clock,
        interval=settings.scanner_interval_seconds,
        source=settings.source,
    )
