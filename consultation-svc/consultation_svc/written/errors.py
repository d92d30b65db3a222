"""The written consultation context's errors (Chinese and English), codes `written.<what>`."""

from cppcc_common.errors import AppError, NotFound, PreconditionFailed
from cppcc_common.text import Text


class WrittenConsultationNotFound(NotFound):
    code = "written.not_found"
    detail = Text("本活动尚未发出书面协商文件。", "This activity has no document out for written opinions.")


class OpinionNotFound(NotFound):
    code = "written.opinion_not_found"
    detail = Text("您尚未提交书面意见。", "You have not submitted an opinion.")


class OpinionsClosed(AppError):
    """No opinion is taken or revised once the due date has passed."""

    status = 409
    code = "written.closed"
    title = Text("书面意见征集已截止", "Written opinions are closed")
    detail = Text(
        "书面意见已于 {due_at} 截止提交，不能再提交或修改。",
        "Opinions were due by {due_at}; none is taken or revised after that.",
    )


class DueInThePast(AppError):
    status = 422
    code = "written.due_in_the_past"
    title = Text("截止时间已过", "The due date has passed")
    detail = Text("截止时间须晚于当前时间。", "The due date must lie in the future.")


class WrittenVersionMismatch(PreconditionFailed):
    code = "written.version_mismatch"
