"""Events published by proposal-svc (stream PROPOSAL)."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime

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
    # An organization's proposal (rules 2, 3): its kind and name; the first proposer acts for it.
    author_kind: str = "member"
    author_name: str | None = None
    submitted_at: datetime
    version: int


@register("cppcc.proposal.filed.v1")
class ProposalFiledV1(EventData):
    """proposal-svc, when staff file (立案) a submitted proposal: every proposer is told."""

    proposal_id: UUID
    org_id: UUID
    title: str
    first_proposer_id: UUID
    # Only co-signers who confirmed before the co-sign deadline (rule 4), in signing order.
    cosigner_ids: list[UUID] = []
    is_joint: bool
    filed_at: AwareDatetime
    version: int


@register("cppcc.proposal.key_designated.v1")
class ProposalKeyDesignatedV1(EventData):
    """proposal-svc, when the leadership meeting designates a filed proposal a key proposal (rule 19)."""

    proposal_id: UUID
    org_id: UUID
    first_proposer_id: UUID
    cosigner_ids: list[UUID] = []  # confirmed co-signers, in signing order
    designated_at: AwareDatetime  # the date of the approving meeting
    supervisor_ids: list[UUID]
    version: int


class AdoptionLevel(StrEnum):
    """The level of the body that adopted a public-opinion report, or of the leader who instructed."""

    COUNTY = "county"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"


class AdoptionMode(StrEnum):
    SINGLE = "single"  # 单篇采用
    COMBINED = "combined"  # 综合采用


@register("cppcc.opinion.submitted.v1")
class OpinionSubmittedV1(EventData):
    """proposal-svc, when a member submits a public-opinion report (社情民意信息)."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    title: str
    submitted_at: AwareDatetime
    # Set when a not-filed proposal was converted into this report (rule 7).
    converted_from_proposal_id: UUID | None = None
    version: int


@register("cppcc.opinion.adopted.v1")
class OpinionAdoptedV1(EventData):
    """proposal-svc, when a report is adopted, and again whenever its highest level or instruction rises."""

    report_id: UUID
    org_id: UUID
    author_id: UUID
    # The highest so far (rule 27): consumers keep the best, so a late lower one changes nothing.
    adoption_level: AdoptionLevel
    adoption_mode: AdoptionMode
    instruction_level: AdoptionLevel | None = None  # the highest leader's written instruction (批示)
    adopted_at: AwareDatetime
    version: int
