from collections.abc import Iterable

from cppcc_common.errors import AppError, violation_errors
from cppcc_common.text import Text


class PolicyInvalid(AppError):
    """The values do not hold together (policies.domain.violations), each named with its field."""

    status = 422
    code = "proposal_policy.invalid"
    title = Text("提案规则设置无效", "The proposal policy is invalid")
    detail = Text("请按提示修改规则设置。", "Correct the values named in the errors.")

    @classmethod
    def listing(cls, violations: Iterable[tuple[str, str]]) -> "PolicyInvalid":
        return cls(errors=violation_errors(violations, MESSAGES))


MESSAGES: dict[str, Text] = {
    "above_max_suggestions": Text(
        "最少建议条数不能多于最多建议条数。", "At most as many as max_suggestions."
    ),
    "below_reply_due_months": Text(
        "最长答复期限不能短于答复期限（含会期提案）。",
        "At least reply_due_months and session_reply_due_months.",
    ),
    "blank": Text("不能为空白。", "Must not be blank."),
    "duplicate": Text("与前面的条目重复。", "Repeats an earlier entry."),
    "unknown_reply_class": Text("须为已设置的答复类别之一。", "Must be one of the reply classes."),
    "dissatisfied_required": Text(
        "评价选项须包含“不满意”（dissatisfied），不满意将重新办理。",
        "The evaluations must include 'dissatisfied' (it re-opens handling).",
    ),
}
