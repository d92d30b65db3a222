"""The organization's proposal rule values (DOMAIN.md §2). Every number is policy, never a literal
in a rule: an organization's stored values override these defaults."""

from typing import Any

from pydantic import BaseModel, ConfigDict

# Not filing needs one of these reasons (rule 6): the 10 national grounds, by default.
DEFAULT_REFUSAL_REASONS = (
    "涉及国家秘密",
    "属于法律法规禁止的事项",
    "属于党内事务的申诉控告",
    "属于民主党派内部事务",
    "属于诉讼、仲裁等法定程序处理的事项",
    "属于学术探讨",
    "属于个人或亲属的事项",
    "宣传推介作品或产品",
    "检举控告具体人员",
    "内容空泛、没有具体建议",
)
# A reply's result class (rule 15): code → label. B stays open until a completion report (rule 18).
DEFAULT_REPLY_CLASSES = {"A": "已解决或采纳", "B": "列入计划拟解决", "C": "留作参考"}
DEFAULT_EVALUATIONS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}


class ProposalPolicy(BaseModel):
    """Every rule value of DOMAIN.md §2 with its default; an organization may override any."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Content (rule 1)
    title_max_chars: int = 50
    body_max_chars: int = 2500
    min_suggestions: int = 1
    max_suggestions: int = 20
    # Joint proposals (rule 4): co-signers answer within this many days of the invitation.
    cosign_days: int = 7
    max_cosigners: int = 30
    # Review (rule 6)
    refusal_reasons: tuple[str, ...] = DEFAULT_REFUSAL_REASONS
    # Assignment and handling (rules 9–12)
    reassignment_window_days: int = 10
    cohandler_view_months: int = 1
    reply_due_months: int = 3
    session_reply_due_months: int = 3  # an organization may set 5 for session proposals
    max_reply_months: int = 6  # an extension never passes this, counted from the assignment
    due_soon_days: tuple[int, ...] = (15, 3)
    # Reply and evaluation (rules 15–18)
    reply_classes: dict[str, str] = DEFAULT_REPLY_CLASSES
    open_reply_classes: tuple[str, ...] = ("B",)  # open until a completion report (rule 18)
    evaluations: dict[str, str] = DEFAULT_EVALUATIONS
    evaluation_working_days: int = 15
    rehandling_due_months: int = 3
    # Publication (rule 20)
    publication_working_days: int = 20
    # Attachments
    attachment_max_bytes: int = 20 * 1024 * 1024
    attachment_max_count: int = 10
    attachment_types: tuple[str, ...] = (
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "ProposalPolicy":
        return cls.model_validate(values or {})


DEFAULT_POLICY = ProposalPolicy()
