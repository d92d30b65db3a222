"""Chinese message templates, one per (event, audience)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    category: str
    title: str
    body: str

    def render(self, **params: object) -> tuple[str, str]:
        return self.title.format(**params), self.body.format(**params)


PROPOSAL_SUBMITTED_RECEIPT = Template(
    "proposal.submitted",
    "提案已提交：{title}",
    "您的提案《{title}》已于 {submitted_at} 提交，等待提案委员会审查立案。",
)
PROPOSAL_SUBMITTED_OFFICE = Template(
    "proposal.review_needed",
    "新提案待审查：{title}",
    "{proposer} 提交了提案《{title}》，请及时审查立案。",
)

# The proposal lifecycle (issue 9): who is told what is in handlers.py (DOMAIN.md §6).
COSIGN_REQUESTED = Template(
    "proposal.cosign_requested",
    "联名邀请：{title}",
    "{proposer} 邀请您联名提出提案《{title}》，请于 {respond_by} 前确认或谢绝。",
)
COSIGN_CONFIRMED = Template(
    "proposal.cosign_confirmed",
    "联名已确认：{cosigner}",
    "{cosigner} 已确认联名您的提案，成为提案人。",
)
COSIGN_DECLINED = Template(
    "proposal.cosign_declined",
    "联名被谢绝：{cosigner}",
    "{cosigner} 谢绝联名您的提案，不计为提案人。",
)
COSIGN_EXPIRED = Template(
    "proposal.cosign_expired",
    "联名邀请已过期：{cosigner}",
    "{cosigner} 未在 {respond_by} 前答复联名邀请，不计为提案人。",
)
PROPOSAL_WITHDRAWN = Template(
    "proposal.withdrawn",
    "提案已撤回：{title}",
    "{proposer} 撤回了提案《{title}》。{reason}",
)
PROPOSAL_RETURNED = Template(
    "proposal.returned",
    "提案退回修改：{title}",
    "提案《{title}》已退回修改，提案委员会意见：{note}",
)
PROPOSAL_NOT_FILED = Template(
    "proposal.not_filed",
    "提案不予立案：{title}",
    "提案《{title}》不予立案，理由：{reason}。{disposition}",
)
PROPOSAL_MERGED = Template(
    "proposal.merged",
    "提案已并案：{title}",
    "提案《{title}》已并入提案《{into_title}》办理，原提案人均为该提案的提案人。",
)
PROPOSAL_FILED = Template(
    "proposal.filed",
    "提案已立案：{title}",
    "提案《{title}》已于 {filed_at} 立案{number}，将交承办单位办理。",
)
KEY_DESIGNATED_PROPOSER = Template(
    "proposal.key_designated",
    "提案被确定为重点提案",
    "您的提案经 {designated_on} {meeting}确定为重点提案，将由领导督办。",
)
KEY_DESIGNATED_SUPERVISOR = Template(
    "proposal.key_supervision",
    "重点提案督办",
    "经 {designated_on} {meeting}确定，您督办一件重点提案，请在督办列表中查看。",
)
DISPOSITIONS = {
    "convert_to_opinion": "该提案将转为社情民意信息。",
    "forward_as_letter": "该提案将作为来信转有关部门处理。",
    "none": "",
}

EXIT_REVIEW_REQUIRED = Template(
    "member.exit_review_required",
    "委员履职预警：{name}",
    "{name} 本届无故缺席已达退出机制标准（{threshold}，累计 {count} 次），请按规定开展谈话或启动退出程序。",
)
THRESHOLD_NAMES = {
    "unexcused_plenary_absences": "无故缺席全体会议",
    "unexcused_standing_committee_absences": "无故缺席常委会议",
}

# Handling and deadlines (issue 9, rules 9, 12, 15): who is told what is in handlers.py.
HANDLING_ROLES = {"lead": "主办", "cohandler": "会办", "split": "分办"}
ASSIGNED_UNIT = Template(
    "proposal.assigned_to_unit",
    "新交办提案：{title}",
    "提案《{title}》已交由贵单位{role}，{due}。",
)
ASSIGNED_PROPOSER = Template(
    "proposal.assigned",
    "提案已交办：{title}",
    "您的提案《{title}》已交承办单位办理，答复期限为 {due}。",
)
REPLIED_PROPOSER = Template(
    "proposal.replied",
    "提案已答复：{title}",
    "承办单位已答复您的提案《{title}》（答复类别 {result_class}），请查看答复并评价办理结果。",
)
DUE_SOON = Template(
    "proposal.due_soon",
    "提案答复即将到期：{title}",
    "提案《{title}》的答复期限为 {due}，还有 {days} 天，请按时答复。",
)
FEEDBACK_OVERDUE = Template(
    "proposal.feedback_overdue",
    "提案答复已逾期：{title}",
    "提案《{title}》的答复期限 {due} 已过，承办单位尚未答复。",
)
