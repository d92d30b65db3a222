"""Scoring a member's ledger (DOMAIN.md §5, rules 23–26): category totals with caps, the total and
its band, ranks, exit-review thresholds over a term, closing a year, and sector targets.
Pure functions: no database, no clock, no I/O.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from cppcc_common.contracts.consultation import ActivityKind
from member_svc.duty.entries import ATTENDANCE_ORDER, MEETING_OF_RULE, Attendance, Rule
from member_svc.duty.policy import Category, DutyPolicy, Points

# ---- a member's year ---------------------------------------------------------------------------


class ScoredEntry(Protocol):
    """What scoring reads from an entry: an EntryDraft, or a stored ledger row."""

    @property
    def rule(self) -> Rule: ...
    @property
    def points(self) -> Points: ...
    @property
    def source_object_id(self) -> UUID: ...


E = TypeVar("E", bound=ScoredEntry)


def _act_key(entry: ScoredEntry) -> tuple[UUID, str]:
    # One meeting is one act whatever events reported it (leave, absence, check-in).
    return (entry.source_object_id, "meeting" if entry.rule in MEETING_OF_RULE else entry.rule.value)


def _preference(entry: ScoredEntry) -> tuple[int, Points]:
    meeting = MEETING_OF_RULE.get(entry.rule)
    return (ATTENDANCE_ORDER.index(meeting[1]) if meeting else 0, entry.points)


def counted_entries(entries: Iterable[E]) -> list[E]:
    """Rule 23: each act counts once; at a meeting attending beats excused beats unexcused."""
    best: dict[tuple[UUID, str], E] = {}
    for entry in entries:
        key = _act_key(entry)
        if key not in best or _preference(entry) > _preference(best[key]):
            best[key] = entry
    return list(best.values())


def _clamp(points: Points, cap: Points) -> Points:
    return max(Decimal(0), min(points, cap))


def _is_plenary(rule: Rule) -> bool:
    return rule in MEETING_OF_RULE and MEETING_OF_RULE[rule][0] is ActivityKind.PLENARY


def meetings_score(entries: Iterable[ScoredEntry], policy: DutyPolicy) -> Points:
    """Rule 23: meetings start full and lose points; the worst plenary sets the base, never twice."""
    counted = [e for e in counted_entries(entries) if e.rule.category is Category.MEETINGS]
    plenary = min((e.points for e in counted if _is_plenary(e.rule)), default=Decimal(0))
    others = sum((e.points for e in counted if not _is_plenary(e.rule)), Decimal(0))
    return _clamp(policy.meetings_full + plenary + others, policy.cap(Category.MEETINGS))


def category_totals(entries: Iterable[ScoredEntry], policy: DutyPolicy) -> dict[Category, Points]:
    """Rule 23: a member's year per category, each act counted once and every category capped."""
    counted = counted_entries(entries)
    totals = {
        category: _clamp(
            sum((e.points for e in counted if e.rule.category is category), Decimal(0)), policy.cap(category)
        )
        for category in Category
    }
    totals[Category.MEETINGS] = meetings_score(counted, policy)
    return totals


