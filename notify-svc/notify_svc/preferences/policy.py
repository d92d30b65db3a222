"""The organization's defaults for people's channels (pure). One policy for every organization
today; a person's own preferences override what the policy allows them to change."""

from datetime import time

from pydantic import BaseModel, ConfigDict

from notify_svc.audience import URGENT


class ChannelPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Quiet hours hold push and SMS (never the inbox) in this window of Asia/Shanghai time; a window
    # whose start is after its end wraps midnight (22:00–08:00).
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    timezone: str = "Asia/Shanghai"
    # Push is on for every category until a person turns it off; SMS costs money and interrupts
    # more, so it is on by default only for what policy marks urgent.
    push_by_default: bool = True
    sms_default_categories: frozenset[str] = URGENT
    # Devices one person may register; registering one more forgets the least recently registered.
    max_devices_per_person: int = 10


DEFAULT_POLICY = ChannelPolicy()
