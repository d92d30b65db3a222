"""Webhook use cases: endpoints (made, edited, rotated, enabled), test events, resend and recovery."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.ids import new_id
from cppcc_common.versioning import IfMatch, check_version
from notify_svc import crypto
from notify_svc.settings import Settings
from notify_svc.webhooks import repository, signing
from notify_svc.webhooks.domain import SECRET_OVERLAP, DeliveryStatus, DisabledReason
from notify_svc.webhooks.errors import (
    EndpointNotFound,
    EndpointVersionMismatch,
    InsecureUrl,
    MessageNotFound,
    UnitRequired,
    WebhooksNotConfigured,
)
from notify_svc.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from notify_svc.webhooks.schemas import EndpointCreate, EndpointUpdate

TEST_EVENT_TYPE = "cppcc.webhook.test.v1"
WAKE_CHANNEL = "cppcc_webhooks"
_WAKE = text(f"SELECT pg_notify('{WAKE_CHANNEL}', '')")


@dataclass(frozen=True)
class Config:
    """What the webhook context reads from the settings."""

    key: bytes | None
    production: bool

    @classmethod
    def of(cls, settings: Settings) -> "Config":
        return cls(crypto.settings_key(settings), settings.environment == "production")

    def require_key(self) -> bytes:
        if self.key is None:
            raise WebhooksNotConfigured()
        return self.key


def _check_url(url: str, config: Config) -> str:
    parts = urlsplit(url)
    allowed = {"https"} if config.production else {"https", "http"}
    if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
        raise InsecureUrl()
    return url


async def _load(change: Change, endpoint_id: UUID) -> WebhookEndpoint:
    found = await repository.endpoint(change.session, change.person, endpoint_id, for_update=True)
    if found is None:
        raise EndpointNotFound()
    return found


def _changed(endpoint: WebhookEndpoint, change: Change) -> WebhookEndpoint:
    endpoint.version += 1
    endpoint.updated_at = change.now
    return endpoint


async def create_endpoint(
    change: Change, body: EndpointCreate, config: Config
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned once, stored encrypted)."""
    principal = change.person
    key = config.require_key()
    unit_id = body.unit_id if principal.has_role("admin") else principal.unit
    if unit_id is None:
        raise UnitRequired()
    endpoint_id, secret = new_id(), signing.new_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        org_id=principal.org,
        unit_id=unit_id,
        url=_check_url(body.url, config),
        description=body.description,
        event_types=list(dict.fromkeys(body.event_types)),
        enabled=True,
        secret=signing.encrypt(key, endpoint_id, secret),
        version=1,
        created_by=principal.sub,
        created_at=change.now,
        updated_at=change.now,
    )
    if body.asymmetric:
        signing_key = signing.new_signing_key()
        endpoint.signing_key = signing.encrypt(key, endpoint_id, signing_key)
        endpoint.public_key = signing.public_key(signing_key)
    change.session.add(endpoint)
    await change.session.flush()
    return endpoint, secret


async def list_endpoints(
    session: AsyncSession, principal: Principal, after: UUID | None, limit: int
) -> Sequence[WebhookEndpoint]:
    return await repository.endpoints_page(session, principal, after, limit)


async def get_endpoint(session: AsyncSession, principal: Principal, endpoint_id: UUID) -> WebhookEndpoint:
    found = await repository.endpoint(session, principal, endpoint_id)
    if found is None:
        raise EndpointNotFound()
    return found


async def update_endpoint(
    change: Change, endpoint_id: UUID, body: EndpointUpdate, config: Config, expected: IfMatch
) -> WebhookEndpoint:
    endpoint = await _load(change, endpoint_id)
    check_version(endpoint.version, expected, error=EndpointVersionMismatch)
    values = body.model_dump(exclude_unset=True)
    if "url" in values:
        endpoint.url = _check_url(values["url"], config)
    if "event_types" in values:
        endpoint.event_types = list(dict.fromkeys(values["event_types"]))
    if "description" in values:
        endpoint.description = values["description"]
    return _changed(endpoint, change)


async def delete_endpoint(change: Change, endpoint_id: UUID) -> None:
    endpoint = await _load(change, endpoint_id)
    await change.session.delete(endpoint)


