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
