"""The proposals context's deadline scanners (cppcc_common.scanner, DESIGN.md §9)."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.scanner import DeadlineScanner
from proposal_svc.proposals import repository, service

if TYPE_CHECKING:
    from cppcc_common.app import Runtime


class CosignDeadlines(DeadlineScanner):
    """Rule 4: an invitation still unanswered at its `respond_by` expires, exactly once however
    many replicas scan (the claim locks it and its proposal, skipping what another holds)."""

    name = "cosign-deadlines"

    async def claim(self, session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
        return (await session.execute(repository.claim_due_invitations(now, limit))).all()

    async def fire(self, change: Change, row: Any) -> None:
        await service.expire_cosign(change, row.proposal_id, row.person_id)


def cosign_deadlines(runtime: "Runtime") -> DeadlineScanner:
    settings = runtime.settings
    return CosignDeadlines(
        runtime.sessionmaker,
        runtime.clock,
        interval=settings.scanner_interval_seconds,
        source=settings.source,
    )
