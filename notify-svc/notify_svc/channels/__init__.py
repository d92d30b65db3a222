"""The channels behind `audience.notices`: each gets every notice of an event and writes what it
keeps, in the consumer's transaction. Today the inbox; push, SMS and webhooks are the next packages
here (issue 10): each a module with a `deliver` of the same shape, added to CHANNELS."""

from collections.abc import Awaitable, Callable, Sequence

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from notify_svc.audience import Notice, Projections
from notify_svc.channels.inbox import channel as inbox

Deliver = Callable[[Change, CloudEvent, Sequence[Notice], Projections], Awaitable[None]]

CHANNELS: dict[str, Deliver] = {"inbox": inbox.deliver}


async def deliver(
    change: Change, envelope: CloudEvent, notices: Sequence[Notice], people: Projections
) -> None:
    for send in CHANNELS.values():
        await send(change, envelope, notices, people)
