"""The queue's rules (pure): statuses, and when a failed delivery is tried again."""

import random
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent error, or the attempts ran out
    PRUNED = "pruned"  # the vendor called the token dead; the device is forgotten
    CANCELLED = "cancelled"  # the device (or the phone number) was removed before it went


# Waits after the 1st, 2nd, … failed attempt; after the last, the delivery fails. A push or an SMS
# late by more than a few hours is worth less than none: the inbox has it anyway.
RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
RETRY_AFTER_CAP = timedelta(hours=2)


def next_attempt(
    attempts: int, now: datetime, rng: random.Random, retry_after: float | None = None
) -> datetime | None:
    """After `attempts` failed attempts: when to try again (± 20 % jitter, at least what the vendor
    asked for, capped), or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[attempts - 1] * (1 + rng.uniform(-JITTER, JITTER))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_AFTER_CAP))
    return now + delay
