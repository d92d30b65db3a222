"""What consultation-svc learns of members from member-svc's events (stream MEMBER)."""

from consultation_svc.members import repository
from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import (
    MemberRegisteredV1,
    MemberSnapshot,
    MemberStatusChangedV1,
    MemberUpdatedV1,
)
from cppcc_common.events import CloudEvent, EventData


async def on_member_changed(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps who is a member of which term, sector, committees, standing or not, and in which status."""
    assert isinstance(data, MemberSnapshot)
    await repository.keep(change.session, data)


CONSUMERS = [
    ConsumerSpec(
        name="consultation-members",
        stream="MEMBER",
        subjects=["cppcc.member.registered.v1", "cppcc.member.updated.v1", "cppcc.member.status_changed.v1"],
        handlers=dict.fromkeys(
            (MemberRegisteredV1.event_type, MemberUpdatedV1.event_type, MemberStatusChangedV1.event_type),
            on_member_changed,
        ),
    ),
]
