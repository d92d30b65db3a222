"""Calendar routes: a member's upcoming activities (JSON), the secret link of their iCalendar feed
(make or rotate, revoke), and the feed itself — public, the secret in its path is its credential."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from consultation_svc.activities.domain import Status
from consultation_svc.calendar import domain, service
from consultation_svc.calendar.errors import FeedNotFound
from consultation_svc.calendar.schemas import Answer, CalendarEntry, CalendarPage, FeedLink, FeedState
from consultation_svc.participation.permissions import OWN_CALENDAR
from cppcc_common.auth import PUBLIC, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery

router = APIRouter(prefix="/api/v1/consultations", tags=["calendar"])
Member = Annotated[Principal, Depends(OWN_CALENDAR)]
Owning = Annotated[Change, Changing(OWN_CALENDAR)]


@router.get(
    "/me/activities",
    response_model=CalendarPage,
    summary="My upcoming activities (invited; notice issued), soonest first",
)
async def my_activities(
    principal: Member,
    session: SessionDep,
    request: Request,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> CalendarPage:
    now = request.app.state.runtime.clock.now()
    entries, next_cursor = await service.upcoming(session, principal, now, cursor, limit)
    items = [
        CalendarEntry(
            activity_id=e.activity_id,
            title=e.title,
            form=e.form,
            status=Status(e.status),
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            venue=e.venue,
            online_link=e.online_link,
            answer=Answer(e.answer) if e.answer in set(Answer) else None,
        )
        for e in entries
    ]
    return CalendarPage(items=items, next_cursor=next_cursor)


@router.get("/me/calendar-feed", response_model=FeedState, summary="Whether I have a calendar link")
async def feed_state(principal: Member, session: SessionDep) -> FeedState:
    feed = await service.feed_state(session, principal)
    if feed is None:
        return FeedState(active=False, created_at=None, rotated_at=None)
    return FeedState(active=True, created_at=feed.created_at, rotated_at=feed.rotated_at)


@router.post(
    "/me/calendar-feed",
    status_code=201,
    response_model=FeedLink,
    summary="Make my calendar link, or rotate it (the old link stops at once); the secret is shown once",
)
async def make_link(change: Owning, response: Response) -> FeedLink:
    feed, secret = await service.make_secret(change)
    response.headers["Cache-Control"] = "no-store"
    return FeedLink(
        path=domain.feed_path(secret), secret=secret, created_at=feed.created_at, rotated_at=feed.rotated_at
    )


@router.delete(
    "/me/calendar-feed",
    status_code=204,
    response_class=Response,
    responses=problems(FeedNotFound),
    summary="Revoke my calendar link (it answers 404 from now on)",
)
async def revoke_link(change: Owning) -> Response:
    await service.revoke(change)
    return Response(status_code=204)


Secret = Annotated[str, Path(pattern=domain.SECRET_PATTERN, description="the feed's secret")]


@router.get(
    "/calendar-feeds/{secret}.ics",
    response_class=Response,
    dependencies=[Depends(PUBLIC)],
    responses={
        200: {
            "description": "the member's activities as iCalendar (RFC 5545)",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        **problems(FeedNotFound),
    },
    summary="A member's calendar feed (public: the secret link is the credential; rate-limited per address)",
)
async def calendar_feed(secret: Secret, session: SessionDep, request: Request) -> Response:
    body = await service.feed(session, secret, request.app.state.runtime.clock.now())
    headers = {
        "Cache-Control": "private, max-age=300",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "no-referrer",
    }
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
