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

EXIT_REVIEW_REQUIRED = Template(
    "member.exit_review_required",
    "委员履职预警：{name}",
    "{name} 本届无故缺席已达退出机制标准（{threshold}，累计 {count} 次），请按规定开展谈话或启动退出程序。",
)
THRESHOLD_NAMES = {
    "unexcused_plenary_absences": "无故缺席全体会议",
    "unexcused_standing_committee_absences": "无故缺席常委会议",
}
