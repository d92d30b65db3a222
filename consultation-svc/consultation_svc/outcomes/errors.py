"""The outcomes context's errors (Chinese and English), codes `outcome.<what>`."""

from cppcc_common.errors import AppError, InvalidTransition, NotFound, PreconditionFailed
from cppcc_common.text import Text


class OutcomeNotFound(NotFound):
    """Rule 28: another organization's outcome, a draft a unit may not see, an outcome another unit
    is responsible for, and no such id are the same 404."""

    code = "outcome.not_found"
    detail = Text(
        "协商成果不存在或无权查看。", "The consultation outcome does not exist or is not visible to you."
    )


class OutcomeInvalidTransition(InvalidTransition):
    code = "outcome.invalid_transition"


class OutcomeVersionMismatch(PreconditionFailed):
    code = "outcome.version_mismatch"
    detail = Text("协商成果已被他人修改，请刷新后重试。", "The outcome changed; reload it and try again.")


class ActivityNotFound(NotFound):
    code = "outcome.activity_not_found"
    detail = Text(
        "协商活动不存在或无权查看。", "The consultation activity does not exist or is not visible to you."
    )


class ActivityCancelled(AppError):
    status = 409
    code = "outcome.activity_cancelled"
    title = Text("活动已取消", "The activity was cancelled")
    detail = Text("已取消的协商活动不形成协商成果。", "A cancelled activity has no outcomes.")


class ResponsibleRecipientRequired(AppError):
    """Rule 22: the feedback is the responsible department's, so exactly one recipient is it."""

    status = 422
    code = "outcome.responsible_recipient_required"
    title = Text("须指定一个责任单位", "One responsible recipient is required")
    detail = Text(
        "报送对象中须有且只有一个责任单位（负责反馈的部门），当前为 {count} 个。",
        "Exactly one recipient must be the responsible department that gives feedback; {count} are.",
    )


class DuplicateRecipient(AppError):
    status = 422
    code = "outcome.duplicate_recipient"
    title = Text("报送对象重复", "A recipient is listed twice")
    detail = Text("报送对象“{name}”重复。", "The recipient '{name}' is listed twice.")


class UnknownUnit(AppError):
    status = 422
    code = "outcome.unknown_unit"
    title = Text("单位不存在", "Unknown unit")
    detail = Text(
        "报送对象中的单位不是本组织登记的承办单位：{unit_id}。",
        "A recipient's unit is not a registered unit of the organization: {unit_id}.",
    )


class UnitRecipientNeedsDepartment(AppError):
    status = 422
    code = "outcome.unit_recipient_kind"
    title = Text("单位只能是部门类报送对象", "Only a department recipient names a unit")
    detail = Text(
        "党委、政府等报送对象不关联承办单位；只有部门可以填写单位编号。",
        "A Party committee or government recipient names no unit; only a department does.",
    )


class DateInTheFuture(AppError):
    status = 422
    code = "outcome.date_in_the_future"
    title = Text("日期不能晚于今天", "The date is in the future")
    detail = Text("{field} 不能晚于今天（{today}）。", "{field} cannot be after today ({today}).")


class DateBeforeSending(AppError):
    status = 422
    code = "outcome.date_before_sending"
    title = Text("日期早于报送日期", "The date is before the outcome was sent")
    detail = Text(
        "{field} 不能早于报送日期（{sent_on}）。", "{field} cannot be before the day it was sent ({sent_on})."
    )


class DueDateNotLater(AppError):
    """Rule 22: a new feedback due date is after the day the outcome was sent and differs from the current one."""

    status = 422
    code = "outcome.due_date_invalid"
    title = Text("反馈期限无效", "The feedback due date is invalid")
    detail = Text(
        "新的反馈期限须晚于报送日期（{sent_on}）且不同于当前期限（{due_on}）。",
        "The new due date must be after the day it was sent ({sent_on}) and differ from the current one ({due_on}).",
    )


class TextRequired(AppError):
    status = 422
    code = "outcome.text_required"
    title = Text("内容不能为空", "The text is required")
    detail = Text("{field} 不能为空。", "{field} cannot be empty.")
