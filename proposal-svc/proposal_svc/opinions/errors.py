"""The public-opinion reports' errors (Chinese and English), codes `opinion.<what>`."""

from collections.abc import Iterable, Mapping
from typing import Any

from cppcc_common.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    violation_errors,
)
from cppcc_common.text import Text


class OpinionNotFound(NotFound):
    """Rule 28: another member's report, another organization's, one the caller's role never sees
    (a unit, a partner system, staff without the `opinions` scope) and no such id are the same 404."""

    code = "opinion.not_found"
    detail = Text("社情民意信息不存在或无权查看。", "The report does not exist or is not visible to you.")


class OpinionForbidden(Forbidden):
    """A report the caller may read but not act on: the author's own steps, the office's own."""

    code = "opinion.forbidden"
    detail = Text("无权对该社情民意信息执行此操作。", "You may not take this action on the report.")


class OpinionInvalidTransition(InvalidTransition):
    """409 from the report lifecycle table (domain.LIFECYCLE)."""

    code = "opinion.invalid_transition"
    title = Text("社情民意信息当前状态不允许此操作", "Not allowed in the report's current status")
    detail = Text(
        "社情民意信息状态为“{status}”，不能执行“{action}”。",
        "The report is '{status}'; '{action}' is not allowed.",
    )


class OpinionVersionMismatch(PreconditionFailed):
    code = "opinion.version_mismatch"
    title = Text("社情民意信息已被修改", "The report has changed")
    detail = Text(
        "社情民意信息已被修改，请刷新后重试。", "The report changed since you read it; reload and retry."
    )


VIOLATION_MESSAGES: dict[str, Text] = {
    "required": Text("此项必填。", "This field is required."),
    "title_too_long": Text(
        "标题不能超过 {opinion_title_max_chars} 字。",
        "The title may have at most {opinion_title_max_chars} characters.",
    ),
    "body_too_long": Text(
        "情况、分析和建议合计不能超过 {opinion_max_chars} 字。",
        "The situation, analysis and suggestion may have at most {opinion_max_chars} characters together.",
    ),
}


class OpinionIncomplete(AppError):
    """DOMAIN.md §3: one matter, a title, the situation, analysis and suggestion, within the policy's
    length (1,500 characters by default)."""

    status = 422
    code = "opinion.incomplete"
    title = Text("社情民意信息内容不完整或超出限制", "The report is incomplete or over the limits")
    detail = Text(
        "请填写标题、情况、分析和建议，且篇幅不超过规定字数。",
        "A title, the situation, the analysis and a suggestion are required, within the length limit.",
    )

    @classmethod
    def listing(cls, violations: Iterable[tuple[str, str]], limits: Mapping[str, Any]) -> "OpinionIncomplete":
        return cls(errors=violation_errors(violations, VIOLATION_MESSAGES, **limits))


class NothingToEdit(AppError):
    status = 422
    code = "opinion.nothing_to_edit"
    title = Text("没有修改内容", "Nothing to edit")
    detail = Text(
        "请至少修改标题、分析或建议中的一项。",
        "Change at least one of the title, the analysis or the suggestion.",
    )


class AlreadyConverted(Conflict):
    """Rule 7: a not-filed proposal becomes one report, once."""

    code = "opinion.already_converted"
    title = Text("该提案已转为社情民意信息", "The proposal is already a public-opinion report")
    detail = Text(
        "该提案已转为社情民意信息，不能重复转换。",
        "The proposal was already converted into a public-opinion report.",
    )


class DateInTheFuture(AppError):
    """A leader's instruction, or feedback, is recorded once it happened: its date is not after today."""

    status = 422
    code = "opinion.date_in_the_future"
    title = Text("日期不能晚于今天", "The date cannot be after today")
    detail = Text(
        "批示日期或收到反馈的日期不能晚于今天。",
        "An instruction's date, or the date feedback was received, cannot be after today.",
    )
