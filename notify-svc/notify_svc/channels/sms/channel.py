"""The SMS channel: one delivery per notice whose recipient keeps SMS on for the category and gave a
mobile number (by default only the urgent categories), in their language, held through quiet hours
unless urgent. The number itself is read when the worker sends (a changed or removed number wins)."""

from collections.abc import Mapping, Sequence
from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from notify_svc.audience import Notice, Projections, Urgency
from notify_svc.channels.queue import repository as queue
from notify_svc.preferences.domain import Channel, Preferences
from notify_svc.rendering import render_notice

CHANNEL = "sms"
TARGET = "phone"


async def deliver(
    change: Change,
    envelope: CloudEvent,
    notices: Sequence[Notice],
    people: Projections,
    chosen: Mapping[UUID, Preferences],
) -> None:
    if not notices:
        return
    # Only people who gave a number (in their preferences) can be texted.
    rows: list[dict[str, object]] = []
    for n in notices:
        prefs = chosen.get(n.recipient)
        if prefs is None or not prefs.wants(n.category, Channel.SMS):
            continue
        hold = None if n.urgency is Urgency.URGENT else prefs.hold_until(change.now)
        rows.append(
            queue.row(
                change,
                envelope,
                n,
                channel=CHANNEL,
                target=TARGET,
                route=CHANNEL,
                locale=prefs.locale,
                text=render_notice(CHANNEL, n, prefs.locale),
                not_before=hold,
            )
        )
    await queue.enqueue(change.session, rows)
