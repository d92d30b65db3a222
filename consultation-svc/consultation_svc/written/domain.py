"""Written consultation's rules, as pure functions (no I/O).

The office sends out a document with a due date (a later one extends it; one in the past is
refused). Until the due date each invitee submits one opinion and may revise it (its `revision`
counts up, each one an `opinion_submitted` event); from the due date on nothing is taken.
"""

from datetime import datetime

from consultation_svc.written.errors import DueInThePast, OpinionsClosed

FORM = "written"


def check_due(due_at: datetime, now: datetime) -> None:
    if due_at <= now:
        raise DueInThePast()


def is_open(due_at: datetime, now: datetime) -> bool:
    return now < due_at


def check_open(due_at: datetime, now: datetime) -> None:
    """Opinions are taken strictly before the due date."""
    if not is_open(due_at, now):
        raise OpinionsClosed(due_at=due_at.isoformat())


def next_revision(current: int | None) -> int:
    return 1 if current is None else current + 1
