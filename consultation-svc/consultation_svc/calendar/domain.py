"""The member's calendar as pure functions (no I/O): the feed's secret and the iCalendar document.

The secret is 32 random bytes (base64url, 43 characters) shown once when made; only its SHA-256 is
kept, so a copy of the database opens no one's calendar. Rotating makes a new one (the old link is
404 at once), revoking deletes it.
"""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from icalendar import Calendar, Event

SECRET_PATTERN = r"^[A-Za-z0-9_-]{43}$"
PRODID = "-//CPPCC 掌上政协//consultation-svc//ZH"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_path(secret: str) -> str:
    return f"/api/v1/consultations/calendar-feeds/{secret}.ics"


@dataclass(frozen=True)
class Entry:
    """An activity as the member's calendar shows it."""

    activity_id: UUID
    title: str
    form: str
    status: str
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    online_link: str | None
    description: str | None
    updated_at: datetime
    version: int
    answer: str | None


def ics(entries: Iterable[Entry], *, name: str, now: datetime) -> bytes:
    """An iCalendar (RFC 5545) document: one VEVENT per activity, UID stable per activity, SEQUENCE
    its version (a rescheduled activity moves in the subscriber's calendar), a cancelled one
    STATUS:CANCELLED (calendar apps then remove or strike it)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.activity_id}@consultation.cppcc")
        event.add("dtstamp", now)
        event.add("last-modified", entry.updated_at)
        event.add("sequence", entry.version)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", entry.title)
        location = entry.venue or entry.online_link
        if location:
            event.add("location", location)
        if entry.online_link:
            event.add("url", entry.online_link)
        if entry.description:
            event.add("description", entry.description)
        event.add("status", "CANCELLED" if entry.status == "cancelled" else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if entry.answer in ("decline", "leave") else "OPAQUE")
        cal.add_component(event)
    document: bytes = cal.to_ical()
    return document
