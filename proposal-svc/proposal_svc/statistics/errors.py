"""The statistics context's errors: a filter naming a value the organization does not have."""

from cppcc_common.errors import AppError
from cppcc_common.text import Text


class UnknownRating(AppError):
    status = 422
    code = "statistics.unknown_rating"
    title = Text("评价结果有误", "Unknown rating")
    detail = Text("评价结果须为：{allowed}。", "The rating must be one of: {allowed}.")


class UnknownReplyClass(AppError):
    status = 422
    code = "statistics.unknown_reply_class"
    title = Text("答复类别有误", "Unknown reply class")
    detail = Text("答复类别须为：{allowed}。", "The reply class must be one of: {allowed}.")
