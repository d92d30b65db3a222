"""Topic collection routes: parse → service → respond (DOMAIN.md §4, rule 28).

Staff with the `consultation` scope open, extend, close and reopen the year's collection window,
record topics from the Party committee, the government and public calls, and accept or decline
topics; members propose topics while the window is open and withdraw their own; the organization's
members, staff and leaders read the windows; topics are read as `readable(principal)` says.
"""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from consultation_svc.plans.errors import (
    EntryInvalid,
    PlanInvalidTransition,
    PlanNotFound,
    TooManyEntries,
)
from consultation_svc.topics import service
from consultation_svc.topics.domain import TopicSourceKind, TopicStatus, accepting
from consultation_svc.topics.errors import (
    ClosesInThePast,
    NotInSource,
    NotTheProposer,
    PlanYearMismatch,
    SourceIdRequired,
    SourceNameRequired,
    SourceNotAllowed,
    TextTooLong,
    TopicInvalidTransition,
    TopicLimitReached,
    TopicNotFound,
    TopicVersionMismatch,
    WindowClosed,
    WindowExists,
    WindowInvalidTransition,
    WindowNotFound,
    WindowVersionMismatch,
)
from consultation_svc.topics.models import TopicWindow
from consultation_svc.topics.schemas import (
    TopicAcceptBody,
    TopicBody,
    TopicDeclineBody,
    TopicPage,
    TopicRead,
    TopicWindowOpen,
    TopicWindowPage,
    TopicWindowRead,
    TopicWindowTime,
)
from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import OptionalExpectedVersion, etag

router = APIRouter(prefix="/api/v1/consultations", tags=["consultation-topics"])

# The organization's people read the windows and (rule 28, topics.repository.readable) the topics.
TOPIC_READ = Permission("consultation.topic.read", roles={"member", "staff", "leader"})
# Members propose (in the window) and withdraw their own.
TOPIC_PROPOSE = Permission("consultation.topic.propose", roles={"member"})
# The consultation office runs the collection and decides.
TOPIC_MANAGE = Permission("consultation.topic.manage", roles={"staff"}, scopes={"consultation"})

Reader = Annotated[Principal, Depends(TOPIC_READ)]
Managing = Annotated[Change, Changing(TOPIC_MANAGE)]
Proposing = Annotated[Change, Changing(TOPIC_PROPOSE)]
_WINDOW_WRITE = (WindowNotFound, WindowInvalidTransition, WindowVersionMismatch)
_TOPIC_WRITE = (TopicNotFound, TopicInvalidTransition, TopicVersionMismatch)


async def _now(request: Request) -> datetime:
    """The runtime's injectable clock (whether a window accepts proposals now)."""
    now: datetime = request.app.state.runtime.clock.now()
    return now


Now = Annotated[datetime, Depends(_now)]


def _window(w: TopicWindow, now: datetime, response: Response | None = None) -> TopicWindowRead:
    if response is not None:
        response.headers["ETag"] = etag(w.version)
    return TopicWindowRead(
        id=w.id,
        org_id=w.org_id,
        year=w.year,
        status=w.status,
        opened_at=w.opened_at,
        closes_at=w.closes_at,
        closed_at=w.closed_at,
        note=w.note,
        accepting=accepting(service.window_facts(w), now),
        version=w.version,
    )


