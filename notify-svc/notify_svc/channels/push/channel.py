"""The push channel: a delivery per (notice, device) of each recipient who keeps push on for the
category, rendered in their language, held until their quiet hours end unless urgent. Written in
the consumer's transaction; the worker (`channels/worker.py`) calls the vendor."""

from collections.abc import Mapping, Sequence
from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from notify_svc.audience import Notice, Projections, Urgency
from notify_svc.channels.queue import repository as queue
from notify_svc.devices import repository as devices
from notify_svc.preferences.domain import Channel, Preferences, default_preferences
from notify_svc.rendering import render_notice

CHANNEL = "push"


async def deliver(
    change: Change,
    envelope: CloudEvent,
    notices: Sequence[Notice],
    people: Projections,
    chosen: Mapping[UUID, Preferences],
) -> None:
    if not notices:
        return
    owned = await devices.of_people(change.session, [n.recipient for n in notices])
    if not owned:
        return
    rows: list[dict[str, object]] = []
    for n in notices:
        mine = owned.get(n.recipient)
        prefs = chosen.get(n.recipient) or default_preferences()
        if not mine or not prefs.wants(n.category, Channel.PUSH):
            continue
        text = render_notice(CHANNEL, n, prefs.locale)
        hold = None if n.urgency is Urgency.URGENT else prefs.hold_until(change.now)
        rows += [
            queue.row(
                change,
                envelope,
                n,
                channel=CHANNEL,
                target=str(d.id),
                device_id=d.id,
                route=d.vendor,
                locale=prefs.locale,
                text=text,
                not_before=hold,
            )
            for d in mine
        ]
    await queue.enqueue(change.session, rows)
