"""What the outcomes context learns from member-svc: the organization's handling units and their users
(consultation-svc's own units projection; the departments an outcome names as responsible)."""

from consultation_svc.outcomes import repository
from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import UnitRegisteredV1, UnitUserAddedV1
from cppcc_common.events import CloudEvent, EventData


async def on_unit_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps the units an outcome may name as its responsible department; a rename updates the row."""
    assert isinstance(data, UnitRegisteredV1)
    await repository.keep_unit(change.session, data)


async def on_unit_user_added(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps who works for which unit (the token's `unit` claim is what authorizes; this is for display)."""
    assert isinstance(data, UnitUserAddedV1)
    await repository.keep_unit_user(change.session, data)


CONSUMERS = [
    ConsumerSpec(
        name="consultation-units",
        stream="MEMBER",
        subjects=["cppcc.unit.registered.v1", "cppcc.unit.user_added.v1"],
        handlers={
            UnitRegisteredV1.event_type: on_unit_registered,
            UnitUserAddedV1.event_type: on_unit_user_added,
        },
    )
]
