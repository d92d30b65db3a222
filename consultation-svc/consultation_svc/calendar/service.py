"""Calendar use cases: my upcoming activities, my feed's secret link, the feed itself."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.activities.models import Activity
from consultation_svc.calendar import domain, repository
from consultation_svc.calendar.domain import Entry
from consultation_svc.calendar.errors import FeedNotFound
from consultation_svc.calendar.models import CalendarFeed
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.pagination import encode_cursor

# The feed also shows the past month (what a member just attended stays in their calendar).
FEED_PAST = timedelta(days=30)
FEED_NAME = "政协协商活动"


def _entry(activity: Activity, answer: str | None) -> Entry:
    return Entry(
        activity_id=activity.id,
        title=activity.title,
        form=activity.form,
        status=activity.status,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        venue=activity.venue,
        online_link=activity.online_link,
        description=activity.description,
        updated_at=activity.updated_at,
        version=activity.version,
        answer=answer,
    )


async def upcoming(
    session: AsyncSession, principal: Principal, now: datetime, cursor: str | None, limit: int
) -> tuple[list[Entry], str | None]:
    rows = list(await repository.upcoming(session, principal.sub, principal.org, now, cursor, limit))
    more = len(rows) > limit
    entries = [_entry(activity, answer) for activity, answer in rows[:limit]]
    return entries, encode_cursor(entries[-1].starts_at, entries[-1].activity_id) if more else None


async def feed_state(session: AsyncSession, principal: Principal) -> CalendarFeed | None:
    return await repository.feed_of(session, principal.sub)


async def make_secret(change: Change) -> tuple[CalendarFeed, str]:
    """A new secret link for the caller (the old one, if any, stops at once); the secret is
    answered this once and never stored."""
    person = change.person
    secret = domain.new_secret()
    feed = await repository.feed_of(change.session, person.sub, lock=True)
    if feed is None:
        feed = CalendarFeed(person_id=person.sub, org_id=person.org, created_at=change.now)
        change.session.add(feed)
    feed.org_id = person.org
    feed.secret_sha256 = domain.digest(secret)
    feed.rotated_at = change.now
    await change.session.flush()
    return feed, secret


async def revoke(change: Change) -> None:
    feed = await repository.feed_of(change.session, change.person.sub, lock=True)
    if feed is None:
        raise FeedNotFound()
    await change.session.delete(feed)


async def feed(session: AsyncSession, secret: str, now: datetime) -> bytes:
    """The iCalendar document behind a secret link (404 for any secret not current)."""
    found = await repository.feed_by_digest(session, domain.digest(secret))
    if found is None:
        raise FeedNotFound()
    rows = await repository.feed_entries(session, found.person_id, found.org_id, now - FEED_PAST)
    return domain.ics((_entry(a, answer) for a, answer in rows), name=FEED_NAME, now=now)
