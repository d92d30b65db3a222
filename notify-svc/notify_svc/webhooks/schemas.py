"""Request bodies and responses of the webhook routes."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cppcc_common.validation import BoundedDatetime, CleanStr, PatchModel, RequestModel
from notify_svc.webhooks.domain import PATTERN, DeliveryStatus, DisabledReason

EventPattern = Annotated[str, StringConstraints(pattern=PATTERN, max_length=100)]
EventPatterns = Annotated[list[EventPattern], Field(min_length=1, max_length=50)]
Description = Annotated[CleanStr, Field(max_length=500)]


class EndpointCreate(RequestModel):
    url: Annotated[str, StringConstraints(max_length=2000)]
    event_types: EventPatterns = Field(examples=[["cppcc.proposal.*"]])
    description: Description = ""
    unit_id: UUID | None = Field(default=None, description="administrators only: the unit served")
    asymmetric: bool = Field(
        default=False,
        description="also sign with an Ed25519 key (`v1a`); the answer's `public_key` verifies it",
    )


class EndpointUpdate(PatchModel):
    url: Annotated[str, StringConstraints(max_length=2000)]
    event_types: EventPatterns
    description: Description


class RecoverRequest(RequestModel):
    since: BoundedDatetime


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    org_id: UUID
    unit_id: UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: DisabledReason | None
    failing_since: datetime | None
    public_key: str | None = Field(
        description="`whpk_…`: verifies the `v1a` signatures (endpoints made with `asymmetric`)"
    )
    version: int
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointRead):
    """Shown once, when made or rotated: the secret is not readable afterwards."""

    secret: str


class EndpointPage(BaseModel):
    items: list[EndpointRead]
    next_cursor: str | None


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_body: str
    error_class: str | None


class AttemptPage(BaseModel):
    items: list[AttemptRead]
    next_cursor: str | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    message_id: UUID
    endpoint_id: UUID
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None


class Recovered(BaseModel):
    requeued: int
