"""Online deliberation's statuses and rules, as pure functions (no I/O).

The thread: `upcoming` before it opens, `open` from `opens_at` until `closes_at`, `closed` after,
`summarized` once the office wrote its summary (allowed only once closed; `deliberation_closed` is
sent then, once). The office may change the topic and the window until it is summarized.
A post: `visible`, or `hidden` by the office with a reason (kept, never deleted), and restored.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from consultation_svc.deliberation.errors import (
    BadWindow,
    DeliberationInvalidTransition,
    ReplyToHidden,
    ThreadNotOpen,
)
from cppcc_common.transitions import Decision, TransitionTable

FORM = "online"


class Phase(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    SUMMARIZED = "summarized"


class ThreadAction(StrEnum):
    SET_UP = "set_up"
    POST = "post"
    SUMMARIZE = "summarize"


THREAD: TransitionTable[Phase, ThreadAction] = TransitionTable(
    {
        (Phase.UPCOMING, ThreadAction.SET_UP): Phase.UPCOMING,
        (Phase.OPEN, ThreadAction.SET_UP): Phase.OPEN,
        (Phase.CLOSED, ThreadAction.SET_UP): Phase.CLOSED,
        (Phase.OPEN, ThreadAction.POST): Phase.OPEN,
        (Phase.CLOSED, ThreadAction.SUMMARIZE): Phase.SUMMARIZED,
    },
    error=DeliberationInvalidTransition,
)


class PostStatus(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"


class PostAction(StrEnum):
    HIDE = "hide"
    RESTORE = "restore"


POSTS: TransitionTable[PostStatus, PostAction] = TransitionTable(
    {
        (PostStatus.VISIBLE, PostAction.HIDE): PostStatus.HIDDEN,
        (PostStatus.HIDDEN, PostAction.RESTORE): PostStatus.VISIBLE,
    },
    error=DeliberationInvalidTransition,
)


def phase(opens_at: datetime, closes_at: datetime, summarized: bool, now: datetime) -> Phase:
    if summarized:
        return Phase.SUMMARIZED
    if now < opens_at:
        return Phase.UPCOMING
    return Phase.OPEN if now < closes_at else Phase.CLOSED


def check_window(opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if closes_at <= opens_at or closes_at <= now:
        raise BadWindow()


def check_post(current: Phase, opens_at: datetime, closes_at: datetime, reply_to_hidden: bool) -> None:
    """A post within the window; a reply only to a visible post."""
    if not THREAD.allows(current, ThreadAction.POST):
        raise ThreadNotOpen(opens_at=opens_at.isoformat(), closes_at=closes_at.isoformat())
    if reply_to_hidden:
        raise ReplyToHidden()


@dataclass(frozen=True)
class Counts:
    visible: int
    hidden: int


def hide(reason: str, now: datetime) -> Decision[PostStatus]:
    return Decision(PostStatus.HIDDEN, changes={"hidden_reason": reason, "hidden_at": now}, note=reason)


def restore() -> Decision[PostStatus]:
    return Decision(PostStatus.VISIBLE, changes={"hidden_reason": None, "hidden_at": None, "hidden_by": None})
