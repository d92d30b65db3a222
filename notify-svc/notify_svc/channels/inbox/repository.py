"""Every query of the inbox context."""

from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.db import ReadPool
from notify_svc.models import InboxItem


async def add_items(session: AsyncSession, items: list[dict[str, object]]) -> None:
    """Inserts inbox items; one already written for the same (person, event, category) is kept."""
    if items:
        await session.execute(
            insert(InboxItem).values(items).on_conflict_do_nothing(constraint="uq_inbox_items_event")
        )


# The two hottest reads run on the driver connection (cppcc_common.db.ReadConnectionDep). One text
# per filter combination: each is a prepared statement whose plan can use the matching index.
_COLUMNS = "id, category, title, body, object_type, object_id, created_at, read_at, seq"


def _page_sql(unread_only: bool, after: bool) -> str:
    unread = " AND read_at IS NULL" if unread_only else ""
    before = " AND (created_at, id) < ($3, $4)" if after else ""
    return (
        f"SELECT {_COLUMNS} FROM inbox_items WHERE person_id = $1{unread}{before}"
        f" ORDER BY created_at DESC, id DESC LIMIT $2"
    )


_PAGES = {(u, a): _page_sql(u, a) for u in (False, True) for a in (False, True)}
_UNREAD = "SELECT count(*) FROM inbox_items WHERE person_id = $1 AND read_at IS NULL"


async def page(
    conn: ReadPool,
    person_id: UUID,
    *,
    unread_only: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    query = _PAGES[unread_only, after is not None]
    return list(await conn.fetch(query, person_id, limit, *(after or ())))


async def unread_count(conn: ReadPool, person_id: UUID) -> int:
    return int(await conn.fetchval(_UNREAD, person_id))


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


async def delete_item(session: AsyncSession, person_id: UUID, item_id: UUID) -> bool:
    """Deletes one of the person's items; False when they have no such item."""
    result = await session.execute(
        delete(InboxItem).where(InboxItem.id == item_id, InboxItem.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))


# The live stream's two reads, in the order items were written (`seq`).
_LATEST = "SELECT coalesce(max(seq), 0) FROM inbox_items WHERE person_id = $1"
_AFTER = f"SELECT {_COLUMNS} FROM inbox_items WHERE person_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"


async def latest_seq(conn: ReadPool, person_id: UUID) -> int:
    return int(await conn.fetchval(_LATEST, person_id))


async def written_after(conn: ReadPool, person_id: UUID, seq: int, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(_AFTER, person_id, seq, limit))
