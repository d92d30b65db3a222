"""Request bodies and responses of the publication routes."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import RequestModel
from proposal_svc.proposals.domain import Status


class ConsentRequest(RequestModel):
    """Rule 20: the calling proposer's own answer, given or refused, changeable until published."""

    consent: bool = Field(description="true 同意公开 | false 不同意公开")


class PublishRequest(RequestModel):
    byline: str | None = Field(
        default=None,
        max_length=500,
        description="the proposers' names as the office shows them (e.g. 张三、李四); an organization's "
        "proposal shows its author name when none is given; contact details are removed from it too",
    )


class WithdrawPublicationRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="撤回公开的理由 (audited)")


class ConsentRead(BaseModel):
    person_id: UUID
    role: str = Field(description="first | cosigner")
    consent: bool | None = Field(description="true given, false refused, null not yet answered")


class WindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    due_on: date = Field(description="the last working day to publish (Asia/Shanghai)")
    provisional: bool = Field(description="counted into a year the working calendar does not know yet")
    closes_at: datetime = Field(description="publishing at or after this instant is refused")


class PublicationState(BaseModel):
    """Where a proposal stands on publication (rule 20), for anyone who may read it."""

    proposal_id: UUID
    proposal_status: Status
    consents: list[ConsentRead] = Field(description="every proposer who counts, in signing order")
    consented: bool = Field(description="every proposer who counts has consented")
    window: WindowRead | None = Field(description="open once the proposal is replied")
    published_at: datetime | None
    withdrawn_at: datetime | None


class PublishedReply(BaseModel):
    unit_name: str
    result_class: str
    result_label: str
    letter: str = Field(description="the reply's letter, contact details removed")
    replied_at: datetime


class PublishedSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(validation_alias="proposal_id")
    org_id: UUID
    number: str | None
    title: str
    byline: str | None
    published_at: datetime


class PublishedProposal(PublishedSummary):
    """The public copy (rule 20): a snapshot taken when published, without contact details, proposer
    ids or attachments."""

    situation: str
    suggestions: list[str]
    replies: list[PublishedReply]


class PublishedPage(BaseModel):
    items: list[PublishedSummary]
    next_cursor: str | None = None
