"""The organization's rule values for the annual plan and topic collection (DOMAIN.md §4). Every
number is policy, never a literal in a rule: an organization's stored values override these
defaults (`plan_policies`, set by an administrator)."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PlanApprover(StrEnum):
    """Who approves the annual plan before it is published.

    The plan is settled by the Party committee together with the government and the CPPCC
    (seeds: "政协年度协商工作计划由党委会同政府、政协制定"); inside the CPPCC it goes to the
    chairperson's meeting (主席会议) — a leader records that approval, with the meeting or the
    Party committee's document as its record. Some offices record it themselves: `office` lets
    staff with the `consultation` scope approve, never the one who submitted it.
    """

    LEADER = "leader"
    OFFICE = "office"


class PlanPolicy(BaseModel):
    """Every rule value of the plan and of topic collection, with its default."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    approver: PlanApprover = PlanApprover.LEADER
    # A change after publication is a new version; by default it is approved again before it is
    # published. False: staff publish a revision straight from its draft (it is still announced).
    revision_needs_approval: bool = True
    max_entries: int = Field(default=200, ge=1, le=1000)
    # Topic collection: how many topics one member may have in one year's window (withdrawn ones
    # do not count), and the text limits.
    max_topics_per_member: int = Field(default=5, ge=1, le=100)
    topic_title_max_chars: int = Field(default=100, ge=10, le=500)
    topic_text_max_chars: int = Field(default=3000, ge=100, le=20000)

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "PlanPolicy":
        return cls.model_validate(values or {})


DEFAULT_POLICY = PlanPolicy()
