"""The channels behind `audience.notices`: each gets every notice of an event and writes what it
keeps, in the consumer's transaction: the inbox item, and the push and SMS deliveries the worker
(`channels/worker.py`) sends afterwards. Webhooks to partner systems are their own consumer
(`notify_svc/webhooks/`): they carry the event, not a person's notices."""

from collections.abc import Awaitable, Callable, Sequence

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from notify_svc.audience import Notice, Projections
from notify_svc.channels.inbox import channel as inbox
from notify_svc.channels.push import channel as push
from notify_svc.channels.sms import channel as sms

Deliver = Callable[[Change, CloudEvent, Sequence[Notice], Projections], Awaitable[None]]

CHANNELS: dict[str, Deliver] = {"inbox": inbox.deliver, "push": push.deliver, "sms": sms.deliver}


async def deliver(
    change: Change, envelope: CloudEvent, notices: Sequence[Notice], people: Projections
) -> None:
    for send in CHANNELS.values():
        await send(change, envelope, notices, people)
