"""The handling context's errors (Chinese and English), codes `handling.<what>`."""

from collections.abc import Iterable
from datetime import date

from cppcc_common.errors import AppError, InvalidTransition, NotFound, PreconditionFailed, violation_errors
from cppcc_common.text import Text


class AssignmentNotFound(NotFound):
    code = "handling.assignment_not_found"
    detail = Text("交办记录不存在或无权查看。", "The assignment does not exist or is not visible to you.")


class ReplyNotFound(NotFound):
    code = "handling.reply_not_found"
    detail = Text("答复不存在或无权查看。", "The reply does not exist or is not visible to you.")


class AssignmentInvalidTransition(InvalidTransition):
    """409 from the assignment table (domain.ASSIGNMENTS)."""

    code = "handling.invalid_transition"
    title = Text("交办当前状态不允许此操作", "Not allowed in the assignment's current status")
    detail = Text(
        "交办状态为“{status}”，不能执行“{action}”。",
        "The assignment is '{status}'; '{action}' is not allowed.",
    )


class AssignmentVersionMismatch(PreconditionFailed):
    """412 from `check_version` on an assignment (its ETag)."""

    code = "handling.assignment_version_mismatch"
    title = Text("交办记录已被修改", "The assignment has changed")
    detail = Text(
        "交办记录已被修改，请刷新后重试。", "The assignment changed since you read it; reload and retry."
    )


class ReplyVersionMismatch(PreconditionFailed):
    """412 from `check_version` on a reply."""

    code = "handling.reply_version_mismatch"
    title = Text("答复已被修改", "The reply has changed")
    detail = Text("答复已被修改，请刷新后重试。", "The reply changed since you read it; reload and retry.")


ASSIGNMENT_MESSAGES: dict[str, Text] = {
    "lead_or_split_required": Text(
        "须指定一个主办单位（可有会办单位），或指定至少两个分办单位，二者不能同时指定。",
        "Give one lead unit (with any co-handlers) or at least two split units, not both.",
    ),
    "cohandlers_need_a_lead": Text("会办单位须配合主办单位。", "Co-handlers need a lead unit."),
    "duplicate_unit": Text("同一单位只能交办一次。", "A unit is assigned once."),
    "unknown_unit": Text("该单位不是本组织的承办单位。", "Not a handling unit of this organization."),
}


class AssignmentInvalid(AppError):
    """Rule 9: one lead unit with co-handlers, or split handling with one reply per unit; every unit a
    handling unit of the organization, each once."""

    status = 422
    code = "handling.assignment_invalid"
    title = Text("交办方案有误", "The assignment is not valid")
    detail = Text(
        "须指定一个主办单位（可有会办单位），或至少两个分办单位；单位须为本组织的承办单位且不重复。",
        "Give one lead unit with co-handlers, or at least two split units, each a unit of the organization, once.",
    )

    @classmethod
    def listing(cls, violations: Iterable[tuple[str, str]]) -> "AssignmentInvalid":
        return cls(errors=violation_errors(violations, ASSIGNMENT_MESSAGES))


class ReassignmentWindowClosed(AppError):
    """Rule 10: a unit asks to be reassigned only within the window after its assignment."""

    status = 409
    code = "handling.reassignment_window_closed"
    title = Text("已超过申请调整期限", "The reassignment window has closed")
    detail = Text(
        "交办后{days}日内方可申请调整承办单位。",
        "A unit may ask to be reassigned only within {days} days of its assignment.",
    )


class ReassignToSameUnit(AppError):
    """Rule 10: a reassignment moves the part to another unit of the organization, not yet assigned."""

    status = 422
    code = "handling.reassign_target_invalid"
    title = Text("调整后的承办单位有误", "The new unit is not valid")
    detail = Text(
        "须调整给本组织另一个尚未承办该提案的单位。",
        "Reassign to another unit of the organization that is not already handling the proposal.",
    )


