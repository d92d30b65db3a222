"""Events published by notify-svc (stream NOTIFY)."""

from datetime import datetime
from uuid import UUID

from cppcc_common.events import EventData, register


@register("cppcc.notify.webhook_endpoint_disabled.v1")
class WebhookEndpointDisabledV1(EventData):
    """notify-svc, when it disables a partner system's webhook endpoint by itself: the partner
    answered 410 Gone (`gone`), or deliveries failed for 5 days (`failing`). notify-svc's own
    consumer tells the organization's administrators (inbox, push, SMS) like every other notice."""

    endpoint_id: UUID
    org_id: UUID
    unit_id: UUID
    url: str
    reason: str
    failing_since: datetime | None = None
    disabled_at: datetime
