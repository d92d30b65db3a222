"""A person's preferences as values, and the rules the push and SMS channels apply (pure)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from notify_svc.preferences.policy import DEFAULT_POLICY, ChannelPolicy

LOCALES = ("zh", "en")


class Channel(StrEnum):
    """The channels a person chooses per category (the inbox is always on)."""

    PUSH = "push"
    SMS = "sms"


@dataclass(frozen=True)
class CategoryChoice:
    push: bool
    sms: bool


@dataclass(frozen=True)
class Preferences:
    """One person's choices; `categories` holds only what they changed from the policy's default."""

    locale: str = "zh"
    quiet_enabled: bool = True
    quiet_start: time = DEFAULT_POLICY.quiet_start
    quiet_end: time = DEFAULT_POLICY.quiet_end
    # The SMS number, when read for its owner (stored encrypted; the channels only need to know one
    # is kept: `sms_phone_kept`, the number itself is decrypted by the worker as it sends).
    sms_phone: str | None = None
    sms_phone_kept: bool = False
    categories: Mapping[str, CategoryChoice] = field(default_factory=dict)
    version: int = 0

    def choice(self, category: str, policy: ChannelPolicy = DEFAULT_POLICY) -> CategoryChoice:
        return self.categories.get(category) or CategoryChoice(
            push=policy.push_by_default, sms=category in policy.sms_default_categories
        )

    def wants(self, category: str, channel: Channel, policy: ChannelPolicy = DEFAULT_POLICY) -> bool:
        """Whether `channel` carries `category` to this person (SMS needs a phone number too)."""
        choice = self.choice(category, policy)
        if channel is Channel.PUSH:
            return choice.push
        return choice.sms and (self.sms_phone_kept or self.sms_phone is not None)

    def hold_until(self, now: datetime, policy: ChannelPolicy = DEFAULT_POLICY) -> datetime | None:
        """When a non-urgent push or SMS made at `now` may go: the end of the quiet window `now`
        falls in, or None (at once)."""
        if not self.quiet_enabled:
            return None
        return quiet_until(now, self.quiet_start, self.quiet_end, ZoneInfo(policy.timezone))


def default_preferences(policy: ChannelPolicy = DEFAULT_POLICY) -> Preferences:
    return Preferences(quiet_start=policy.quiet_start, quiet_end=policy.quiet_end)


def quiet_until(now: datetime, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet window [start, end) that `now` falls in (local time of `zone`), or None
    when `now` is outside it. A window with start > end wraps midnight; start == end is no window."""
    if start == end:
        return None
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)
