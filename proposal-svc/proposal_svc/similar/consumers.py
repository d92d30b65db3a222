"""What the similar-proposal index learns from the proposals' own events (stream PROPOSAL).

The text of a proposal changes only while it is a draft, and a draft is indexed by nothing: it is
its submission (first, or again after a return) that fixes the text, so `submitted` is the one
event to follow. Status changes (filed, merged, withdrawn, …) need no event here: every read joins
the live proposal row."""

from cppcc_common.change import Change
from cppcc_common.consumer import ConsumerSpec
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.events import CloudEvent, EventData
from proposal_svc.similar import service


async def on_submitted(change: Change, envelope: CloudEvent, data: EventData) -> None:
    """Indexes the submitted proposal's text (an upsert: a redelivery writes the same row)."""
    assert isinstance(data, ProposalSubmittedV1)
    await service.index_submitted(change, data.proposal_id)


CONSUMERS = [
    ConsumerSpec(
        name="proposal-similar-index",
        stream="PROPOSAL",
        subjects=[ProposalSubmittedV1.event_type],
        handlers={ProposalSubmittedV1.event_type: on_submitted},
    )
]
