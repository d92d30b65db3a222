from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cppcc_common.validation import PatchModel, RequestModel
from proposal_svc.proposals.domain import AuthorKind, Kind, Status

# Transport limits only; the organization's policy (title ≤ 50, body ≤ 2,500 by default) is
# checked in the domain so each organization can set its own values.
Suggestion = Annotated[str, Field(max_length=5000)]


class ProposalDraft(RequestModel):
    title: str = Field(default="", max_length=200, description="案由")
    situation: str = Field(default="", max_length=20000, description="情况与分析")
    suggestions: list[Suggestion] = Field(default_factory=list, max_length=50, description="具体建议")
    suggested_unit: str | None = Field(default=None, max_length=100, description="建议承办单位")
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

    model_config = ConfigDict(from_attributes=True)


class ProposalPage(BaseModel):
    items: list[ProposalRead]
    next_cursor: str | None = None
