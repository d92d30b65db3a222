from cppcc_common.errors import AppError, NotFound
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


class SameStatus(AppError):
    status = 409
    code = "member.same_status"
    title = Text("状态未改变", "The status is already that")
