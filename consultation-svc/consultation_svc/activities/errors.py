"""The activities context's errors (Chinese and English), codes `consultation.<what>`."""

from cppcc_common.errors import AppError, Forbidden, InvalidTransition, NotFound, PreconditionFailed
from cppcc_common.text import Text


class ActivityNotFound(NotFound):
    code = "consultation.activity_not_found"
    detail = Text("协商活动不存在或无权查看。", "The activity does not exist or is not visible to you.")


class ActivityInvalidTransition(InvalidTransition):
    code = "consultation.invalid_transition"


class ActivityVersionMismatch(PreconditionFailed):
    code = "consultation.version_mismatch"


class UnknownForm(AppError):
    status = 422
    code = "consultation.unknown_form"
    title = Text("协商形式无效", "Unknown form of consultation")
    detail = Text(
        "协商形式“{form}”不存在，请从协商形式列表中选择。",
        "There is no form '{form}'; choose one of GET /api/v1/consultations/forms.",
    )


class ActivityTimesInvalid(AppError):
    status = 422
    code = "consultation.times_invalid"
    title = Text("活动时间无效", "Invalid activity times")
    detail = Text(
        "结束时间须晚于开始时间，且活动不超过 {max_days} 天。",
        "The end must come after the start, and an activity lasts at most {max_days} days.",
    )


class ActivityAlreadyStarted(AppError):
    status = 409
    code = "consultation.activity_started"
    title = Text("活动已开始", "The activity has started")
    detail = Text("活动开始后不能再{what}。", "Once the activity has started you can no longer {what_en}.")


class ActivityNotStarted(AppError):
    status = 409
    code = "consultation.activity_not_started"
    title = Text("活动尚未开始", "The activity has not started")
    detail = Text("活动开始后方可结束活动。", "An activity is closed only once it has started.")


class NoticeLateReasonRequired(AppError):
    """Rule 21: a notice later than the lead time needs a recorded reason."""

    status = 422
    code = "consultation.notice_late_reason_required"
    title = Text("通知晚于规定时限，须说明理由", "A late notice needs a reason")
    detail = Text(
        "会议通知应至少提前 {days} 个{unit_zh}发出（最晚 {deadline}），请填写逾期发出的理由（late_reason）。",
        "The notice goes out at least {days} {unit_en} days before (by {deadline}); give the reason it is"
        " late (late_reason).",
    )


class MaterialsLateReasonRequired(AppError):
    """Rule 21: materials later than the lead time need a recorded reason."""

    status = 422
    code = "consultation.materials_late_reason_required"
    title = Text("材料晚于规定时限，须说明理由", "Late materials need a reason")
    detail = Text(
        "会议材料应至少提前 {days} 个{unit_zh}发出（最晚 {deadline}），请填写逾期发出的理由（late_reason）。",
        "The materials go out at least {days} {unit_en} days before (by {deadline}); give the reason they"
        " are late (late_reason).",
    )


class NoMaterials(AppError):
    status = 422
    code = "consultation.no_materials"
    title = Text("尚无会议材料", "No materials yet")
    detail = Text("请先上传会议材料，再发布。", "Upload the materials before publishing them.")


class NoInvitees(AppError):
    status = 422
    code = "consultation.no_invitees"
    title = Text("尚无参加人员", "No invitees yet")
    detail = Text("请先确定参加人员，再发出通知。", "Invite the participants before issuing the notice.")


class InviteeSelectionEmpty(AppError):
    status = 422
    code = "consultation.invitee_selection_empty"
    title = Text("未选择参加人员", "No invitees chosen")
    detail = Text(
        "请按名单、界别、专委会、常委或全体委员选择，或添加特邀人员。",
        "Choose members by list, sector, committee, standing members or all, or add guests.",
    )


class NotCurrentMembers(AppError):
    status = 422
    code = "consultation.not_current_members"
    title = Text("部分人员不是本届在任委员", "Some people are not current members")
    detail = Text(
        "以下人员不是本组织在任委员：{ids}。非委员请作为特邀人员添加。",
        "These are not current members of the organization: {ids}. Add non-members as guests.",
    )


class InvitationNotFound(NotFound):
    code = "consultation.invitation_not_found"
    detail = Text("邀请不存在或无权查看。", "The invitation does not exist or is not visible to you.")


class NotInvited(Forbidden):
    code = "consultation.not_invited"
    detail = Text("您不在本次活动的参加人员之列。", "You are not among this activity's invitees.")


class LeaveNotFound(NotFound):
    code = "consultation.leave_not_found"
    detail = Text("请假申请不存在或无权查看。", "The leave request does not exist or is not visible to you.")


class LeaveInvalidTransition(InvalidTransition):
    code = "consultation.leave_invalid_transition"


class LeaveVersionMismatch(PreconditionFailed):
    code = "consultation.leave_version_mismatch"


class LeaveAlreadyRequested(AppError):
    status = 409
    code = "consultation.leave_already_requested"
    title = Text("已申请请假", "Leave already requested")
    detail = Text(
        "本次活动已有请假申请（{status}），不能再次申请或改为其他答复。",
        "There is a leave request for this activity already ({status}); it cannot be asked again or"
        " changed into another answer.",
    )


class LeaveLimitReached(AppError):
    """Rule 24's limit: approved leave requests per member and year (policy)."""

    status = 422
    code = "consultation.leave_limit_reached"
    title = Text("请假次数已达上限", "Leave limit reached")
    detail = Text(
        "该委员 {year} 年已获准请假 {approved} 次，每年最多 {limit} 次；请不予准假。",
        "The member had {approved} leave requests approved in {year}; at most {limit} a year. Refuse it.",
    )


class LeavesPending(AppError):
    status = 409
    code = "consultation.leaves_pending"
    title = Text("尚有未审批的请假", "Leave requests are still pending")
    detail = Text(
        "还有 {count} 份请假申请未审批，审批后方可结束活动。",
        "{count} leave requests are still pending; decide them before closing the activity.",
    )


class AttendanceTimesInvalid(AppError):
    status = 422
    code = "consultation.attendance_times_invalid"
    title = Text("签到时间无效", "Invalid attendance times")
    detail = Text(
        "到会时间须在活动结束前、不晚于当前时间，离会时间须不早于到会时间。",
        "The arrival must precede the activity's end and not lie in the future; the departure must not"
        " precede the arrival.",
    )


class NotAnInvitee(AppError):
    status = 422
    code = "consultation.not_an_invitee"
    title = Text("不是本次活动的参加人员", "Not an invitee")
    detail = Text(
        "只能为本次活动的受邀委员记录出勤。", "Attendance is recorded for the activity's invited members."
    )


class MaterialsPublished(AppError):
    status = 409
    code = "consultation.materials_published"
    title = Text("材料已发布", "The materials are published")
    detail = Text(
        "已发布的会议材料不能删除，可补充上传新的材料。",
        "Published materials cannot be removed; add a new material instead.",
    )


class MaterialsNotPublished(NotFound):
    code = "consultation.materials_not_published"
    detail = Text("会议材料尚未发布。", "The materials are not published yet.")
