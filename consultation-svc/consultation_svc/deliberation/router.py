"""Online deliberation routes (网络议政): parse → service → respond."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from consultation_svc.deliberation import service
from consultation_svc.deliberation.domain import PostStatus
from consultation_svc.deliberation.errors import (
    BadWindow,
    DeliberationInvalidTransition,
    DeliberationNotFound,
    DeliberationVersionMismatch,
    PostNotFound,
    ReplyToHidden,
    ThreadNotOpen,
)
from consultation_svc.deliberation.models import DeliberationPost
from consultation_svc.deliberation.schemas import (
    DeliberationRead,
    DeliberationWrite,
    PostHide,
    PostPage,
    PostRead,
    PostWrite,
    SummaryWrite,
)
from consultation_svc.deliberation.service import Thread
from consultation_svc.participation.errors import ActivityNotFound, ActivityNotOpen, NotInvited, WrongForm
from consultation_svc.participation.permissions import OFFICE, READ, TAKE_PART
from cppcc_common.auth import Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import OptionalExpectedVersion, etag

router = APIRouter(
    prefix="/api/v1/consultations/activities/{activity_id}/deliberation", tags=["online deliberation"]
)
Reader = Annotated[Principal, Depends(READ)]
Office = Annotated[Change, Changing(OFFICE)]
_SEEN = (ActivityNotFound, NotInvited)


def _thread(thread: Thread, response: Response) -> DeliberationRead:
    row = thread.row
    response.headers["ETag"] = etag(row.version)
    return DeliberationRead(
        activity_id=row.activity_id,
        topic=row.topic,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        phase=thread.phase,
        visible_posts=thread.counts.visible,
        hidden_posts=thread.counts.hidden,
        summary=row.summary,
        summarized_at=row.summarized_at,
        version=row.version,
    )


def _post(post: DeliberationPost, office: bool) -> PostRead:
    shown = office or post.status == PostStatus.VISIBLE
    return PostRead(
        id=post.id,
        activity_id=post.activity_id,
        person_id=post.person_id,
        reply_to=post.reply_to,
        status=PostStatus(post.status),
        text=post.text if shown else None,
        hidden_reason=post.hidden_reason,
        hidden_at=post.hidden_at,
        created_at=post.created_at,
        version=post.version,
    )


@router.put(
    "",
    response_model=DeliberationRead,
    responses={
        201: {"description": "opened", "model": DeliberationRead},
        **problems(
            *_SEEN,
            WrongForm,
            ActivityNotOpen,
            BadWindow,
            DeliberationInvalidTransition,
            DeliberationVersionMismatch,
        ),
    },
    summary="Set up the thread (topic, opening and closing time), or change it until summarized (the office)",
)
async def set_up(
    activity_id: UUID,
    body: DeliberationWrite,
    change: Office,
    expected: OptionalExpectedVersion,
    response: Response,
) -> DeliberationRead:
    thread, created = await service.set_up(
        change, activity_id, body.topic, body.opens_at, body.closes_at, expected
    )
    response.status_code = 201 if created else 200
    return _thread(thread, response)


@router.get(
    "",
    response_model=DeliberationRead,
    responses=problems(*_SEEN, DeliberationNotFound),
    summary="The thread: topic, window, phase, counts and the summary",
)
async def read(
    activity_id: UUID, principal: Reader, session: SessionDep, request: Request, response: Response
) -> DeliberationRead:
    thread = await service.read(session, principal, activity_id, request.app.state.runtime.clock.now())
    return _thread(thread, response)


@router.post(
    "/posts",
    status_code=201,
    response_model=PostRead,
    responses=problems(
        *_SEEN, ActivityNotOpen, DeliberationNotFound, PostNotFound, ThreadNotOpen, ReplyToHidden
    ),
    summary="Post to the thread, or reply to a post, while it is open (an invitee)",
)
async def post(
    activity_id: UUID, body: PostWrite, change: Annotated[Change, Changing(TAKE_PART)]
) -> PostRead:
    return _post(await service.post(change, activity_id, body.text, body.reply_to), office=False)


@router.get(
    "/posts",
    response_model=PostPage,
    responses=problems(*_SEEN, DeliberationNotFound),
    summary="The thread's posts, oldest first (hidden ones without their text, except to the office)",
)
async def list_posts(
    activity_id: UUID,
    principal: Reader,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PostPage:
    rows, next_cursor, office = await service.page(session, principal, activity_id, cursor, limit)
    return PostPage(items=[_post(r, office) for r in rows], next_cursor=next_cursor)


_MODERATE = problems(*_SEEN, PostNotFound, DeliberationInvalidTransition, DeliberationVersionMismatch)


@router.post(
    "/posts/{post_id}/hide",
    response_model=PostRead,
    responses=_MODERATE,
    summary="Hide a post with a reason (kept; the office)",
)
async def hide(
    activity_id: UUID, post_id: UUID, body: PostHide, change: Office, expected: OptionalExpectedVersion
) -> PostRead:
    return _post(await service.hide(change, activity_id, post_id, body.reason, expected), office=True)


@router.post(
    "/posts/{post_id}/restore",
    response_model=PostRead,
    responses=_MODERATE,
    summary="Show a hidden post again (the office)",
)
async def restore(
    activity_id: UUID, post_id: UUID, change: Office, expected: OptionalExpectedVersion
) -> PostRead:
    return _post(await service.restore(change, activity_id, post_id, expected), office=True)


@router.post(
    "/summary",
    response_model=DeliberationRead,
    responses=problems(
        *_SEEN, DeliberationNotFound, DeliberationInvalidTransition, DeliberationVersionMismatch
    ),
    summary="Write the summary of a closed thread (once; the office)",
)
async def summarize(
    activity_id: UUID,
    body: SummaryWrite,
    change: Office,
    expected: OptionalExpectedVersion,
    response: Response,
) -> DeliberationRead:
    return _thread(await service.summarize(change, activity_id, body.summary, expected), response)
