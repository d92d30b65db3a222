"""The organization's duty-performance scoring table (履职积分, DOMAIN.md §5).

Defaults are the Tongcheng 2019 table (100 points, pass 60). Every number a rule uses is a field
here, never a literal in the rules: an organization's stored table overrides these defaults, and a
new table applies from its `effective_from` date (`policy_in_force`).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cppcc_common.contracts.proposal import AdoptionLevel, AdoptionMode


class Category(StrEnum):
    """The four categories of the scoring table; each has a yearly cap (rule 23)."""

    MEETINGS = "meetings"
    PROPOSALS = "proposals"
    ACTIVITIES = "activities"
    OPINIONS = "opinions"


Points = Decimal


class DutyPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # Yearly caps per category (rule 23).
    meetings_max: Points = Field(Decimal(50), ge=0)
    proposals_max: Points = Field(Decimal(25), ge=0)
    activities_max: Points = Field(Decimal(10), ge=0)
    opinions_max: Points = Field(Decimal(15), ge=0)

    # Meetings start full and lose points; a plenary absence replaces the full score instead.
    meetings_full: Points = Field(Decimal(50), ge=0)
    plenary_excused_score: Points = Field(Decimal(30), ge=0)
    plenary_unexcused_score: Points = Field(Decimal(0), ge=0)
    leave_deduction_standing: Points = Field(Decimal(2), ge=0)
    leave_deduction_member: Points = Field(Decimal(0), ge=0)
    unexcused_absence_deduction: Points = Field(Decimal(5), ge=0)
    # Rule 25: attending less than this fraction of an activity counts as absent.
    attendance_min_fraction: Fraction = Field(Fraction(2, 3), ge=0, le=1)

    # Proposals; a joint proposal's points are split (see domain.split_joint_points).
    proposal_submitted_points: Points = Field(Decimal(10), ge=0)
    proposal_filed_points: Points = Field(Decimal(15), ge=0)
    key_proposal_points: Points = Field(Decimal(5), ge=0)
    joint_first_proposer_share: Decimal = Field(Decimal("0.5"), ge=0, le=1)

    # Activities. The default table scores written speeches only; oral ones are recorded at 0.
    activity_attended_points: Points = Field(Decimal(2), ge=0)
    training_points: Points = Field(Decimal(2), ge=0)  # a training session is an activity attended
    written_speech_points: Points = Field(Decimal(5), ge=0)
    oral_speech_points: Points = Field(Decimal(0), ge=0)

    # Public-opinion reports (rule 27: scored from the highest adoption level and instruction).
    opinion_submitted_points: Points = Field(Decimal(10), ge=0)
    opinion_adopted_points: Points = Field(Decimal(5), ge=0)
    # Levels listed here override `opinion_adopted_points`, e.g. {"national": 15}.
    opinion_adopted_points_by_level: dict[AdoptionLevel, Points] = {}
    combined_adoption_share: Decimal = Field(Decimal(1), ge=0, le=1)
    opinion_instruction_points_by_level: dict[AdoptionLevel, Points] = {}
    # A report converted from a not-filed proposal already earned the proposal's submission points.
    score_converted_report_submission: bool = False

    # Bands of the year's total.
    excellent_min: Points = Decimal(90)
    good_min: Points = Decimal(80)
    pass_min: Points = Decimal(60)

    # Exit review (rule 24): unexcused absences in one term that raise an alert.
    exit_review_unexcused_plenary: int = Field(2, ge=1)
    exit_review_unexcused_standing_committee: int = Field(4, ge=1)

    trainings_per_term_min: int = Field(1, ge=0)
    sector_min_activities: int = Field(2, ge=0)
    sector_min_outputs: int = Field(2, ge=0)

    # Points are kept to this many decimals; splits are rounded so they still add up.
    points_decimal_places: int = Field(2, ge=0, le=4)

    @model_validator(mode="after")
    def _bands_ascend(self) -> "DutyPolicy":
        if not self.pass_min <= self.good_min <= self.excellent_min:
            raise ValueError("bands must satisfy pass_min <= good_min <= excellent_min")
        return self

    def cap(self, category: Category) -> Points:
        """The yearly cap of a category (rule 23)."""
        caps = {
            Category.MEETINGS: self.meetings_max,
            Category.PROPOSALS: self.proposals_max,
            Category.ACTIVITIES: self.activities_max,
            Category.OPINIONS: self.opinions_max,
        }
        return caps[category]

    def adoption_points(self, level: AdoptionLevel, mode: AdoptionMode) -> Points:
        """Rule 27: the points of an adoption at its highest level, reduced when combined."""
        points = self.opinion_adopted_points_by_level.get(level, self.opinion_adopted_points)
        return points * (self.combined_adoption_share if mode is AdoptionMode.COMBINED else 1)

    def instruction_points(self, level: AdoptionLevel) -> Points:
        """Rule 27: the points of a leader's written instruction at that level (none by default)."""
        return self.opinion_instruction_points_by_level.get(level, Decimal(0))

    @property
    def points_quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.points_decimal_places)

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> "DutyPolicy":
        return cls.model_validate(values or {})


DEFAULT_POLICY = DutyPolicy()


def policy_in_force(tables: Iterable[tuple[date, DutyPolicy]], on: date) -> DutyPolicy:
    """The table with the latest `effective_from` on or before `on`; the defaults before the first one."""
    in_force = [(effective_from, table) for effective_from, table in tables if effective_from <= on]
    if not in_force:
        return DEFAULT_POLICY
    return max(in_force, key=lambda pair: pair[0])[1]
