"""CloudEvents 1.0 envelope (JSON structured mode) and the registry of typed event contracts.

Every event type is a pydantic model registered under its versioned type name, e.g.
`cppcc.proposal.submitted.v1`; the NATS subject is the type name. Parsing an unknown type
raises `UnknownEventType`, so nothing unregistered travels silently.
"""

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cppcc_common.clock import SystemClock
from cppcc_common.ids import new_id

TYPE_PATTERN = re.compile(r"^cppcc\.[a-z_]+\.[a-z_]+\.v[0-9]+$")


class EventData(BaseModel):
    """Base of every event payload. Subclasses are registered with `@register`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str] = ""


class CloudEvent(BaseModel):
    """The envelope on the wire: CloudEvents 1.0 plus the extensions orgid, traceparent, actorid."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: UUID
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    orgid: UUID | None = None
    traceparent: str | None = None
    actorid: UUID | None = None

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


_REGISTRY: dict[str, type[EventData]] = {}
E = TypeVar("E", bound=type[EventData])


def register(event_type: str) -> Callable[[E], E]:
    """Class decorator: registers an event contract under its versioned type name."""
    if not TYPE_PATTERN.match(event_type):
        raise ValueError(f"event type {event_type!r} must look like cppcc.<domain>.<event>.v<N>")

    def deco(cls: E) -> E:
        if event_type in _REGISTRY and _REGISTRY[event_type] is not cls:
            raise ValueError(f"event type {event_type} registered twice")
        cls.event_type = event_type
        _REGISTRY[event_type] = cls
        return cls

    return deco


def registered_types() -> dict[str, type[EventData]]:
    return dict(_REGISTRY)


class UnknownEventType(Exception):
    pass


class MalformedEvent(Exception):
    pass


def make_event(
    data: EventData,
    *,
    source: str,
    subject: str | UUID,
    orgid: UUID | None,
    actorid: UUID | None = None,
    traceparent: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Wraps a typed payload into an envelope with a fresh UUIDv7 id.

    Services do not call this (a convention test checks): `Change.emit` does, with the change's
    clock, source and trace. Tests and tools may, and then `time` defaults to the system clock."""
    if not data.event_type or data.event_type not in _REGISTRY:
        raise UnknownEventType(type(data).__name__)
    return CloudEvent(
        id=new_id(),
        source=source,
        type=data.event_type,
        subject=str(subject),
        time=time or SystemClock().now(),
        data=data.model_dump(mode="json"),
        orgid=orgid,
        actorid=actorid,
        traceparent=traceparent,
    )


def parse_event(raw: bytes | str) -> tuple[CloudEvent, EventData]:
    """Parses an envelope and its typed payload; unknown types and bad payloads raise."""
    try:
        envelope = CloudEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise MalformedEvent(str(exc)) from exc
    contract = _REGISTRY.get(envelope.type)
    if contract is None:
        raise UnknownEventType(envelope.type)
    try:
        return envelope, contract.model_validate(envelope.data)
    except ValidationError as exc:
        raise MalformedEvent(str(exc)) from exc
