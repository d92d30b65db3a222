"""The duty ledger's two state machines, as data (cppcc_common.transitions).

- A member's duty year is open until staff close it (rule 26); a closed year is final: it takes
  no more scoring, no annual report, no second closing. What a late event gives it is held.
- A held entry (a late event's entry for a closed year) is pending until staff apply or dismiss it.
"""

from enum import StrEnum

from cppcc_common.transitions import TransitionTable
from member_svc.duty.errors import HeldEntryDecided, YearClosed


class YearStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class YearAction(StrEnum):
    SCORE = "score"  # a duty event's entries join the year's ledger
    FILE_REPORT = "file_annual_report"
    CLOSE = "close"


DUTY_YEAR = TransitionTable(
    {
        (YearStatus.OPEN, YearAction.SCORE): YearStatus.OPEN,
        (YearStatus.OPEN, YearAction.FILE_REPORT): YearStatus.OPEN,
        (YearStatus.OPEN, YearAction.CLOSE): YearStatus.CLOSED,
    },
    error=YearClosed,
)


def year_status(closed: bool) -> YearStatus:
    """A year is closed once its `closed_years` row exists."""
    return YearStatus.CLOSED if closed else YearStatus.OPEN


class HeldStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    DISMISSED = "dismissed"


class HeldAction(StrEnum):
    APPLY = "apply"
    DISMISS = "dismiss"


HELD_ENTRY = TransitionTable(
    {
        (HeldStatus.PENDING, HeldAction.APPLY): HeldStatus.APPLIED,
        (HeldStatus.PENDING, HeldAction.DISMISS): HeldStatus.DISMISSED,
    },
    error=HeldEntryDecided,
)
