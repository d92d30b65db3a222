import re
from datetime import time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from cppcc_common.validation import RequestModel

# A mainland China mobile number (SMS is sent to nothing else), with or without +86.
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")


def _mobile(value: str) -> str:
    match = _MOBILE.fullmatch(value.replace(" ", "").replace("-", ""))
    if match is None:
        raise ValueError("not a mainland China mobile number")
    return match.group(1)


Mobile = Annotated[str, Field(max_length=20), AfterValidator(_mobile)]


# A local time of Asia/Shanghai, hours and minutes ("22:00"): JSON Schema's `time` format would
# need an offset, and a quiet window is a wall-clock window, not an instant.
LocalTime = Annotated[
    str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["22:00"], max_length=5)
]


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


class QuietHours(RequestModel):
    enabled: bool
    start: LocalTime = Field(description="Asia/Shanghai local time, HH:MM, e.g. 22:00")
    end: LocalTime = Field(
        description="Asia/Shanghai local time, HH:MM, e.g. 08:00; before start: wraps midnight"
    )


class ChannelChoice(RequestModel):
    push: bool
    sms: bool


class PreferencesWrite(RequestModel):
    """The whole of my preferences (PUT replaces them); a category not named keeps the default."""

    locale: Literal["zh", "en"]
    quiet_hours: QuietHours
    sms_phone: Mobile | None = None
    categories: dict[Annotated[str, Field(max_length=60)], ChannelChoice] = Field(
        default_factory=dict, max_length=100
    )


class QuietHoursRead(BaseModel):
    enabled: bool
    start: str = Field(examples=["22:00"])
    end: str = Field(examples=["08:00"])
    timezone: str


class CategoryRead(BaseModel):
    category: str
    inbox: bool = True
    push: bool
    sms: bool
    urgent: bool


class PreferencesRead(BaseModel):
    locale: str
    quiet_hours: QuietHoursRead
    sms_phone: str | None
    categories: list[CategoryRead]
    version: int
