"""Every query of the publication context. What the public reads is one clause: `public()`."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.scanner import due_rows
from proposal_svc.handling.models import Unit
from proposal_svc.publication.domain import Window
from proposal_svc.publication.models import Publication, PublicationConsent, PublicationWindow

PUBLISHED, CLOSED = "published", "closed"


def public() -> ColumnElement[bool]:
    """Rule 28: the public sees exactly the published copies not withdrawn."""
    return Publication.withdrawn_at.is_(None)


async def consents_of(session: AsyncSession, proposal_id: UUID) -> dict[UUID, bool]:
    query = select(PublicationConsent).where(PublicationConsent.proposal_id == proposal_id)
    return {row.person_id: row.consent for row in (await session.execute(query)).scalars()}


async def set_consent(
    session: AsyncSession, proposal_id: UUID, person_id: UUID, consent: bool, at: datetime
) -> bool | None:
    """Records a proposer's answer; returns the previous one (None if none)."""
    before = (await consents_of(session, proposal_id)).get(person_id)
    stmt = insert(PublicationConsent).values(
        proposal_id=proposal_id, person_id=person_id, consent=consent, at=at
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[PublicationConsent.proposal_id, PublicationConsent.person_id],
            set_={"consent": consent, "at": at},
        )
    )
    return before


async def window_of(
    session: AsyncSession, proposal_id: UUID, *, lock: bool = False
) -> PublicationWindow | None:
    return await session.get(PublicationWindow, proposal_id, with_for_update=lock or None)


async def arm_window(
    session: AsyncSession, proposal_id: UUID, org_id: UUID, replied_at: datetime, w: Window
) -> None:
    """The window of the reply that made the proposal `replied` (again after re-handling): armed
    anew unless the proposal is already published."""
    values = {
        "replied_at": replied_at,
        "due_on": w.due_on,
        "provisional": w.provisional,
        "closes_at": w.closes_at,
        "settled_at": None,
        "outcome": None,
    }
    stmt = insert(PublicationWindow).values(proposal_id=proposal_id, org_id=org_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[PublicationWindow.proposal_id],
            set_=values,
            where=PublicationWindow.outcome.is_distinct_from(PUBLISHED),
        )
    )


def claim_closed_windows(now: datetime, limit: int) -> Any:
    """The publication windows closed at `now` and not settled, locked, skipping any another
    replica holds (DESIGN.md §9): each closes once however many replicas scan."""
    table = PublicationWindow.__table__
    return due_rows(table, table.c.closes_at, now, limit, table.c.settled_at.is_(None))  # type: ignore[arg-type]


async def publication_of(session: AsyncSession, proposal_id: UUID) -> Publication | None:
    return await session.get(Publication, proposal_id)


async def unit_names(session: AsyncSession, unit_ids: Sequence[UUID]) -> dict[UUID, str]:
    if not unit_ids:
        return {}
    query = select(Unit.unit_id, Unit.name).where(Unit.unit_id.in_(unit_ids))
    return {row.unit_id: row.name for row in await session.execute(query)}


async def list_public(
    session: AsyncSession, org_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Publication]:
    """An organization's published proposals, newest first."""
    query = select(Publication).where(Publication.org_id == org_id, public())
    if after is not None:
        query = query.where(tuple_(Publication.published_at, Publication.proposal_id) < tuple_(*after))
    query = query.order_by(Publication.published_at.desc(), Publication.proposal_id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def read_public(session: AsyncSession, proposal_id: UUID) -> Publication | None:
    query = select(Publication).where(Publication.proposal_id == proposal_id, public())
    return (await session.execute(query)).scalar_one_or_none()
