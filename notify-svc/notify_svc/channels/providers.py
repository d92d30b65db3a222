"""The one interface every push and SMS provider speaks: `send(message) -> Result`. Adapters live in
`channels/push/` (JPush, APNs) and `channels/sms/` (Alibaba Cloud); `DevelopmentProvider` records."""

import logging
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from uuid import UUID

log = logging.getLogger("cppcc.channels")


class Outcome(StrEnum):
    SENT = "sent"
    INVALID_TOKEN = "invalid_token"  # the device token (or phone number) is dead: forget it
    RETRYABLE = "retryable"  # try again later (5xx, timeout, rate limit, refused connection)
    PERMANENT = "permanent"  # this message will never be accepted (bad payload, credentials)


@dataclass(frozen=True)
class Message:
    """One notice to one address, rendered in the person's language."""

    delivery_id: UUID
    channel: str  # push, sms
    address: str  # a device token, a mobile number
    platform: str | None  # ios, android, harmony (push)
    title: str
    body: str
    urgent: bool
    category: str
    data: dict[str, str] = field(default_factory=dict)  # what the app opens (object type and id)
    locale: str = "zh"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""
    retry_after: float | None = None  # seconds the vendor asked us to wait

    @classmethod
    def sent(cls, detail: str = "") -> "Result":
        return cls(Outcome.SENT, detail)


class Provider(Protocol):
    name: str

    async def send(self, message: Message) -> Result: ...

    async def aclose(self) -> None: ...


def masked(address: str) -> str:
    """An address as logs may show it: never a whole token or phone number."""
    return f"…{address[-4:]}" if len(address) > 4 else "…"


class DevelopmentProvider:
    """Sends nothing: records each message (the last 1000, in memory) and logs it (masked), so tests
    and `make run` see what a real provider would have been asked to send."""

    def __init__(self, name: str = "development", keep: int = 1000) -> None:
        self.name = name
        self.sent: deque[Message] = deque(maxlen=keep)

    async def send(self, message: Message) -> Result:
        self.sent.append(message)
        log.info(
            "development provider: %s to %s: %s",
            message.channel,
            masked(message.address),
            message.title,
            extra={"delivery": str(message.delivery_id), "category": message.category},
        )
        return Result.sent("recorded")

    async def aclose(self) -> None:
        return None
