"""Writing the queue (in the consumer's transaction) and waking its workers at commit."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.change import Change
from cppcc_common.events import CloudEvent
from cppcc_common.ids import new_id
from notify_svc.audience import Notice, Urgency
from notify_svc.channels.queue.domain import Status
from notify_svc.channels.queue.models import Delivery
from notify_svc.rendering import Rendered

# NOTIFY'd in the transaction that queues a delivery: PostgreSQL delivers it at commit.
WAKE_CHANNEL = "cppcc_deliveries"


def row(
    change: Change,
    envelope: CloudEvent,
    notice: Notice,
    *,
    channel: str,
    target: str,
    route: str,
    locale: str,
    text: Rendered,
    not_before: datetime | None,
    device_id: UUID | None = None,
) -> dict[str, object]:
    due = not_before or change.now
    return {
        "id": new_id(),
        "org_id": envelope.orgid,
        "person_id": notice.recipient,
        "source_event_id": envelope.id,
        "category": notice.category,
        "channel": channel,
        "target": target,
        "device_id": device_id,
        "route": route,
        "urgent": notice.urgency is Urgency.URGENT,
        "locale": locale,
        "title": text.title[:200],
        "body": text.body,
        "object_type": notice.object_type,
        "object_id": notice.object_id,
        "status": Status.PENDING.value,
        "attempts": 0,
        "not_before": due,
        "next_attempt_at": due,
        "created_at": change.now,
        "updated_at": change.now,
    }


async def enqueue(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Queues the deliveries; one already queued for the same notice and target is kept (a
    redelivered event queues nothing new). The workers wake at commit."""
    if not rows:
        return
    await session.execute(
        insert(Delivery).values(rows).on_conflict_do_nothing(constraint="uq_deliveries_notice_target")
    )
    await session.execute(select(func.pg_notify(WAKE_CHANNEL, "")))
