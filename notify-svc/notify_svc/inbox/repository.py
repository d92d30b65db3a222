"""Every query of the inbox context."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import any_, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notify_svc.models import InboxItem, Recipient


async def upsert_recipient(session: AsyncSession, values: dict[str, object]) -> None:
    stmt = insert(Recipient).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Recipient.person_id], set_={k: stmt.excluded[k] for k in values if k != "person_id"}
    )
    await session.execute(stmt)


async def recipients_with_scope(
    session: AsyncSession, org_id: UUID, role: str, scope: str
) -> list[Recipient]:
    query = select(Recipient).where(
        Recipient.org_id == org_id,
        role == any_(Recipient.roles),  # type: ignore[arg-type]  # str == any_() is SQL; stubs say bool
        scope == any_(Recipient.scopes),  # type: ignore[arg-type]
    )
    return list((await session.execute(query)).scalars())


async def recipient(session: AsyncSession, person_id: UUID) -> Recipient | None:
    return await session.get(Recipient, person_id)


async def add_items(session: AsyncSession, items: list[dict[str, object]]) -> None:
    """Inserts inbox items; one already written for the same (person, event, category) is kept."""
    if items:
        await session.execute(
            insert(InboxItem).values(items).on_conflict_do_nothing(constraint="uq_inbox_items_event")
        )


async def page(
    session: AsyncSession,
    person_id: UUID,
    *,
    unread_only: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[InboxItem]:
    query = select(InboxItem).where(InboxItem.person_id == person_id)
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    if after is not None:
        query = query.where(tuple_(InboxItem.created_at, InboxItem.id) < tuple_(*after))
    query = query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def unread_count(session: AsyncSession, person_id: UUID) -> int:
    query = select(func.count()).where(InboxItem.person_id == person_id, InboxItem.read_at.is_(None))
    return int((await session.execute(query)).scalar_one())


async def mark_read(session: AsyncSession, person_id: UUID, item_id: UUID, now: datetime) -> InboxItem | None:
    item = (
        await session.execute(
            select(InboxItem).where(InboxItem.id == item_id, InboxItem.person_id == person_id)
        )
    ).scalar_one_or_none()
    if item is not None and item.read_at is None:
        item.read_at = now
    return item


async def mark_all_read(session: AsyncSession, person_id: UUID, now: datetime) -> int:
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.person_id == person_id, InboxItem.read_at.is_(None))
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
