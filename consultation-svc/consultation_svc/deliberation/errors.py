"""The online deliberation context's errors (Chinese and English), codes `deliberation.<what>`."""

from cppcc_common.errors import AppError, InvalidTransition, NotFound, PreconditionFailed
from cppcc_common.text import Text


class DeliberationNotFound(NotFound):
    code = "deliberation.not_found"
    detail = Text("本活动尚未开设网络议政。", "This activity has no online deliberation.")


class PostNotFound(NotFound):
    code = "deliberation.post_not_found"
    detail = Text("帖子不存在。", "The post does not exist.")


class DeliberationInvalidTransition(InvalidTransition):
    code = "deliberation.invalid_transition"


class DeliberationVersionMismatch(PreconditionFailed):
    code = "deliberation.version_mismatch"


class ThreadNotOpen(AppError):
    """Invitees post only between the opening and the closing time."""

    status = 409
    code = "deliberation.not_open"
    title = Text("不在议政时间内", "The deliberation is not open")
    detail = Text(
        "网络议政开放时间为 {opens_at} 至 {closes_at}。",
        "The deliberation is open from {opens_at} to {closes_at}.",
    )


class BadWindow(AppError):
    status = 422
    code = "deliberation.bad_window"
    title = Text("开放时间无效", "Invalid window")
    detail = Text("结束时间须晚于开始时间，且晚于当前时间。", "It must close after it opens and after now.")


class ReplyToHidden(AppError):
    status = 409
    code = "deliberation.reply_to_hidden"
    title = Text("不能回复已屏蔽的帖子", "A hidden post takes no replies")
