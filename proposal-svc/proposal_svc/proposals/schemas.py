from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import PatchModel, RequestModel
from proposal_svc.proposals.domain import InvitationStatus, Kind, Role, Status

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
    first_proposer_id: UUID
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    version: int
    proposers: list[ProposerRead]

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
    reason: str | None = Field(default=None, max_length=500, description="撤回理由（可选）")
