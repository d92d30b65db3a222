"""Directory policy values (DOMAIN.md §2 "session proposal" window), defaults shown."""

from pydantic import BaseModel, ConfigDict


class DirectoryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # A session proposal may be submitted from this many months before the plenary opens.
    session_window_months_before: int = 3


DEFAULT_POLICY = DirectoryPolicy()

PARTIES = ("中共", "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟", "无党派")
