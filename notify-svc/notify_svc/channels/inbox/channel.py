"""The inbox channel: every notice becomes one item in its recipient's inbox (quiet hours never
hold it); a redelivered event writes nothing new (one item per person, event and category)."""

from collections.abc import Mapping, Sequence
from uuid import UUID

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from cppcc_common.ids import new_id
from notify_svc.audience import Notice, Projections
from notify_svc.channels.inbox import repository
from notify_svc.preferences.domain import Preferences
from notify_svc.rendering import render_notice

CHANNEL = "inbox"


async def deliver(
    change: Change,
    envelope: CloudEvent,
    notices: Sequence[Notice],
    people: Projections,
    chosen: Mapping[UUID, Preferences],
) -> None:
    """One item per notice, in the recipient's language (no channel choice or quiet hours apply)."""
    items: list[dict[str, object]] = []
    for n in notices:
        text = render_notice(CHANNEL, n, people.locale(n.recipient))
        items.append(
            {
                "id": new_id(),
                "org_id": envelope.orgid,
                "person_id": n.recipient,
                "category": n.category,
                "title": text.title[:200],
                "body": text.body,
                "object_type": n.object_type,
                "object_id": n.object_id,
                "source_event_id": envelope.id,
                "created_at": change.now,
            }
        )
    await repository.add_items(change.session, items)
