"""The channels behind `audience.notices`: each gets every notice of an event and writes what it
keeps, in the consumer's transaction: the inbox item, and the push and SMS deliveries the worker
(`channels/worker.py`) sends afterwards. Webhooks to partner systems are their own consumer
(`notify_svc/webhooks/`): they carry the event, not a person's notices."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from notify_svc.audience import Notice, Projections
from notify_svc.channels.inbox import channel as inbox
from notify_svc.channels.push import channel as push
from notify_svc.channels.sms import channel as sms
from notify_svc.preferences import repository as preferences
from notify_svc.preferences.domain import Preferences

Deliver = Callable[
    [Change, CloudEvent, Sequence[Notice], Projections, Mapping[UUID, Preferences]], Awaitable[None]
]

CHANNELS: dict[str, Deliver] = {"inbox": inbox.deliver, "push": push.deliver, "sms": sms.deliver}


async def deliver(
    change: Change, envelope: CloudEvent, notices: Sequence[Notice], people: Projections
) -> None:
    """Every channel, with the recipients' preferences read once for all of them (this runs per
    event: push and SMS each reading them was one query too many)."""
    chosen = await preferences.of_people(change.session, [n.recipient for n in notices])
    for send in CHANNELS.values():
        await send(change, envelope, notices, people, chosen)
