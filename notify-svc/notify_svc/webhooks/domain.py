"""Webhook rules as pure functions: which endpoints an event concerns, the retry schedule, what an
answer means. No I/O."""

import fnmatch
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

# DESIGN.md §8: the first attempt at once, then after each failure these waits (±20 % jitter).
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
JITTER = 0.2
# An endpoint failing without a single success for this long is disabled and its owner told.
FAILING_LIMIT = timedelta(days=5)
# Rotation: the previous secret still signs for this long.
SECRET_OVERLAP = timedelta(hours=24)
RESPONSE_BODY_LIMIT = 1024

# A pattern names event types: `cppcc.proposal.*`, `cppcc.proposal.assigned`, `cppcc.proposal.assigned.v1`.
PATTERN = r"^[a-z0-9_*]+(\.[a-z0-9_*]+){0,4}$"
_PHONE_KEY = re.compile(r"phone|mobile|手机|电话|(^|_)tel($|_)", re.IGNORECASE)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DisabledReason(StrEnum):
    BY_OWNER = "by_owner"
    GONE = "gone"  # the partner answered 410
    FAILING = "failing"  # failing for FAILING_LIMIT


def matches(event_type: str, patterns: Iterable[str]) -> bool:
    """Whether an event type is one the endpoint subscribed to (a `*` spans dots; the version may be left out)."""
    return any(
        fnmatch.fnmatchcase(event_type, p) or fnmatch.fnmatchcase(event_type, f"{p}.v*") for p in patterns
    )


def units_concerned(data: Any) -> set[UUID]:
    """Every unit an event's payload names, at any depth: `unit_id`, `unit_ids`, `previous_unit_id`, …"""
    found: set[UUID] = set()
    if isinstance(data, Mapping):
        for key, value in data.items():
            if str(key).endswith("unit_id") and value:
                found.add(UUID(str(value)))
            elif str(key).endswith("unit_ids") and isinstance(value, list):
                found.update(UUID(str(v)) for v in value)
            else:
                found |= units_concerned(value)
    elif isinstance(data, list):
        for item in data:
            found |= units_concerned(item)
    return found


def phone_keys(data: Any, path: str = "") -> list[str]:
    """The keys of a payload that look like a phone number's: a partner never receives one."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if _PHONE_KEY.search(str(key)):
                found.append(here)
            found += phone_keys(value, here)
    elif isinstance(data, list):
        for item in data:
            found += phone_keys(item, path)
    return found


def without_phones(data: Any) -> Any:
    """The payload with every phone-like key removed (the contracts carry none; this keeps it so)."""
    if isinstance(data, Mapping):
        return {k: without_phones(v) for k, v in data.items() if not _PHONE_KEY.search(str(k))}
    if isinstance(data, list):
        return [without_phones(v) for v in data]
    return data


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"


def outcome_of(status_code: int | None) -> Outcome:
    """2xx is delivered; 410 disables the endpoint; everything else (3xx included) is a failure."""
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.DELIVERED
    if status_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


@dataclass(frozen=True)
class NextAttempt:
    """After a failed attempt: when to try again, or None when the schedule is spent."""

    at: datetime | None


def next_attempt(
    attempts: int,
    now: datetime,
    rng: random.Random,
    retry_after: float | None = None,
    retry_after_cap: float = 86_400.0,
) -> NextAttempt:
    """When the attempt after `attempts` failed ones is due: the schedule's wait ±20 %, or later if
    the partner's `Retry-After` (capped) asks for more."""
    if attempts >= len(RETRY_SCHEDULE):
        return NextAttempt(None)
    wait = RETRY_SCHEDULE[attempts] * (1 + rng.uniform(-JITTER, JITTER))
    if retry_after is not None and retry_after > 0:
        wait = max(wait, timedelta(seconds=min(retry_after, retry_after_cap)))
    return NextAttempt(now + wait)


def failing_too_long(failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= FAILING_LIMIT


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
