"""My inbox: list, unread count, mark read. Each person sees only their own items."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from cppcc_common.auth import PEOPLE, Permission, Principal
from cppcc_common.db import ReadConnectionDep, SessionDep
from cppcc_common.errors import NotFound
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, decode_cursor, page_of
from notify_svc.channels.inbox import repository
from notify_svc.channels.inbox.schemas import InboxItemRead, InboxPage, MarkedRead, UnreadCount

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])

# Anyone signed in as a person has an inbox; partner systems get webhooks instead.
OWN_INBOX = Permission("inbox.read_own", roles=PEOPLE)
Me = Annotated[Principal, Depends(OWN_INBOX)]


@router.get("", response_model=InboxPage, summary="My inbox, newest first")
async def list_inbox(
    principal: Me,
    conn: ReadConnectionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    unread: bool = False,
) -> InboxPage:
    items = await repository.page(
        conn,
        principal.sub,
        unread_only=unread,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    rows, next_cursor = page_of([InboxItemRead.model_validate(dict(i)) for i in items], limit)
    return InboxPage(items=rows, next_cursor=next_cursor)


@router.get("/unread-count", response_model=UnreadCount, summary="How many of my items are unread")
async def unread_count(principal: Me, conn: ReadConnectionDep) -> UnreadCount:
    return UnreadCount(unread=await repository.unread_count(conn, principal.sub))


@router.post("/{item_id}/read", response_model=InboxItemRead, summary="Mark one item read")
async def mark_read(item_id: UUID, principal: Me, session: SessionDep, request: Request) -> InboxItemRead:
    item = await repository.mark_read(session, principal.sub, item_id, request.app.state.runtime.clock.now())
    if item is None:
        raise NotFound()
    return InboxItemRead.model_validate(item)


@router.post("/read-all", response_model=MarkedRead, summary="Mark all my items read")
async def mark_all_read(principal: Me, session: SessionDep, request: Request) -> MarkedRead:
    return MarkedRead(
        marked=await repository.mark_all_read(session, principal.sub, request.app.state.runtime.clock.now())
    )
