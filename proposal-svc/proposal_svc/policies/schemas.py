"""The policy as the API reads and writes it: every value of proposals.policy.ProposalPolicy, each
within its range (the rules between values are policies.domain's)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from cppcc_common.validation import CleanStr, RequestModel
from proposal_svc.proposals.policy import DEFAULT_POLICY

Reason = Annotated[CleanStr, Field(min_length=1, max_length=200)]
Label = Annotated[CleanStr, Field(min_length=1, max_length=50)]
ClassCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,9}$")]
EvaluationCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,29}$")]
MediaType = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
]
Days = Annotated[int, Field(ge=1, le=90)]


class ProposalPolicyValues(RequestModel):
    """本组织的提案规则（缺省值见 DOMAIN.md §2）/ the organization's proposal rule values."""

    title_max_chars: int = Field(ge=1, le=200, description="案由最多字数（默认 50）")
    body_max_chars: int = Field(ge=100, le=20000, description="正文最多字数（默认 2500）")
    min_suggestions: int = Field(ge=1, le=50, description="最少建议条数（默认 1）")
    max_suggestions: int = Field(ge=1, le=50, description="最多建议条数（默认 20）")
    cosign_days: int = Field(ge=1, le=60, description="联名答复期限（天，默认 7）")
    max_cosigners: int = Field(ge=1, le=200, description="联名人数上限（默认 30）")
    refusal_reasons: list[Reason] = Field(min_length=1, max_length=50, description="不予立案理由")
    reassignment_window_days: int = Field(ge=1, le=60, description="申请调整承办单位期限（天，默认 10）")
    cohandler_view_months: int = Field(ge=1, le=12, description="会办单位提交意见期限（月，默认 1）")
    reply_due_months: int = Field(ge=1, le=12, description="答复期限（月，默认 3）")
    session_reply_due_months: int = Field(ge=1, le=12, description="会期提案答复期限（月，默认 3）")
    max_reply_months: int = Field(ge=1, le=12, description="延期后最长答复期限（月，默认 6）")
    due_soon_days: list[Days] = Field(max_length=5, description="到期前提醒（天，默认 15 和 3）")
    reply_classes: dict[ClassCode, Label] = Field(min_length=1, max_length=20, description="答复类别")
    open_reply_classes: list[ClassCode] = Field(
        max_length=20, description="须报送落实情况的答复类别（默认 B）"
    )
    evaluations: dict[EvaluationCode, Label] = Field(min_length=2, max_length=10, description="评价选项")
    evaluation_working_days: int = Field(ge=1, le=60, description="评价期限（工作日，默认 15）")
    rehandling_due_months: int = Field(ge=1, le=12, description="重新办理期限（月，默认 3）")
    publication_working_days: int = Field(ge=1, le=120, description="公开期限（工作日，默认 20）")
    # The gateway's transport cap for uploads is 24 MiB: an organization may lower the default only.
    attachment_max_bytes: int = Field(
        ge=1024, le=DEFAULT_POLICY.attachment_max_bytes, description="附件大小上限（字节，默认 20 MiB）"
    )
    attachment_max_count: int = Field(ge=1, le=50, description="附件个数上限（默认 10）")
    attachment_types: list[MediaType] = Field(min_length=1, max_length=30, description="允许的附件类型")