async def set_enabled(change: Change, endpoint_id: UUID, enabled: bool) -> WebhookEndpoint:
    endpoint = await _load(change, endpoint_id)
    endpoint.enabled = enabled
    endpoint.disabled_reason = None if enabled else DisabledReason.BY_OWNER
    if enabled:
        endpoint.failing_since = None
    return _changed(endpoint, change)


async def rotate_secret(change: Change, endpoint_id: UUID, config: Config) -> tuple[WebhookEndpoint, str]:
    """A new secret (and a new Ed25519 key where the endpoint signs v1a); the current ones keep
    signing beside them for 24 hours."""
    key = config.require_key()
    endpoint = await _load(change, endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = change.now + SECRET_OVERLAP
    endpoint.secret = signing.encrypt(key, endpoint.id, secret)
    if endpoint.signing_key is not None:
        signing_key = signing.new_signing_key()
        endpoint.previous_signing_key = endpoint.signing_key
        endpoint.signing_key = signing.encrypt(key, endpoint.id, signing_key)
        endpoint.public_key = signing.public_key(signing_key)
    return _changed(endpoint, change), secret


async def send_test(change: Change, endpoint_id: UUID) -> WebhookDelivery:
    """Queues a test event to this endpoint alone, delivered like any other."""
    endpoint = await _load(change, endpoint_id)
    event_id = new_id()
    body = {
        "specversion": "1.0",
        "id": str(event_id),
        "source": change.source,
        "type": TEST_EVENT_TYPE,
        "subject": str(endpoint.id),
        "time": change.now.isoformat(),
        "datacontenttype": "application/json",
        "orgid": str(endpoint.org_id),
        "data": {"endpoint_id": str(endpoint.id), "unit_id": str(endpoint.unit_id)},
    }
    message_id = await queue_message(
        change, event_id, endpoint.org_id, TEST_EVENT_TYPE, json.dumps(body), [endpoint.id]
    )
    delivery = await repository.delivery_of(change.session, endpoint.id, message_id)
    assert delivery is not None
    return delivery


async def queue_message(
    change: Change, event_id: UUID, org_id: UUID, event_type: str, body: str, endpoint_ids: list[UUID]
) -> UUID:
    """The message of an event and one delivery per endpoint, due now (exactly once per pair)."""
    message_id = await repository.add_message(
        change.session,
        {
            "id": new_id(),
            "org_id": org_id,
            "event_id": event_id,
            "event_type": event_type,
            "body": body,
            "created_at": change.now,
        },
    )
    await repository.add_deliveries(
        change.session,
        [
            {
                "id": new_id(),
                "message_id": message_id,
                "endpoint_id": endpoint_id,
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": change.now,
                "created_at": change.now,
                "updated_at": change.now,
            }
            for endpoint_id in endpoint_ids
        ],
    )
    await change.session.execute(_WAKE)  # delivered at commit: every replica's worker looks at once
    return message_id


async def _delivery(
    session: AsyncSession, principal: Principal, endpoint_id: UUID, message_id: UUID
) -> WebhookDelivery:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    delivery = await repository.delivery_of(session, endpoint.id, message_id)
    if delivery is None:
        raise MessageNotFound()
    return delivery


async def attempts(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: UUID,
    message_id: UUID,
    after: UUID | None,
    limit: int,
) -> Sequence[WebhookAttempt]:
    delivery = await _delivery(session, principal, endpoint_id, message_id)
    return await repository.attempts_page(session, delivery.id, after, limit)


async def resend(change: Change, endpoint_id: UUID, message_id: UUID) -> WebhookDelivery:
    """Delivers a message to the endpoint again, from the first attempt of the schedule."""
    delivery = await _delivery(change.session, change.person, endpoint_id, message_id)
    await repository.requeue(change.session, WebhookDelivery.id == delivery.id, change.now)
    await change.session.refresh(delivery)
    return delivery


async def recover(change: Change, endpoint_id: UUID, since: datetime) -> int:
    """Every delivery to the endpoint that failed since `since` goes back in the queue."""
    endpoint = await _load(change, endpoint_id)
    return await repository.requeue(
        change.session,
        (WebhookDelivery.endpoint_id == endpoint.id)
        & (WebhookDelivery.status == DeliveryStatus.FAILED)
        & (WebhookDelivery.updated_at >= since),
        change.now,
    )
