"""The publication context's deadline scanner (cppcc_common.scanner, DESIGN.md §9; rule 20)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner
from proposal_svc.publication import repository, service

if TYPE_CHECKING:
    from cppcc_common.app import Runtime


class PublicationWindows(DeadlineScanner):
    """Rule 20: a replied proposal's publication window that closes unpublished tells the office,
    exactly once however many replicas scan (the claim locks the window row, skipping what another
    replica holds; publishing settles the row under the proposal's lock first)."""

    name = "publication-windows"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        return (await session.execute(repository.claim_closed_windows(now, limit))).all()

    async def fire(self, change: Change, row: Any) -> None:
        await service.close_window(change, row.proposal_id)


def publication_windows(runtime: "Runtime") -> DeadlineScanner:
    settings = runtime.settings
    return PublicationWindows(
        runtime.sessionmaker,
        runtime.clock,
        interval=settings.scanner_interval_seconds,
        source=settings.source,
    )
