"""What the statistics learn from member-svc: organizations with their parents, sectors' and
committees' names (the member records themselves are the proposals context's projection)."""

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.member import CommitteeRegisteredV1, OrganizationRegisteredV1, SectorRegisteredV1
from cppcc_common.events import CloudEvent, EventData
from proposal_svc.statistics import repository


async def on_organization_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Keeps the organization's parent (a parent's office sees its children's counts side by side)."""
    assert isinstance(data, OrganizationRegisteredV1)
    await repository.keep_organization(change.session, data)


async def on_sector_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    assert isinstance(data, SectorRegisteredV1)
    await repository.keep_sector(change.session, data)


async def on_committee_registered(change: Change, envelope: CloudEvent, data: EventData) -> None:
    assert isinstance(data, CommitteeRegisteredV1)
    await repository.keep_committee(change.session, data)


CONSUMERS = [
    ConsumerSpec(
        name="proposal-statistics",
        stream="MEMBER",
        subjects=[
            "cppcc.org.registered.v1",
            "cppcc.org.sector_registered.v1",
            "cppcc.org.committee_registered.v1",
        ],
        handlers={
            OrganizationRegisteredV1.event_type: on_organization_registered,
            SectorRegisteredV1.event_type: on_sector_registered,
            CommitteeRegisteredV1.event_type: on_committee_registered,
        },
    )
]
