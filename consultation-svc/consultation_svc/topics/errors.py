"""The topic context's errors (Chinese and English), codes `topic.<what>`."""

from cppcc_common.errors import AppError, Conflict, Forbidden, InvalidTransition, NotFound, PreconditionFailed
from cppcc_common.text import Text


class TopicNotFound(NotFound):
    """Rule 28: another organization's topic, another member's topic not accepted, no such id."""

    code = "topic.not_found"
    detail = Text("协商议题不存在或无权查看。", "The topic does not exist or is not visible to you.")


class WindowNotFound(NotFound):
    code = "topic.window_not_found"
    detail = Text("议题征集不存在。", "The topic collection window does not exist.")


class TopicInvalidTransition(InvalidTransition):
    code = "topic.invalid_transition"
    title = Text("议题当前状态不允许此操作", "Not allowed in the topic's current status")


class WindowInvalidTransition(InvalidTransition):
    code = "topic.window_invalid_transition"
    title = Text("议题征集当前状态不允许此操作", "Not allowed in the collection window's current status")


class TopicVersionMismatch(PreconditionFailed):
    code = "topic.version_mismatch"
    title = Text("议题已被修改", "The topic has changed")


class WindowVersionMismatch(PreconditionFailed):
    code = "topic.window_version_mismatch"
    title = Text("议题征集已被修改", "The collection window has changed")


class WindowClosed(Conflict):
    """DOMAIN.md §4: members propose topics during the collection window only."""

    code = "topic.window_closed"
    title = Text("不在议题征集期内", "Topic collection is not open")
    detail = Text(
        "{year}年度协商议题征集{when}，现在不能提出议题。",
        "Topic collection for {year} {when_en}; topics cannot be proposed now.",
    )


class WindowExists(Conflict):
    code = "topic.window_exists"
    title = Text("该年度已开启议题征集", "The year's collection window exists")
    detail = Text(
        "{year}年度议题征集已存在，可延长或重新开启。",
        "The {year} collection window exists; extend or reopen it.",
    )


class ClosesInThePast(AppError):
    status = 422
    code = "topic.closes_in_the_past"
    title = Text("截止时间无效", "Invalid closing time")
    detail = Text("征集截止时间须晚于当前时间。", "The closing time must be in the future.")


class TopicLimitReached(Conflict):
    code = "topic.limit_reached"
    title = Text("议题数量已达上限", "Topic limit reached")
    detail = Text(
        "每位委员每年度最多提出{max}个议题（撤回的不计）。",
        "A member proposes at most {max} topics a year (withdrawn ones do not count).",
    )


class SourceNotAllowed(AppError):
    status = 422
    code = "topic.source_not_allowed"
    title = Text("议题来源无效", "Source not allowed")
    detail = Text("{who}不能以“{source}”为来源提出议题。", "{who_en} cannot give the source '{source}'.")


class SourceNameRequired(AppError):
    status = 422
    code = "topic.source_name_required"
    title = Text("须写明议题来源", "Name the source")
    detail = Text(
        "代表界别、党派或专委会提出的议题须写明其名称。",
        "A topic proposed on behalf of a sector, party or committee names it.",
    )


class SourceIdRequired(AppError):
    status = 422
    code = "topic.source_id_required"
    title = Text("须指明界别或专委会", "Name the sector or committee by its id")
    detail = Text(
        "代表界别或专委会提出的议题须指明其编号（source_id）。",
        "A topic proposed on behalf of a sector or committee gives its id (source_id).",
    )


class NotInSource(Forbidden):
    """A member proposes on behalf of a sector, party or committee only if they belong to it."""

    code = "topic.not_in_source"
    title = Text("不属于该界别、党派或专委会", "Not a member of that sector, party or committee")
    detail = Text(
        "您不是“{source}”的成员，不能代表其提出议题。",
        "You do not belong to '{source}' and cannot propose a topic on its behalf.",
    )


class TextTooLong(AppError):
    status = 422
    code = "topic.too_long"
    title = Text("内容过长", "Too long")
    detail = Text("{field}最多{max}字。", "{field} holds at most {max} characters.")


class NotTheProposer(Forbidden):
    code = "topic.not_the_proposer"
    detail = Text("只有提出人可以撤回议题。", "Only its proposer withdraws a topic.")


class PlanYearMismatch(Conflict):
    code = "topic.plan_year_mismatch"
    title = Text("计划年度不符", "The plan is of another year")
    detail = Text(
        "{year}年度的议题只能纳入{year}年度协商计划。", "A topic for {year} goes into the {year} plan only."
    )
