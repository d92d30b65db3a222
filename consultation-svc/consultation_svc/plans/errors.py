"""The plan context's errors (Chinese and English), codes `plan.<what>`."""

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


class PlanNotFound(NotFound):
    """Rule 28: another organization's plan, a draft a member or leader may not see, no such id."""

    code = "plan.not_found"
    detail = Text(
        "年度协商计划不存在或无权查看。", "The consultation plan does not exist or is not visible to you."
    )


class EntryNotFound(NotFound):
    code = "plan.entry_not_found"
    detail = Text("计划条目不存在。", "The plan entry does not exist.")


class PlanInvalidTransition(InvalidTransition):
    """409 from the plan lifecycle table (domain.PLAN_LIFECYCLE)."""

    code = "plan.invalid_transition"
    title = Text("计划当前状态不允许此操作", "Not allowed in the plan's current status")


class PlanVersionMismatch(PreconditionFailed):
    code = "plan.version_mismatch"
    title = Text("计划已被修改", "The plan has changed")
    detail = Text(
        "计划已被他人修改，请刷新后重试。", "The plan was changed by someone else; reload and retry."
    )


class PlanExists(Conflict):
    """One plan per organization and year: a change after publication is a new version (revise)."""

    code = "plan.exists"
    title = Text("该年度协商计划已存在", "The year's plan already exists")
    detail = Text(
        "{year}年度协商计划已存在；发布后的修改请通过“修订”形成新版本。",
        "The {year} plan already exists; change a published plan by revising it (a new version).",
    )


class RevisionOpen(Conflict):
    code = "plan.revision_open"
    title = Text("已有未发布的修订版本", "A revision is already in progress")
    detail = Text(
        "该计划已有未发布的修订版本（第{version}版），请先完成或放弃该版本。",
        "Version {version} of this plan is already being revised; publish or discard it first.",
    )


class NotCurrentVersion(Conflict):
    code = "plan.not_current"
    title = Text("不是现行版本", "Not the current version")
    detail = Text(
        "只能修订现行（最新发布的）版本。", "Only the current (latest published) version can be revised."
    )


class PlanEmpty(Conflict):
    code = "plan.empty"
    title = Text("计划没有条目", "The plan has no entries")
    detail = Text(
        "年度协商计划至少需要一个协商条目才能报批。", "A plan needs at least one entry to be submitted."
    )


class TooManyEntries(Conflict):
    code = "plan.too_many_entries"
    title = Text("计划条目过多", "Too many entries")
    detail = Text("年度协商计划最多{max}个条目。", "A plan holds at most {max} entries.")


class NotAnApprover(Forbidden):
    """The policy names who approves the plan (plans.policy.PlanApprover)."""

    code = "plan.not_an_approver"
    detail = Text(
        "按本组织规则，年度协商计划由{approver}审定；报批人不能审定自己报批的计划。",
        "By the organization's policy the plan is approved by {approver_en}; "
        "whoever submitted it cannot approve it.",
    )


class ApprovalRequired(Conflict):
    code = "plan.approval_required"
    title = Text("须经审定后发布", "Approval required before publication")
    detail = Text(
        "按本组织规则，计划（含发布后的修订版本）须经审定后方可发布。",
        "By the organization's policy a plan, revisions included, is approved before it is published.",
    )


class EntryInvalid(AppError):
    """An entry's values do not hold together (domain.entry_problems), each named with its field."""

    status = 422
    code = "plan.entry_invalid"
    title = Text("计划条目无效", "The plan entry is invalid")
    detail = Text("请按提示修改计划条目。", "Correct the values named in the errors.")


ENTRY_MESSAGES: dict[str, Text] = {
    "unknown_form": Text("协商形式须为协商形式列表中的代码。", "Must be a code of the consultation forms."),
    "when_required": Text("须填写计划月份或计划日期之一。", "Give the planned month or the planned date."),
    "month_mismatch": Text("计划日期与计划月份不一致。", "The planned date is not in the planned month."),
    "year_mismatch": Text("计划日期须在计划年度内。", "The planned date must fall in the plan's year."),
    "groups_required": Text(
        "按界别或专委会确定参加范围时须列出界别或专委会。",
        "Name the sectors or committees when the scope is by sector or committee.",
    ),
    "members_required": Text(
        "按委员名单确定参加范围时须列出委员。", "Name the members when the scope is a list of members."
    ),
    "not_for_scope": Text(
        "该参加范围不需要列出界别、专委会或委员。",
        "This scope takes no list of sectors, committees or members.",
    ),
    "lead_required": Text(
        "须填写牵头部门（单位编号或名称）。", "Give the lead department (its unit id or its name)."
    ),
    "duplicate": Text("与前面的条目重复。", "Repeats an earlier item."),
}


def entry_invalid(problems: list[tuple[str, str]]) -> EntryInvalid:
    return EntryInvalid(errors=violation_errors(problems, ENTRY_MESSAGES))
