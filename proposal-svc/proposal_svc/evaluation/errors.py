"""The evaluation context's errors (Chinese and English), codes `evaluation.<what>`."""

from cppcc_common.errors import AppError, Forbidden, NotFound
from cppcc_common.text import Text


class EvaluationReplyNotFound(NotFound):
    code = "evaluation.reply_not_found"
    detail = Text("答复不存在或无权查看。", "The reply does not exist or is not visible to you.")


class NotAnEvaluator(Forbidden):
    """Rule 16: only the proposers who count (the first proposer, confirmed co-signers) rate a reply."""

    code = "evaluation.not_a_proposer"
    detail = Text(
        "只有提案人（领衔提案人和已确认的联名提案人）可以评价答复。",
        "Only the proposers (the first proposer and confirmed co-signers) evaluate a reply.",
    )


class AlreadyEvaluated(AppError):
    """Rule 16: each proposer rates each reply once."""

    status = 409
    code = "evaluation.already_evaluated"
    title = Text("已评价过该答复", "You have already evaluated this reply")
    detail = Text("每位提案人对每份答复只能评价一次。", "Each proposer evaluates each reply once.")


class EvaluationWindowClosed(AppError):
    """Rule 16: a reply is rated within the policy's working days; the window closes when its last
    working day ends (Asia/Shanghai)."""

    status = 409
    code = "evaluation.window_closed"
    title = Text("评价期限已过", "The evaluation window has closed")
    detail = Text(
        "答复后{days}个工作日内方可评价，评价截止日为{due_on}。",
        "A reply is evaluated within {days} working days; the last day was {due_on}.",
    )


class ReplySuperseded(AppError):
    """A re-handled part's first reply is replaced by its second: only the current reply is rated."""

    status = 409
    code = "evaluation.reply_superseded"
    title = Text("该答复已被重新办理的答复取代", "The reply was superseded by a second reply")
    detail = Text("请评价承办单位重新办理后的答复。", "Evaluate the unit's second reply instead.")


class PartBeingRehandled(AppError):
    """Rule 17: a part re-opened by a dissatisfied rating is rated again only on its second reply."""

    status = 409
    code = "evaluation.part_being_rehandled"
    title = Text("该答复正在重新办理", "This part is being handled again")
    detail = Text(
        "承办单位正在重新办理，请在第二次答复后评价。",
        "The unit is handling this part again; evaluate its second reply once it is made.",
    )


class UnknownRating(AppError):
    """Rule 16: a rating from the organization's evaluation options."""

    status = 422
    code = "evaluation.unknown_rating"
    title = Text("评价选项有误", "Unknown rating")
    detail = Text("评价须为：{allowed}。", "The rating must be one of: {allowed}.")


class CompletionReportNotRequired(AppError):
    """Rule 18: a completion report belongs to a reply of an open class (e.g. B 列入计划拟解决)."""

    status = 409
    code = "evaluation.completion_report_not_required"
    title = Text("该答复无需办结报告", "This reply needs no completion report")
    detail = Text(
        "只有“{classes}”类答复需要报送办结情况。",
        "Only replies of class {classes} need a completion report.",
    )


class CompletionAlreadyReported(AppError):
    """Rule 18: one completion report per reply."""

    status = 409
    code = "evaluation.completion_already_reported"
    title = Text("已报送办结情况", "The completion report was already filed")
    detail = Text("该答复的办结情况已经报送。", "This reply's completion report was already filed.")


class CompletionInTheFuture(AppError):
    """A completion report tells what was done: its date is not after today (Asia/Shanghai)."""

    status = 422
    code = "evaluation.completion_in_the_future"
    title = Text("办结日期有误", "The completion date is in the future")
    detail = Text("办结日期不能晚于今天。", "The date of completion cannot be after today.")


class ReportRequired(AppError):
    """A completion report's text is required and not only blanks."""

    status = 422
    code = "evaluation.report_required"
    title = Text("办结情况不能为空", "The completion report is blank")
    detail = Text("请填写办结情况。", "Write what was completed.")
