from collections.abc import Iterable, Mapping
from typing import Any

from cppcc_common.errors import AppError, InvalidTransition, NotFound, PreconditionFailed, violation_errors
from cppcc_common.text import Text


class ProposalNotFound(NotFound):
    code = "proposal.not_found"
    detail = Text("提案不存在或无权查看。", "The proposal does not exist or is not visible to you.")


class ProposalInvalidTransition(InvalidTransition):
    """409 from the proposal lifecycle table (domain.LIFECYCLE)."""

    code = "proposal.invalid_transition"
    title = Text("提案当前状态不允许此操作", "Not allowed in the proposal's current status")
    detail = Text(
        "提案状态为“{status}”，不能执行“{action}”。", "The proposal is '{status}'; '{action}' is not allowed."
    )


class ProposalIncomplete(AppError):
    """Rule 1: title, situation/analysis and at least one suggestion, within the limits."""

    status = 422
    code = "proposal.incomplete"
    title = Text("提案内容不完整或超出限制", "The proposal is incomplete or over the limits")
    detail = Text(
        "请补全案由、情况与分析，并至少提出一条建议。",
        "A title, the situation and analysis, and at least one suggestion are required.",
    )

    @classmethod
    def listing(
        cls, violations: Iterable[tuple[str, str]], limits: Mapping[str, Any]
    ) -> "ProposalIncomplete":
        """The 422 naming each (field, code) violated, its message filled in with the policy's limits."""
        return cls(errors=violation_errors(violations, VIOLATION_MESSAGES, **limits))


class ProposalVersionMismatch(PreconditionFailed):
    """412 from `check_version` on a proposal."""

    code = "proposal.version_mismatch"
    title = Text("提案已被修改", "The proposal has changed")
    detail = Text("提案已被修改，请刷新后重试。", "The proposal changed since you read it; reload and retry.")


VIOLATION_MESSAGES: dict[str, Text] = {
    "title_required": Text("请填写案由", "A title is required"),
    "title_too_long": Text(
        "案由不能超过 {title_max_chars} 个字", "The title may have at most {title_max_chars} characters"
    ),
    "situation_required": Text("请填写情况与分析", "The situation and analysis are required"),
    "body_too_long": Text(
        "正文不能超过 {body_max_chars} 个字", "The body may have at most {body_max_chars} characters"
    ),
    "suggestion_required": Text(
        "请至少提出 {min_suggestions} 条建议", "At least {min_suggestions} suggestion(s) required"
    ),
    "too_many_suggestions": Text(
        "建议不能超过 {max_suggestions} 条", "At most {max_suggestions} suggestions"
    ),
    "author_name_required": Text(
        "以组织名义提出的提案须填写提案单位名称", "An organization's proposal needs the organization's name"
    ),
    "author_name_not_allowed": Text(
        "委员个人提案不填写提案单位名称", "A member's own proposal names no organization"
    ),
}


class NotACurrentMember(AppError):
    """Rule 2: only a member whose term is current may submit."""

    status = 403
    code = "proposal.not_a_current_member"
    title = Text("仅本届在任委员可以提交提案", "Only a member of the current term may submit proposals")
    detail = Text("您不是本届在任委员，不能提交提案。", "You are not a member of the current term.")


# ---- joint proposals (rule 4) ------------------------------------------------------------------


class CosignersInvalid(AppError):
    """Rule 4: co-signers are current members of the organization, at most the policy's number,
    neither the first proposer nor anyone twice."""

    status = 422
    code = "proposal.cosigners_invalid"
    title = Text("联名委员有误", "The co-signers are not valid")
    detail = Text(
        "联名委员须为本组织在任委员，不得重复，不得包括第一提案人。",
        "Co-signers must be current members of the organization, listed once, other than the first proposer.",
    )

    @classmethod
    def listing(cls, violations: Iterable[tuple[str, str]], limits: Mapping[str, Any]) -> "CosignersInvalid":
        """The 422 naming each (field, code) violated, in Chinese and English."""
        return cls(errors=violation_errors(violations, COSIGNER_MESSAGES, **limits))


COSIGNER_MESSAGES: dict[str, Text] = {
    "too_many_cosigners": Text("联名委员不能超过 {max_cosigners} 人", "At most {max_cosigners} co-signers"),
    "first_proposer_cannot_cosign": Text(
        "第一提案人不能同时作为联名委员", "The first proposer cannot co-sign"
    ),
    "duplicate_cosigner": Text("联名委员重复", "This co-signer is listed twice"),
    "cosigner_not_a_current_member": Text(
        "该联名人不是本组织在任委员", "This co-signer is not a current member of the organization"
    ),
}


class CosignInvalidTransition(InvalidTransition):
    """409 from the invitation table (domain.INVITATIONS): an invitation is answered once."""

    code = "proposal.cosign_invalid_transition"
    title = Text("联名邀请当前状态不允许此操作", "Not allowed in the invitation's current status")
    detail = Text(
        "联名邀请状态为“{status}”，不能执行“{action}”。",
        "The invitation is '{status}'; '{action}' is not allowed.",
    )


