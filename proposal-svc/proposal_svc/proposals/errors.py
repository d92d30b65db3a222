from collections.abc import Iterable, Mapping
from typing import Any

from cppcc_common.errors import AppError, InvalidTransition, NotFound, PreconditionFailed
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
        return cls(
            errors=[
                {
                    "field": field,
                    "code": code,
                    "message": VIOLATION_MESSAGES[code].zh.format(**limits),
                    "message_en": VIOLATION_MESSAGES[code].en.format(**limits),
                }
                for field, code in violations
            ]
        )


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
