"""My inbox: list, unread count, mark read (one, all), delete one, and the live stream. Each person
sees only their own items: another's item is 404, as one that does not exist."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse

from cppcc_common.auth import PEOPLE, Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import ReadConnectionDep
from cppcc_common.errors import NotFound
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, decode_cursor, page_of
from notify_svc.channels.inbox import repository
from notify_svc.channels.inbox.schemas import InboxItemRead, InboxPage, MarkedRead, UnreadCount
from notify_svc.channels.inbox.stream import EventStream, InboxHub, TooManyStreams, events

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])

# Anyone signed in as a person has an inbox; partner systems get webhooks instead.
OWN_INBOX = Permission("inbox.read_own", roles=PEOPLE)
KEEP_INBOX = Permission("inbox.keep_own", roles=PEOPLE)
Me = Annotated[Principal, Depends(OWN_INBOX)]
Keeping = Annotated[Change, Changing(KEEP_INBOX)]


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


@router.get(
    "/stream",
    response_class=StreamingResponse,
    summary="My new items as they arrive (Server-Sent Events)",
    description=(
        "`text/event-stream`: one `item` event per new inbox item (its `id` is the item's sequence "
        "number), comment lines as heartbeats. Reconnect with `Last-Event-ID` to receive the items "
        "written after that one first."
    ),
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **problems(TooManyStreams),
    },
)
async def stream(
    principal: Me,
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**63 - 1)] = None,
) -> EventStream:
    runtime = request.app.state.runtime
    hub: InboxHub = runtime.extras["inbox_hub"]
    wake = hub.open(principal.sub)
    body = events(
        runtime.read_pool,
        principal.sub,
        wake,
        last_event_id=last_event_id,
        heartbeat=runtime.settings.inbox_stream_heartbeat_seconds,
    )
    return EventStream(body, release=lambda: hub.close(principal.sub, wake))


@router.post(
    "/{item_id}/read",
    response_model=InboxItemRead,
    summary="Mark one item read",
    responses=problems(NotFound),
)
async def mark_read(item_id: UUID, change: Keeping) -> InboxItemRead:
    item = await repository.mark_read(change.session, change.person.sub, item_id, change.now)
    if item is None:
        raise NotFound()
    return InboxItemRead.model_validate(item)


@router.post("/read-all", response_model=MarkedRead, summary="Mark all my items read")
async def mark_all_read(change: Keeping) -> MarkedRead:
    return MarkedRead(marked=await repository.mark_all_read(change.session, change.person.sub, change.now))


@router.delete("/{item_id}", status_code=204, summary="Delete one of my items", responses=problems(NotFound))
async def delete_item(item_id: UUID, change: Keeping) -> Response:
    if not await repository.delete_item(change.session, change.person.sub, item_id):
        raise NotFound()
    return Response(status_code=204)