class CosignDeadlinePassed(AppError):
    """Rule 4: a co-signer answers strictly before the co-sign deadline."""

    status = 409
    code = "proposal.cosign_deadline_passed"
    title = Text("联名确认期限已过", "The co-sign deadline has passed")
    detail = Text("联名确认须在 {respond_by} 之前完成。", "Co-signers must answer before {respond_by}.")


# --- Review (审查立案) and key proposals ---


class MergeTargetNotFound(NotFound):
    """The proposal to merge into is not one the office can see (another organization, none)."""

    code = "proposal.merge_target_not_found"
    detail = Text(
        "要并入的提案不存在或无权查看。",
        "The proposal to merge into does not exist or is not visible to you.",
    )


class MergeTargetNotFiled(AppError):
    """Rule 8: a proposal is merged only into a filed proposal of its organization."""

    status = 409
    code = "proposal.merge_target_not_filed"
    title = Text("只能并入已立案的提案", "A proposal can only be merged into a filed proposal")
    detail = Text(
        "要并入的提案不是本组织已立案的其他提案。",
        "The target is not another filed proposal of this organization.",
    )


class NoteRequired(AppError):
    """Returning a proposal for revision needs a note telling the proposer what to change."""

    status = 422
    code = "proposal.note_required"
    title = Text("请填写退回修改意见", "A note for the proposer is required")
    detail = Text("退回修改时必须写明修改意见。", "Returning a proposal for revision needs a note.")


class UnknownRefusalReason(AppError):
    """Rule 6: not filing needs one of the organization's refusal reasons."""

    status = 422
    code = "proposal.unknown_refusal_reason"
    title = Text("不予立案理由不在规定范围内", "Not a refusal reason of the organization's list")
    detail = Text("请从规定的不予立案理由中选择。", "Choose one of the organization's refusal reasons.")

    @classmethod
    def listing(cls, reasons: Iterable[str]) -> "UnknownRefusalReason":
        """The 422 naming the field (with its message, as every field error has) and the reasons the
        organization allows."""
        assert cls.detail is not None
        error = {"field": "reason", "code": "unknown_refusal_reason"}
        message = {"message": cls.detail.zh, "message_en": cls.detail.en}
        return cls(errors=[{**error, **message, "allowed": list(reasons)}])


class ProposalAlreadyKey(AppError):
    """Rule 19: a proposal is designated a key proposal once, by one approving meeting."""

    status = 409
    code = "proposal.already_key"
    title = Text("该提案已是重点提案", "The proposal is already a key proposal")
    detail = Text("该提案已被确定为重点提案。", "The proposal has already been designated a key proposal.")


class MeetingInTheFuture(AppError):
    """Rule 19: the approving meeting has taken place (its date is not after today)."""

    status = 422
    code = "proposal.meeting_in_the_future"
    title = Text("会议日期不能晚于今天", "The meeting date cannot be after today")
    detail = Text(
        "确定重点提案的会议日期不能晚于今天。", "The approving meeting's date cannot be after today."
    )


class WithdrawReasonRequired(AppError):
    """A withdrawal says why, as every other reason does (the history and the proposers read it)."""

    status = 422
    code = "proposal.withdraw_reason_required"
    title = Text("请填写撤回理由", "A reason for the withdrawal is required")
    detail = Text("撤回提案时必须写明理由。", "Withdrawing a proposal needs a reason.")


class MeetingRequired(AppError):
    """Rule 19: a key designation names its approving meeting."""

    status = 422
    code = "proposal.meeting_required"
    title = Text("请填写确定重点提案的会议", "The approving meeting is required")
    detail = Text("请填写确定重点提案的会议名称。", "Name the meeting that approved the key proposal.")


class SupervisorNotALeader(AppError):
    """Rule 19: a key proposal's supervisors are leaders of its organization (as member-svc announced
    their accounts)."""

    status = 422
    code = "proposal.supervisor_not_a_leader"
    title = Text("督办领导须为本组织的领导", "A supervisor is not a leader of the organization")
    detail = Text(
        "以下人员不是本组织具有领导角色的人员：{ids}。",
        "These people are not leaders of the organization: {ids}.",
    )


class SealRequired(AppError):
    """Rule 2: an organization's proposal is submitted with its seal or signature attached."""

    status = 422
    code = "proposal.seal_required"
    title = Text("缺少盖章或签名附件", "The seal or signature attachment is missing")
    detail = Text(
        "以党派、团体、专委会、界别或小组名义提出的提案，须上传用途为“盖章”（seal）的盖章或签名页后再提交。",
        "An organization's proposal needs an attachment of its seal or signature (purpose 'seal')"
        " before it is submitted.",
    )


class PlenaryNotInSession(AppError):
    """Rule 3: sector and group proposals only while the plenary is in session."""

    status = 422
    code = "proposal.plenary_not_in_session"
    title = Text("全体会议期间方可提出界别、小组提案", "Sector and group proposals only during the plenary")
    detail = Text(
        "界别提案和小组提案只能在政协全体会议会期内提出。",
        "Sector and group proposals can only be made while the plenary session is sitting.",
    )