class CommunicationRequired(AppError):
    """Rule 13: no reply without a recorded communication with the proposer."""

    status = 409
    code = "handling.communication_required"
    title = Text("尚未与提案人沟通", "No communication with the proposer recorded")
    detail = Text(
        "答复前须至少记录一次与提案人的沟通。", "Record at least one communication with the proposer first."
    )


class FaceToFaceRequired(AppError):
    """Rule 13: a key proposal's reply needs a face-to-face communication (a visit or a meeting)."""

    status = 409
    code = "handling.face_to_face_required"
    title = Text("重点提案须当面沟通", "A key proposal needs a face-to-face communication")
    detail = Text(
        "重点提案答复前须至少有一次走访或座谈的当面沟通。",
        "Before replying to a key proposal, record at least one visit or meeting with the proposer.",
    )


class CountersignMissing(AppError):
    """Rule 14: with co-handlers, each must have countersigned before the lead unit replies."""

    status = 409
    code = "handling.countersign_missing"
    title = Text("会办单位尚未会签", "Co-handlers have not countersigned")
    detail = Text(
        "所有会办单位会签后，主办单位方可答复。",
        "The lead unit replies only after every co-handler has countersigned.",
    )


class UnknownReplyClass(AppError):
    """Rule 15: a result class from the organization's list."""

    status = 422
    code = "handling.unknown_reply_class"
    title = Text("答复类别有误", "Unknown reply class")
    detail = Text("答复类别须为：{allowed}。", "The result class must be one of: {allowed}.")


class CommunicationInTheFuture(AppError):
    """A communication is recorded after it happened: its date is not after today (Asia/Shanghai)."""

    status = 422
    code = "handling.communication_in_the_future"
    title = Text("沟通日期有误", "The communication's date is in the future")
    detail = Text("沟通日期不能晚于今天。", "The date of a communication cannot be after today.")


class TextRequired(AppError):
    """A reason, views, a summary, a letter or a signer: required, and not only blanks."""

    status = 422
    code = "handling.text_required"
    title = Text("内容不能为空", "A required text is blank")
    detail = Text("“{field}”不能为空。", "'{field}' must not be blank.")


class MergedLettersInvalid(AppError):
    """Rule 8: a merged proposal's proposers each receive a reply — the reply carries one letter for
    every proposal merged into this one, and none for another."""

    status = 422
    code = "handling.merged_letters_invalid"
    title = Text("并案提案的答复不完整", "The reply does not answer every merged proposal")
    detail = Text(
        "须为每件并入的提案各附一份答复：缺少 {missing}；不应有 {unknown}。",
        "The reply needs one letter per merged-in proposal: missing {missing}; not merged here {unknown}.",
    )


EXTENSION_MESSAGES = {
    "no_reply_due": Text(
        "会办单位不答复，无答复期限可延长", "A co-handler does not reply: no reply due date to extend"
    ),
    "not_later": Text("新的答复期限须晚于当前期限", "The new due date must be later than the current one"),
    "beyond_maximum": Text("超过最长办理期限", "Beyond the longest handling period"),
    "in_the_future": Text("批准日期不能晚于今天", "The approval date cannot be after today"),
}


class ExtensionInvalid(AppError):
    """Rule 12: an extension moves a reply's due date later, never past the maximum after the
    assignment, on a recorded approval."""

    status = 422
    code = "handling.extension_invalid"
    title = Text("延期申请有误", "The extension is not valid")
    detail = Text(
        "答复期限只能延后，且不得晚于交办后{months}个月（{latest}）；须有批准记录。",
        "A due date moves only later and never past {months} months after the assignment ({latest}); "
        "an approval must be recorded.",
    )

    @classmethod
    def listing(
        cls, violations: Iterable[tuple[str, str]], *, latest: date, months: int
    ) -> "ExtensionInvalid":
        return cls(
            errors=violation_errors(violations, EXTENSION_MESSAGES),
            latest=latest,
            months=months,
        )