@router.get(
    "/topic-windows", response_model=TopicWindowPage, summary="Topic collection windows (征集协商议题)"
)
async def list_windows(
    principal: Reader,
    session: SessionDep,
    now: Now,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> TopicWindowPage:
    rows, next_cursor = await service.list_windows(session, principal, year=year, cursor=cursor, limit=limit)
    return TopicWindowPage(items=[_window(w, now) for w in rows], next_cursor=next_cursor)


@router.post(
    "/topic-windows",
    status_code=201,
    response_model=TopicWindowRead,
    responses=problems(WindowExists, ClosesInThePast),
    summary="Open the year's topic collection window until a closing time",
)
async def open_window(body: TopicWindowOpen, change: Managing, response: Response) -> TopicWindowRead:
    window = await service.open_window(change, body)
    response.headers["Location"] = f"/api/v1/consultations/topic-windows/{window.id}"
    return _window(window, change.now, response)


@router.get(
    "/topic-windows/{window_id}",
    response_model=TopicWindowRead,
    responses=problems(WindowNotFound),
    summary="A topic collection window",
)
async def read_window(
    window_id: UUID, principal: Reader, session: SessionDep, now: Now, response: Response
) -> TopicWindowRead:
    return _window(await service.read_window(session, principal, window_id), now, response)


@router.post(
    "/topic-windows/{window_id}/extend",
    response_model=TopicWindowRead,
    responses=problems(*_WINDOW_WRITE, ClosesInThePast),
    summary="Move an open window's closing time",
)
async def extend_window(
    window_id: UUID,
    body: TopicWindowTime,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> TopicWindowRead:
    window = await service.extend_window(change, window_id, body.closes_at, expected)
    return _window(window, change.now, response)


@router.post(
    "/topic-windows/{window_id}/close",
    response_model=TopicWindowRead,
    responses=problems(*_WINDOW_WRITE),
    summary="Close the window now",
)
async def close_window(
    window_id: UUID, change: Managing, expected: OptionalExpectedVersion, response: Response
) -> TopicWindowRead:
    return _window(await service.close_window(change, window_id, expected), change.now, response)


@router.post(
    "/topic-windows/{window_id}/reopen",
    response_model=TopicWindowRead,
    responses=problems(*_WINDOW_WRITE, ClosesInThePast),
    summary="Reopen a closed window until a new closing time",
)
async def reopen_window(
    window_id: UUID,
    body: TopicWindowTime,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> TopicWindowRead:
    window = await service.reopen_window(change, window_id, body.closes_at, expected)
    return _window(window, change.now, response)


@router.get("/topics", response_model=TopicPage, summary="The topics I may see, newest first")
async def list_topics(
    principal: Reader,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: TopicStatus | None = None,
    source_kind: TopicSourceKind | None = None,
    mine: Annotated[bool, Query(description="only the topics I proposed")] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> TopicPage:
    rows, next_cursor = await service.list_topics(
        session,
        principal,
        year=year,
        status=status,
        source_kind=source_kind,
        mine=mine,
        cursor=cursor,
        limit=limit,
    )
    return TopicPage(items=[TopicRead.model_validate(t) for t in rows], next_cursor=next_cursor)


@router.post(
    "/topics",
    status_code=201,
    response_model=TopicRead,
    responses=problems(
        WindowClosed,
        TopicLimitReached,
        SourceNotAllowed,
        SourceNameRequired,
        SourceIdRequired,
        NotInSource,
        TextTooLong,
    ),
    summary="Propose a topic in the collection window (a member; also on behalf of a sector, party or committee)",
)
async def propose_topic(body: TopicBody, change: Proposing, response: Response) -> TopicRead:
    topic = await service.propose(change, body)
    response.headers["Location"] = f"/api/v1/consultations/topics/{topic.id}"
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)


@router.post(
    "/topics/recorded",
    status_code=201,
    response_model=TopicRead,
    responses=problems(SourceNotAllowed, SourceNameRequired, TextTooLong),
    summary="Record a topic from the Party committee (党委点题), the government or a public call (staff)",
)
async def record_topic(body: TopicBody, change: Managing, response: Response) -> TopicRead:
    topic = await service.record(change, body)
    response.headers["Location"] = f"/api/v1/consultations/topics/{topic.id}"
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)


@router.get(
    "/topics/{topic_id}", response_model=TopicRead, responses=problems(TopicNotFound), summary="A topic"
)
async def read_topic(topic_id: UUID, principal: Reader, session: SessionDep, response: Response) -> TopicRead:
    topic = await service.read(session, principal, topic_id)
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)


@router.post(
    "/topics/{topic_id}/accept",
    response_model=TopicRead,
    responses=problems(
        *_TOPIC_WRITE, PlanNotFound, PlanInvalidTransition, PlanYearMismatch, EntryInvalid, TooManyEntries
    ),
    summary="Accept a topic into a new entry of the year's plan draft",
)
async def accept_topic(
    topic_id: UUID,
    body: TopicAcceptBody,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> TopicRead:
    topic = await service.accept(change, topic_id, body, expected)
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)


@router.post(
    "/topics/{topic_id}/decline",
    response_model=TopicRead,
    responses=problems(*_TOPIC_WRITE),
    summary="Decline a topic with the reason its proposer reads",
)
async def decline_topic(
    topic_id: UUID,
    body: TopicDeclineBody,
    change: Managing,
    expected: OptionalExpectedVersion,
    response: Response,
) -> TopicRead:
    topic = await service.decline(change, topic_id, body.reason, expected)
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)


@router.post(
    "/topics/{topic_id}/withdraw",
    response_model=TopicRead,
    responses=problems(*_TOPIC_WRITE, NotTheProposer),
    summary="Withdraw my topic before it is decided",
)
async def withdraw_topic(
    topic_id: UUID, change: Proposing, expected: OptionalExpectedVersion, response: Response
) -> TopicRead:
    topic = await service.withdraw(change, topic_id, expected)
    response.headers["ETag"] = etag(topic.version)
    return TopicRead.model_validate(topic)
