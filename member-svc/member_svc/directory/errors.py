from cppcc_common.errors import AppError, InvalidTransition, NotFound
from cppcc_common.text import Text


class DirectoryNotFound(NotFound):
    code = "directory.not_found"


class NameTaken(AppError):
    status = 409
    code = "directory.name_taken"
    title = Text("名称已存在", "The name is already used")
    detail = Text("本组织中已有同名的“{name}”。", "'{name}' already exists in this organization.")


class AlreadyMember(AppError):
    status = 409
    code = "member.already_in_term"
    title = Text("该人员已是本届委员", "Already a member of this term")


class PhoneBelongsToAnotherOrganization(AppError):
    status = 409
    code = "member.phone_in_other_org"
    title = Text("手机号已被其他组织使用", "The phone number belongs to another organization's account")


class InvalidDates(AppError):
    status = 422
    code = "directory.invalid_dates"
    title = Text("日期不合理", "The dates do not fit")


# The wording of each date rule of `domain` (its violation code -> the problem's detail).
DATE_RULES = {
    "term_ends_before_it_starts": Text("届的结束日期须晚于开始日期", "A term must end after it starts"),
    "session_outside_term": Text(
        "会议日期须在本届任期内且闭幕不早于开幕", "The session must lie within its term"
    ),
    "deadline_before_window": Text(
        "提案截止时间须晚于征集开始时间", "The proposal deadline must follow the window's opening"
    ),
}


class MemberInvalidTransition(InvalidTransition):
    """A status change the member status table does not hold (e.g. to the status the member has)."""

    code = "member.invalid_transition"
    title = Text("委员当前状态不允许此变更", "The member's status does not allow this change")
