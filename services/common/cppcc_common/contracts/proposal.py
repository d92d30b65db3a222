"""Events published by proposal-svc (stream PROPOSAL)."""

from datetime import datetime
from uuid import UUID

from cppcc_common.events import EventData, register


@register("cppcc.proposal.submitted.v1")
class ProposalSubmittedV1(EventData):
    """A member submitted a proposal: the proposals office is told, the proposer gets a receipt."""

    proposal_id: UUID
    org_id: UUID
    title: str
    kind: str
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []
    submitted_at: datetime
    version: int
