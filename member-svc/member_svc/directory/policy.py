"""Directory policy values (DOMAIN.md §2 "session proposal" window), defaults shown; each
organization keeps its own (`directory_policies`, edited by an admin)."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.workdays import add_months


class DirectoryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # A session proposal may be submitted from this many months before the plenary opens.
    session_window_months_before: int = Field(3, ge=0, le=12)


DEFAULT_POLICY = DirectoryPolicy()

PARTIES = ("中共", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟", "无党派")


def session_window_opens_on(opens_on: date, policy: DirectoryPolicy) -> date:
    """Rule 5: the window opens whole calendar months before the plenary opens.

    On the same day of the month, or on the month's last day when it is shorter: 3 months before
    31 January is 31 October, before 31 May is 28 (29) February.
    """
    return add_months(opens_on, -policy.session_window_months_before)
