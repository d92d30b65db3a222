"""Errors the participation contexts share (Chinese and English), codes `participation.<what>`."""

from cppcc_common.errors import AppError, Forbidden, NotFound
from cppcc_common.text import Text


class ActivityNotFound(NotFound):
    """Rule 28: another organization's activity, one the caller may not see, or no such id."""

    code = "participation.activity_not_found"
    detail = Text("协商活动不存在或无权查看。", "The activity does not exist or is not visible to you.")


class NotInvited(Forbidden):
    """Only an activity's invitees take part in it (check in, speak, give an opinion, post)."""

    code = "participation.not_invited"
    detail = Text("您不在本次协商活动的邀请名单中。", "You are not among the invitees of this activity.")


class ActivityNotOpen(AppError):
    """A cancelled or closed activity takes no more participation."""

    status = 409
    code = "participation.activity_not_open"
    title = Text("活动已取消或已结束", "The activity is cancelled or closed")
    detail = Text(
        "活动状态为“{status}”，不能再参与。", "The activity is {status}; it takes no more participation."
    )


class WrongForm(AppError):
    """Written consultation is for activities of form `written`, online deliberation for `online`."""

    status = 409
    code = "participation.wrong_form"
    title = Text("活动形式不符", "The activity is of another form")
    detail = Text(
        "此功能仅用于“{expected}”形式的活动，本活动为“{form}”。",
        "This is for activities of form '{expected}'; this one is '{form}'.",
    )
