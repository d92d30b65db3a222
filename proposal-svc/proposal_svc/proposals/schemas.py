from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.contracts.proposal import NotFiledDisposition
from cppcc_common.validation import BoundedDate, PatchModel, RequestModel
from proposal_svc.proposals.domain import AuthorKind, InvitationStatus, Kind, Role, Status

# Transport limits only; the organization's policy (title ≤ 50, body ≤ 2,500 by default) is
# checked in the domain so each organization can set its own values.
Suggestion = Annotated[str, Field(max_length=5000)]
# Co-signers in signing order (rule 4); the policy's `max_cosigners` (30 by default) is the rule.
CosignerIds = Annotated[list[UUID], Field(max_length=200, description="联名委员（按签名顺序）")]


class ProposalDraft(RequestModel):
    title: str = Field(default="", max_length=200, description="案由")
    situation: str = Field(default="", max_length=20000, description="情况与分析")
    suggestions: list[Suggestion] = Field(default_factory=list, max_length=50, description="具体建议")
    suggested_unit: str | None = Field(default=None, max_length=100, description="建议承办单位")
    cosigner_ids: CosignerIds = Field(default_factory=list)
    author_kind: AuthorKind = Field(
        default=AuthorKind.MEMBER,
        description="提案者：委员个人，或党派、人民团体、专委会、界别、小组（由本人代为提出；创建后不可更改）",
    )
    author_name: str | None = Field(
        default=None, max_length=100, description="提案单位名称（以组织名义提出时必填）"
    )


class ProposalUpdate(PatchModel):
    """Fields left out stay as they are; only the suggested unit may be cleared with null."""

    title: str = Field(max_length=200)
    situation: str = Field(max_length=20000)
    suggestions: list[Suggestion] = Field(max_length=50)
    suggested_unit: str | None = Field(max_length=100)
    cosigner_ids: CosignerIds


class ProposerRead(BaseModel):
    """A proposer as everyone who reads the proposal sees them: no contact details (rule 28)."""

    person_id: UUID
    role: Role
    position: int  # signing order: 0 is the first proposer
    status: InvitationStatus
    respond_by: datetime | None  # a co-signer's deadline, once asked (on submission)

    model_config = ConfigDict(from_attributes=True)


class ProposalRead(BaseModel):
    id: UUID
    org_id: UUID
    status: Status
    kind: Kind | None
    title: str
    situation: str
    suggestions: list[str]
    suggested_unit: str | None
    author_kind: AuthorKind
    author_name: str | None
    first_proposer_id: UUID
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    version: int
    proposers: list[ProposerRead]
    number: str | None = Field(default=None, description="立案号, e.g. 第0123号")
    filing_series: str | None = Field(
        default=None, description="the number's series: session:<plenary session id> or year:<yyyy>"
    )
    filed_at: datetime | None = None
    not_filed_reason: str | None = None
    not_filed_disposition: NotFiledDisposition | None = None
    opinion_report_id: UUID | None = Field(default=None, description="the report a conversion created")
    merged_into_id: UUID | None = None
    is_key: bool = False
    key_meeting: str | None = None
    key_meeting_on: date | None = None
    key_supervisor_ids: list[UUID] | None = None

    model_config = ConfigDict(from_attributes=True)


class ProposalPage(BaseModel):
    items: list[ProposalRead]
    next_cursor: str | None = None


class CosignAnswer(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"


class CosignRequest(RequestModel):
    answer: CosignAnswer = Field(description="confirm 确认联名 | decline 谢绝联名")


class WithdrawRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=500, description="撤回理由（必填，不可为空白）")


class ReturnRequest(RequestModel):
    note: str = Field(min_length=1, max_length=2000, description="退回修改意见, shown to the proposer")


class NotFileRequest(RequestModel):
    reason: str = Field(min_length=1, max_length=200, description="one of the organization's refusal reasons")
    disposition: NotFiledDisposition = Field(description="转为社情民意信息 / 转为来信 / 无")


class MergeRequest(RequestModel):
    into_id: UUID = Field(description="the filed proposal of the same organization to merge into")


class KeyDesignation(RequestModel):
    meeting: str = Field(min_length=1, max_length=200, description="the approving meeting (主席会议)")
    meeting_on: BoundedDate = Field(description="the meeting's date, not after today")
    supervisor_ids: list[UUID] = Field(min_length=1, max_length=20, description="the supervising leaders")
