"""Requests and responses of the similar-proposal routes."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from cppcc_common.validation import RequestModel
from proposal_svc.proposals.domain import Status
from proposal_svc.similar.domain import MAX_RESULTS


class SimilarQuery(RequestModel):
    """What a member is typing: the title (案由) and, as it grows, the body."""

    title: str = Field(default="", max_length=200, description="案由")
    body: str = Field(default="", max_length=20000, description="情况与分析、建议")
    top: int = Field(default=5, ge=1, le=MAX_RESULTS, description="最多返回几条（按相似度）")


class ReplySummary(BaseModel):
    unit_name: str | None = Field(description="承办单位")
    result_class: str = Field(description="答复类别（A 已解决或采纳 …）")
    summary: str = Field(description="答复函开头（公开件为去除联系方式后的文本）")
    replied_at: datetime


class SimilarProposal(BaseModel):
    id: UUID
    title: str
    number: str | None = Field(description="立案编号，如 第0123号")
    status: Status | None = Field(description="状态；只因公开而可见的提案不显示")
    published: bool = Field(description="已公开：标题与答复取自公开件")
    score: float = Field(ge=0, le=1, description="相似度 0–1")
    replies: list[ReplySummary]


class SimilarPage(BaseModel):
    items: list[SimilarProposal]
