"""Every query of the webhook context; `readable(principal)` says whose endpoints a caller sees."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from notify_svc.webhooks.domain import DeliveryStatus
from notify_svc.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage


def readable(principal: Principal) -> ColumnElement[bool]:
    """A partner client sees its own unit's endpoints; an administrator, every one of the organization."""
    if principal.has_role("admin"):
        return WebhookEndpoint.org_id == principal.org
    if principal.has_role("partner") and principal.unit is not None:
        return and_(WebhookEndpoint.org_id == principal.org, WebhookEndpoint.unit_id == principal.unit)
    return false()


async def endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: UUID, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, readable(principal))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def endpoints_page(
    session: AsyncSession, principal: Principal, after: UUID | None, limit: int
) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(readable(principal))
    if after is not None:
        query = query.where(WebhookEndpoint.id < after)
    return (await session.execute(query.order_by(WebhookEndpoint.id.desc()).limit(limit))).scalars().all()


async def subscribed(session: AsyncSession, org_id: UUID, unit_ids: set[UUID]) -> Sequence[WebhookEndpoint]:
    """The enabled endpoints of these units (the event type is matched by the caller)."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.unit_id.in_(unit_ids),
        WebhookEndpoint.enabled.is_(True),
    )
    return (await session.execute(query)).scalars().all()


async def add_message(session: AsyncSession, values: dict[str, object]) -> UUID:
    """The message of an event; a redelivered event finds the one written before."""
    await session.execute(
        insert(WebhookMessage).values(**values).on_conflict_do_nothing(constraint="uq_webhook_messages_event")
    )
    found = await session.execute(
        select(WebhookMessage.id).where(WebhookMessage.event_id == values["event_id"])
    )
    return found.scalar_one()


async def add_deliveries(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """One delivery per message and endpoint, however often the event comes."""
    if rows:
        await session.execute(
            insert(WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_webhook_deliveries_message_endpoint")
        )


async def delivery_of(session: AsyncSession, endpoint_id: UUID, message_id: UUID) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.message_id == message_id
    )
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def attempts_page(
    session: AsyncSession, delivery_id: UUID, after: UUID | None, limit: int
) -> Sequence[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
    if after is not None:
        query = query.where(WebhookAttempt.id < after)
    return (await session.execute(query.order_by(WebhookAttempt.id.desc()).limit(limit))).scalars().all()


async def requeue(session: AsyncSession, where: ColumnElement[bool], now: datetime) -> int:
    """Puts deliveries back in the queue, due now, with a fresh schedule."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(where)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now)
    )
    await session.execute(text("SELECT pg_notify('cppcc_webhooks', '')"))  # wakes the workers at commit
    return int(getattr(result, "rowcount", 0) or 0)