class Band(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    COMPETENT = "competent"
    FAILS = "fails"  # the office talks with the member


def band_for(total: Points, policy: DutyPolicy) -> Band:
    """The band of a year's total (DOMAIN.md §5)."""
    if total >= policy.excellent_min:
        return Band.EXCELLENT
    if total >= policy.good_min:
        return Band.GOOD
    if total >= policy.pass_min:
        return Band.COMPETENT
    return Band.FAILS


@dataclass(frozen=True)
class YearScore:
    """A member's 成绩单 for one year."""

    categories: Mapping[Category, Points]
    total: Points
    band: Band


def year_score(entries: Iterable[ScoredEntry], policy: DutyPolicy) -> YearScore:
    """Rule 23: a member's year entries scored with the table: category totals, total and band."""
    categories = category_totals(entries, policy)
    total = sum(categories.values(), Decimal(0))
    return YearScore(categories=categories, total=total, band=band_for(total, policy))


def rank(totals: Mapping[UUID, Points]) -> dict[UUID, int]:
    """Members ranked by total within a group; ties share a rank and the next one skips (1, 1, 3)."""
    first_place: dict[Points, int] = {}
    for place, total in enumerate(sorted(totals.values(), reverse=True), start=1):
        first_place.setdefault(total, place)
    return {person: first_place[total] for person, total in totals.items()}


# ---- a member's term ---------------------------------------------------------------------------


class ExitReviewThreshold(StrEnum):
    UNEXCUSED_PLENARY = "unexcused_plenary_absences"
    UNEXCUSED_STANDING_COMMITTEE = "unexcused_standing_committee_absences"


def unexcused_absences(term_entries: Iterable[ScoredEntry]) -> Counter[ActivityKind]:
    """Rule 24: unexcused absences per meeting kind, one per meeting, refused leave included."""
    counted = (MEETING_OF_RULE.get(e.rule) for e in counted_entries(term_entries))
    return Counter(m[0] for m in counted if m and m[1] is Attendance.UNEXCUSED_ABSENCE)


def exit_review_thresholds_crossed(
    term_entries: Iterable[ScoredEntry], policy: DutyPolicy
) -> frozenset[ExitReviewThreshold]:
    """Rule 24: the exit-review thresholds a member's unexcused absences in a term have reached."""
    absences = unexcused_absences(term_entries)
    limits = {
        ExitReviewThreshold.UNEXCUSED_PLENARY: (ActivityKind.PLENARY, policy.exit_review_unexcused_plenary),
        ExitReviewThreshold.UNEXCUSED_STANDING_COMMITTEE: (
            ActivityKind.STANDING_COMMITTEE,
            policy.exit_review_unexcused_standing_committee,
        ),
    }
    return frozenset(t for t, (kind, limit) in limits.items() if absences[kind] >= limit)


def exit_review_alerts_due(
    term_entries: Iterable[ScoredEntry], already_raised: Collection[ExitReviewThreshold], policy: DutyPolicy
) -> frozenset[ExitReviewThreshold]:
    """Rule 24: thresholds crossed and not yet alerted; store each raised one so it alerts once per term."""
    return exit_review_thresholds_crossed(term_entries, policy) - frozenset(already_raised)


def training_requirement_met(term_entries: Iterable[ScoredEntry], policy: DutyPolicy) -> bool:
    """DOMAIN.md §5: a member attends training at least the policy number of times per term."""
    sessions = {e.source_object_id for e in term_entries if e.rule is Rule.TRAINING_ATTENDED}
    return len(sessions) >= policy.trainings_per_term_min


def year_can_close(*, is_standing: bool, annual_report_filed: bool) -> bool:
    """Rule 26: a standing member's year closes only once their written annual report is filed."""
    return annual_report_filed or not is_standing


# ---- a sector's year ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorTally:
    """What a sector did in a year (DOMAIN.md §5 sector targets)."""

    activities: int
    reports: int = 0  # research or inspection reports
    collective_proposals: int = 0
    speeches: int = 0
    opinions: int = 0  # public-opinion reports

    @property
    def outputs(self) -> int:
        return self.reports + self.collective_proposals + self.speeches + self.opinions


@dataclass(frozen=True)
class SectorTargets:
    activities_met: bool
    outputs_met: bool

    @property
    def met(self) -> bool:
        return self.activities_met and self.outputs_met


def sector_targets(tally: SectorTally, policy: DutyPolicy) -> SectorTargets:
    """DOMAIN.md §5: a sector's year against its targets of activities and outputs."""
    return SectorTargets(
        activities_met=tally.activities >= policy.sector_min_activities,
        outputs_met=tally.outputs >= policy.sector_min_outputs,
    )
