"""Request bodies and responses of the public-opinion report routes."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cppcc_common.contracts.proposal import AdoptionLevel, AdoptionMode, OpinionRecipientKind
from cppcc_common.validation import BoundedDate, CleanStr, PatchModel, RequestModel
from proposal_svc.opinions.domain import Action, Status

# Each field is bounded here (a body of megabytes is refused before any rule); the policy's limits
# (1,500 characters together by default) are the domain's.
Title = Annotated[CleanStr, Field(max_length=200, description="标题")]
Part = Annotated[CleanStr, Field(max_length=20000)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Short = Annotated[CleanStr, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
Long = Annotated[CleanStr, Field(min_length=1, max_length=5000), AfterValidator(_not_blank)]


class OpinionPolicyValues(RequestModel):
    """本组织社情民意信息规则（缺省值见 DOMAIN.md §3）/ the organization's report values."""

    opinion_max_chars: int = Field(ge=100, le=20000, description="情况、分析、建议合计字数上限（默认 1500）")
    opinion_title_max_chars: int = Field(ge=10, le=200, description="标题字数上限（默认 50）")


class OpinionDraft(RequestModel):
    """一事一报：标题、情况、分析、建议（合计字数以组织策略为准，默认 1500 字）。"""

    title: Title = ""
    situation: Part = Field("", description="基本情况")
    analysis: Part = Field("", description="问题分析")
    suggestion: Part = Field("", description="意见建议")


class OpinionDraftUpdate(PatchModel):
    title: Title
    situation: Part
    analysis: Part
    suggestion: Part


class OpinionOfficeEdit(PatchModel):
    """The office edits the title, the analysis and the suggestion (编辑加工); each edit is kept."""

    title: Title
    analysis: Part
    suggestion: Part
    note: Annotated[CleanStr, Field(max_length=500, description="编辑说明")] | None = None


class OpinionWithdrawRequest(RequestModel):
    reason: Annotated[CleanStr, Field(max_length=500, description="撤回理由（可选）")] | None = None


class OpinionAdoptRequest(RequestModel):
    level: AdoptionLevel = Field(description="采用单位的级别 county | municipal | provincial | national")
    mode: AdoptionMode = Field(AdoptionMode.SINGLE, description="single 单篇采用 | combined 综合采用")
    adopted_by: Short = Field(description="采用单位，如 省政协办公厅")
    note: Annotated[CleanStr, Field(max_length=2000)] | None = None


class OpinionNotAdoptRequest(RequestModel):
    reason: Long = Field(description="不予采用的理由（告知委员）")


class OpinionRecipientIn(RequestModel):
    kind: OpinionRecipientKind = Field(
        description="national_cppcc 全国政协 | provincial_cppcc 省政协 | party_committee 市委 | "
        "government 市政府 | department 部门"
    )
    name: Short = Field(description="报送对象名称，如 市委办公室、市卫生健康委")


class OpinionForwardRequest(RequestModel):
    recipients: list[OpinionRecipientIn] = Field(min_length=1, max_length=30)


class OpinionInstructionRequest(RequestModel):
    level: AdoptionLevel = Field(description="批示领导的级别")
    leader: Short = Field(description="批示领导（职务、姓名），如 副省长 王某")
    text: Long = Field(description="批示内容")
    instructed_on: BoundedDate = Field(description="批示日期")


class OpinionFeedbackRequest(RequestModel):
    source: Short = Field(description="反馈单位")
    text: Long = Field(description="反馈内容")
    received_on: BoundedDate = Field(description="收到反馈的日期")


class OpinionConvertRequest(RequestModel):
    """Rule 7: no body is needed; the proposal's text becomes the report's."""

    note: Annotated[CleanStr, Field(max_length=500)] | None = None


class OpinionAdoptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: AdoptionLevel
    mode: AdoptionMode
    adopted_by: str
    note: str | None
    at: datetime
    actor_id: UUID | None


class OpinionForwardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    recipient_kind: OpinionRecipientKind
    recipient_name: str
    at: datetime
    actor_id: UUID | None


class OpinionInstructionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: AdoptionLevel
    leader: str
    text: str
    instructed_on: date
    at: datetime
    actor_id: UUID | None


class OpinionFeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: str
    text: str
    received_on: date
    at: datetime
    actor_id: UUID | None


class OpinionReportSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    org_id: UUID
    author_id: UUID
    status: Status
    title: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    version: int
    converted_from_proposal_id: UUID | None = Field(description="规则 7：由不予立案的提案转来")
    adoption_level: AdoptionLevel | None = Field(description="规则 27：最高采用级别")
    adoption_mode: AdoptionMode | None = Field(description="单篇 single / 综合 combined")
    adopted_at: datetime | None
    instruction_level: AdoptionLevel | None = Field(description="规则 27：最高批示级别")


class OpinionReportRead(OpinionReportSummary):
    """A report as its author, the office and the leaders read it: the text as edited (the history
    keeps every edit), and what the office recorded."""

    situation: str
    analysis: str
    suggestion: str
    withdrawn_at: datetime | None
    not_adopted_reason: str | None
    decided_at: datetime | None
    edited: bool = Field(False, description="the office edited the text (see /edits)")
    adoptions: list[OpinionAdoptionRead] = []
    forwards: list[OpinionForwardRead] = []
    instructions: list[OpinionInstructionRead] = []
    feedback: list[OpinionFeedbackRead] = []
    actions: list[Action] = Field([], description="what the caller may do now")


class OpinionReportPage(BaseModel):
    items: list[OpinionReportSummary]
    next_cursor: str | None = None


class OpinionHistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: Status | None
    to_status: Status
    actor_id: UUID | None
    note: str | None
    at: datetime
    before: dict[str, Any] | None = Field(description="an edit's fields before")
    after: dict[str, Any] | None = Field(description="an edit's fields after")


class OpinionHistoryPage(BaseModel):
    items: list[OpinionHistoryEntry]
    next_cursor: str | None = None
