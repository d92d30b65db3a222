"""Online deliberation use cases, each taking a Change."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.deliberation import domain, repository
from consultation_svc.deliberation.domain import Counts, Phase, PostAction, PostStatus, ThreadAction
from consultation_svc.deliberation.errors import (
    DeliberationNotFound,
    DeliberationVersionMismatch,
    PostNotFound,
)
from consultation_svc.deliberation.models import Deliberation, DeliberationPost
from consultation_svc.participation import access
from consultation_svc.participation.access import Seen
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.consultation import DeliberationClosedV1
from cppcc_common.ids import new_id
from cppcc_common.pagination import encode_cursor
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version


@dataclass(frozen=True)
class Thread:
    row: Deliberation
    phase: Phase
    counts: Counts


def _phase(row: Deliberation, now: datetime) -> Phase:
    return domain.phase(row.opens_at, row.closes_at, row.summarized_at is not None, now)


async def _thread(session: AsyncSession, seen: Seen, *, lock: bool = False) -> Deliberation:
    row = await repository.thread_of(session, seen.activity.id, lock=lock)
    if row is None:
        raise DeliberationNotFound()
    return row


async def set_up(
    change: Change,
    activity_id: UUID,
    topic: str,
    opens_at: datetime,
    closes_at: datetime,
    expected: IfMatch | None,
) -> tuple[Thread, bool]:
    """The office opens the thread of an open activity of form `online`, or changes its topic and
    window until it is summarized."""
    seen = await access.as_office(change.session, change.person, activity_id)
    access.check_form(seen.activity, domain.FORM)
    access.check_open(seen.activity)
    domain.check_window(opens_at, closes_at, change.now)
    row = await repository.thread_of(change.session, activity_id, lock=True)
    created = row is None
    if row is None:
        row = Deliberation(
            activity_id=activity_id,
            org_id=seen.activity.org_id,
            topic=topic,
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=change.actor,
            created_at=change.now,
            updated_at=change.now,
            version=1,
        )
        change.session.add(row)
        await change.session.flush()
    else:
        domain.THREAD.check(_phase(row, change.now), ThreadAction.SET_UP)
        check_version(row.version, expected, error=DeliberationVersionMismatch)
        row.topic, row.opens_at, row.closes_at = topic, opens_at, closes_at
        row.updated_at = change.now
        row.version += 1
    return Thread(row, _phase(row, change.now), await repository.counts(change.session, activity_id)), created


async def read(session: AsyncSession, principal: Principal, activity_id: UUID, now: datetime) -> Thread:
    seen = await access.see(session, principal, activity_id)
    row = await _thread(session, seen)
    return Thread(row, _phase(row, now), await repository.counts(session, activity_id))


async def post(change: Change, activity_id: UUID, text: str, reply_to: UUID | None) -> DeliberationPost:
    """An invitee's post, or reply to a visible post, while the thread is open."""
    seen = await access.as_invitee(change.session, change.person, activity_id)
    access.check_open(seen.activity)
    row = await _thread(change.session, seen)
    parent = None
    if reply_to is not None:
        parent = await repository.post_of(change.session, activity_id, reply_to)
        if parent is None:
            raise PostNotFound()
    hidden_parent = parent is not None and parent.status == PostStatus.HIDDEN
    domain.check_post(_phase(row, change.now), row.opens_at, row.closes_at, hidden_parent)
    created = DeliberationPost(
        id=new_id(),
        activity_id=activity_id,
        org_id=row.org_id,
        person_id=change.person.sub,
        reply_to=reply_to,
        text=text,
        status=PostStatus.VISIBLE,
        created_at=change.now,
        version=1,
    )
    change.session.add(created)
    await change.session.flush()
    return created


async def page(
    session: AsyncSession, principal: Principal, activity_id: UUID, cursor: str | None, limit: int
) -> tuple[list[DeliberationPost], str | None, bool]:
    """A page of the thread, and whether the caller is the office (who reads hidden posts' text)."""
    seen = await access.see(session, principal, activity_id)
    await _thread(session, seen)
    rows = list(await repository.page(session, activity_id, cursor, limit))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more else None, seen.office


async def _moderate(
    change: Change,
    activity_id: UUID,
    post_id: UUID,
    action: PostAction,
    expected: IfMatch | None,
    decide: Callable[[], Decision[PostStatus]],
) -> DeliberationPost:
    """A post's write path: visible (404) → the office (route) → table (409) → If-Match (412) → apply."""
    await access.as_office(change.session, change.person, activity_id)
    found = await repository.post_of(change.session, activity_id, post_id, lock=True)
    if found is None:
        raise PostNotFound()
    domain.POSTS.check(PostStatus(found.status), action)
    check_version(found.version, expected, error=DeliberationVersionMismatch)
    decision = decide()
    for name, value in decision.changes.items():
        setattr(found, name, value)
    found.status = decision.status
    if action is PostAction.HIDE:
        found.hidden_by = change.actor
    found.version += 1
    return found


async def hide(
    change: Change, activity_id: UUID, post_id: UUID, reason: str, expected: IfMatch | None
) -> DeliberationPost:
    now = change.now
    return await _moderate(
        change, activity_id, post_id, PostAction.HIDE, expected, lambda: domain.hide(reason, now)
    )


async def restore(
    change: Change, activity_id: UUID, post_id: UUID, expected: IfMatch | None
) -> DeliberationPost:
    return await _moderate(change, activity_id, post_id, PostAction.RESTORE, expected, domain.restore)


async def summarize(change: Change, activity_id: UUID, summary: str, expected: IfMatch | None) -> Thread:
    """The office's summary of a closed thread; `deliberation_closed` goes out once, with it."""
    seen = await access.as_office(change.session, change.person, activity_id)
    row = await _thread(change.session, seen, lock=True)
    domain.THREAD.check(_phase(row, change.now), ThreadAction.SUMMARIZE)
    check_version(row.version, expected, error=DeliberationVersionMismatch)
    row.summary, row.summarized_by, row.summarized_at = summary, change.actor, change.now
    row.updated_at = change.now
    row.version += 1
    counts = await repository.counts(change.session, activity_id)
    await change.emit(
        DeliberationClosedV1(
            activity_id=activity_id,
            org_id=row.org_id,
            closes_at=row.closes_at,
            visible_posts=counts.visible,
            hidden_posts=counts.hidden,
            participants=await repository.participants(change.session, activity_id),
        ),
        subject=activity_id,
        orgid=row.org_id,
    )
    return Thread(row, Phase.SUMMARIZED, counts)
