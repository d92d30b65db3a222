"""The events partner systems receive: each event of a unit becomes a message and one delivery per
subscribed endpoint of that unit, in the consumer's transaction (exactly once per event and endpoint)."""

import json

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec, Handler
from cppcc_common.events import CloudEvent, EventData, registered_types
from notify_svc.webhooks import repository, service
from notify_svc.webhooks.domain import matches, units_concerned, without_phones


def body_of(envelope: CloudEvent) -> str:
    """The CloudEvent as partners receive it (never a phone number, should a payload ever carry one)."""
    return json.dumps(without_phones(envelope.model_dump(mode="json")), ensure_ascii=False)


async def on_event(change: Change, envelope: CloudEvent, data: EventData) -> None:
    units = units_concerned(data.model_dump(mode="json"))
    if not units or envelope.orgid is None:
        return
    endpoints = await repository.subscribed(change.session, envelope.orgid, units)
    chosen = [e.id for e in endpoints if matches(envelope.type, e.event_types)]
    if chosen:
        await service.queue_message(
            change, envelope.id, envelope.orgid, envelope.type, body_of(envelope), chosen
        )


def _handlers(*prefixes: str) -> dict[str, Handler]:
    return {t: on_event for t in registered_types() if t.startswith(prefixes)}


CONSUMERS = [
    ConsumerSpec(
        name="notify-webhooks-proposal",
        stream="PROPOSAL",
        subjects=["cppcc.proposal.>", "cppcc.opinion.>"],
        handlers=_handlers("cppcc.proposal.", "cppcc.opinion."),
    ),
    # A consultation outcome's responsible department (`unit_id`) is a unit too: its feedback due
    # and overdue reach the department's own system.
    ConsumerSpec(
        name="notify-webhooks-consultation",
        stream="CONSULTATION",
        subjects=["cppcc.consultation.>"],
        handlers=_handlers("cppcc.consultation."),
    ),
]
