"""The directory's rules as data plus pure functions (no framework, no I/O): the member status
machine (DOMAIN.md §1: active, on leave, resigned, revoked) and the date rules of terms and
plenary sessions. The service loads, calls these, and writes what they decided."""

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from cppcc_common.transitions import Decision, TransitionTable
from member_svc.directory.errors import MemberInvalidTransition


class Status(StrEnum):
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    RESIGNED = "resigned"
    REVOKED = "revoked"


class Action(StrEnum):
    REINSTATE = "reinstate"  # back to active (from leave, or a resignation withdrawn)
    TAKE_LEAVE = "take_leave"
    RESIGN = "resign"
    REVOKE = "revoke"
    EDIT = "edit"  # sector, party, committees, standing flag: the status stays


# A status change names the status it wants; each target is reached by one action.
ACTION_TO: dict[Status, Action] = {
    Status.ACTIVE: Action.REINSTATE,
    Status.ON_LEAVE: Action.TAKE_LEAVE,
    Status.RESIGNED: Action.RESIGN,
    Status.REVOKED: Action.REVOKE,
}

# A member registered in a term starts active.
INITIAL = Status.ACTIVE

# (from status, action) -> to status. Any status may change to any other (staff correct records
# both ways); changing to the status a member already has is not a change. A record is editable
# in every status.
MEMBER_STATUS: TransitionTable[Status, Action] = TransitionTable(
    {
        **{(s, ACTION_TO[t]): t for s in Status for t in Status if s != t},
        **{(s, Action.EDIT): s for s in Status},
    },
    error=MemberInvalidTransition,
)


def action_to(target: str) -> Action:
    """The action that moves a member to `target` (one of `Status`)."""
    return ACTION_TO[Status(target)]


def decide(
    status: str, action: Action, *, reason: str | None = None, changes: Mapping[str, Any] | None = None
) -> Decision[Status]:
    """What `action` does to a member in `status`: the status the table gives (its 409 when the
    table holds no such change), the edited fields, and the reason for the history."""
    return Decision(MEMBER_STATUS.check(Status(status), action), changes=dict(changes or {}), note=reason)


# Date rules (each answers the violated rule's code, or None; errors.py words them) -----------


def term_dates_violation(starts_on: date, ends_on: date) -> str | None:
    """A term ends after it starts."""
    return "term_ends_before_it_starts" if ends_on <= starts_on else None


def session_dates_violation(
    *,
    term_starts_on: date,
    term_ends_on: date,
    opens_on: date,
    closes_on: date,
    window_opens_at: datetime,
    deadline_at: datetime,
) -> str | None:
    """A plenary session lies within its term and closes no earlier than it opens; its
    session-proposal deadline follows the window's opening."""
    if closes_on < opens_on or not (term_starts_on <= opens_on <= term_ends_on):
        return "session_outside_term"
    if deadline_at <= window_opens_at:
        return "deadline_before_window"
    return None
