"""What notify-svc consumes: member-svc's people (its projection) and every event of DOMAIN.md §6,
each through the same path: read the projections, decide (`audience.notices`), deliver."""

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec, Handler
from cppcc_common.contracts.member import (
    MemberRegisteredV1,
    MemberStatusChangedV1,
    MemberUpdatedV1,
    PersonRegisteredV1,
)
from cppcc_common.events import CloudEvent, EventData
from notify_svc import channels, projections
from notify_svc.audience import RULES, notices
from notify_svc.devices import consumers as devices


async def on_event(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Who is told what about this event, on every channel, in the consumer's one transaction."""
    people = await projections.load(change.session, envelope, data)
    await channels.deliver(change, envelope, notices(envelope, data, people), people)


def _handled(prefix: str) -> dict[str, Handler]:
    """Every event type of a stream that tells someone something."""
    return {t.event_type: on_event for t in RULES if t.event_type.startswith(prefix)}


CONSUMERS = [
    ConsumerSpec(
        name="notify-member",
        stream="MEMBER",
        subjects=["cppcc.member.>"],
        handlers={
            PersonRegisteredV1.event_type: projections.on_person_registered,
            **devices.HANDLERS,
            MemberRegisteredV1.event_type: projections.on_member_changed,
            MemberUpdatedV1.event_type: projections.on_member_changed,
            MemberStatusChangedV1.event_type: projections.on_member_changed,
            **_handled("cppcc.member."),
        },
    ),
    ConsumerSpec(
        name="notify-proposal",
        stream="PROPOSAL",
        subjects=["cppcc.proposal.>"],
        handlers=_handled("cppcc.proposal."),
    ),
    ConsumerSpec(
        name="notify-notify",
        stream="NOTIFY",
        subjects=["cppcc.notify.>"],
        handlers=_handled("cppcc.notify."),
    ),
    ConsumerSpec(
        name="notify-consultation",
        stream="CONSULTATION",
        subjects=["cppcc.consultation.>"],
        handlers=_handled("cppcc.consultation."),
    ),
]
