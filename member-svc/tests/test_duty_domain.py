"""The duty-performance ledger (履职积分) as pure functions: DOMAIN.md §5, rules 23–27."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from uuid import UUID, uuid4

import pytest

from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.consultation import (
    AbsenceRecordedV1,
    ActivityKind,
    AttendanceRecordedV1,
    LeaveApprovedV1,
    LeaveRefusedV1,
    SpeechDeliveredV1,
    SpeechMode,
    TrainingAttendedV1,
)
from cppcc_common.contracts.proposal import (
    AdoptionLevel,
    AdoptionMode,
    OpinionAdoptedV1,
    OpinionSubmittedV1,
    ProposalFiledV1,
    ProposalKeyDesignatedV1,
    ProposalSubmittedV1,
)
from cppcc_common.events import EventData, make_event, parse_event
from member_svc.duty.entries import (
    MEETING_RULES,
    Attendance,
    EntryDraft,
    Rule,
    act_time,
    draft_entries,
    duty_date,
    split_joint_points,
)
from member_svc.duty.policy import DEFAULT_POLICY, Category, DutyPolicy, policy_in_force
from member_svc.duty.scoring import (
    Band,
    ExitReviewThreshold,
    SectorTally,
    band_for,
    category_totals,
    counted_entries,
    exit_review_alerts_due,
    exit_review_thresholds_crossed,
    rank,
    sector_targets,
    training_requirement_met,
    year_can_close,
    year_score,
)

ORG = uuid4()
ME, ALICE, BOB, CAROL, DAVE = (uuid4() for _ in range(5))
WHEN = datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
D = Decimal


# ---- factories ---------------------------------------------------------------------------------


def submitted(first: UUID = ME, cosigners: tuple[UUID, ...] = (), proposal: UUID | None = None) -> EventData:
    return ProposalSubmittedV1(
        proposal_id=proposal or uuid4(),
        org_id=ORG,
        title="关于加装电梯的建议",
        kind="session",
        first_proposer_id=first,
        cosigner_ids=list(cosigners),
        submitted_at=WHEN,
        version=2,
    )


def filed(first: UUID = ME, cosigners: tuple[UUID, ...] = ()) -> EventData:
    return ProposalFiledV1(
        proposal_id=uuid4(),
        org_id=ORG,
        title="关于加装电梯的建议",
        first_proposer_id=first,
        cosigner_ids=list(cosigners),
        is_joint=bool(cosigners),
        filed_at=WHEN,
        version=3,
    )


def key_designated(first: UUID = ME, cosigners: tuple[UUID, ...] = ()) -> EventData:
    return ProposalKeyDesignatedV1(
        proposal_id=uuid4(),
        org_id=ORG,
        first_proposer_id=first,
        cosigner_ids=list(cosigners),
        designated_at=WHEN,
        supervisor_ids=[uuid4()],
        version=4,
    )


def opinion(converted_from: UUID | None = None) -> EventData:
    return OpinionSubmittedV1(
        report_id=uuid4(),
        org_id=ORG,
        author_id=ME,
        title="关于菜市场管理的情况反映",
        submitted_at=WHEN,
        converted_from_proposal_id=converted_from,
        version=1,
    )


def adopted(
    level: AdoptionLevel = AdoptionLevel.MUNICIPAL,
    mode: AdoptionMode = AdoptionMode.SINGLE,
    instruction: AdoptionLevel | None = None,
    report: UUID | None = None,
) -> OpinionAdoptedV1:
    return OpinionAdoptedV1(
        report_id=report or uuid4(),
        org_id=ORG,
        author_id=ME,
        adoption_level=level,
        adoption_mode=mode,
        instruction_level=instruction,
        adopted_at=WHEN,
        version=5,
    )


def attended(
    kind: ActivityKind = ActivityKind.MEETING,
    minutes: int = 120,
    of: int = 120,
    activity: UUID | None = None,
    when: datetime = WHEN,
) -> EventData:
    return AttendanceRecordedV1(
        activity_id=activity or uuid4(),
        org_id=ORG,
        person_id=ME,
        activity_kind=kind,
        occurred_at=when,
        scheduled_minutes=of,
        attended_minutes=minutes,
    )


def absent(
    kind: ActivityKind = ActivityKind.MEETING, excused: bool = False, activity: UUID | None = None
) -> EventData:
    return AbsenceRecordedV1(
        activity_id=activity or uuid4(),
        org_id=ORG,
        person_id=ME,
        activity_kind=kind,
        occurred_at=WHEN,
        excused=excused,
        leave_id=uuid4() if excused else None,
    )


def leave(
    kind: ActivityKind = ActivityKind.MEETING, approved: bool = True, activity: UUID | None = None
) -> EventData:
    common: dict[str, Any] = dict(
        leave_id=uuid4(),
        activity_id=activity or uuid4(),
        org_id=ORG,
        person_id=ME,
        activity_kind=kind,
        occurred_at=WHEN,
        decided_at=WHEN,
    )
    return LeaveApprovedV1(**common) if approved else LeaveRefusedV1(**common, reason="会议重要")


def speech(mode: SpeechMode) -> EventData:
    return SpeechDeliveredV1(
        speech_id=uuid4(), activity_id=uuid4(), org_id=ORG, person_id=ME, mode=mode, occurred_at=WHEN
    )


def training(session: UUID | None = None) -> EventData:
    return TrainingAttendedV1(training_id=session or uuid4(), org_id=ORG, person_id=ME, occurred_at=WHEN)


def drafts(
    data: EventData, policy: DutyPolicy = DEFAULT_POLICY, *, standing: bool = False
) -> list[EntryDraft]:
    return draft_entries(uuid4(), data, policy, standing_member_ids={ME} if standing else set())


def entries_of(
    *events: EventData, policy: DutyPolicy = DEFAULT_POLICY, standing: bool = False
) -> list[EntryDraft]:
    return [e for data in events for e in drafts(data, policy, standing=standing)]


def totals(
    *events: EventData, policy: DutyPolicy = DEFAULT_POLICY, standing: bool = False
) -> dict[Category, Decimal]:
    mine = [e for e in entries_of(*events, policy=policy, standing=standing) if e.person_id == ME]
    return category_totals(mine, policy)


def points_by_person(entries: list[EntryDraft]) -> dict[UUID, Decimal]:
    return {e.person_id: e.points for e in entries}


# ---- rule 23: points only from the table, linked to their source, with caps --------------------


@pytest.mark.parametrize(
    ("event", "rule", "points"),
    [
        (submitted(), Rule.PROPOSAL_SUBMITTED, D(10)),
        (filed(), Rule.PROPOSAL_FILED, D(15)),
        (key_designated(), Rule.KEY_PROPOSAL, D(5)),
        (opinion(), Rule.OPINION_SUBMITTED, D(10)),
        (adopted(), Rule.OPINION_ADOPTED, D(5)),
        (attended(ActivityKind.ACTIVITY), Rule.ACTIVITY_ATTENDED, D(2)),
        (attended(ActivityKind.MEETING), Rule.MEETING_ATTENDED, D(0)),
        (attended(ActivityKind.PLENARY), Rule.PLENARY_ATTENDED, D(0)),
        (speech(SpeechMode.WRITTEN), Rule.WRITTEN_SPEECH, D(5)),
        (speech(SpeechMode.ORAL), Rule.ORAL_SPEECH, D(0)),
        (training(), Rule.TRAINING_ATTENDED, D(2)),
        (absent(ActivityKind.MEETING), Rule.MEETING_UNEXCUSED_ABSENCE, D(-5)),
        (absent(ActivityKind.PLENARY), Rule.PLENARY_UNEXCUSED_ABSENCE, D(-50)),
        (absent(ActivityKind.PLENARY, excused=True), Rule.PLENARY_EXCUSED_ABSENCE, D(-20)),
        (leave(ActivityKind.MEETING), Rule.MEETING_EXCUSED_ABSENCE, D(0)),
    ],
)
def test_rule_23_each_act_scores_from_the_default_table(
    event: EventData, rule: Rule, points: Decimal
) -> None:
    [entry] = drafts(event)
    assert (entry.person_id, entry.rule, entry.points) == (ME, rule, points)
    assert entry.category is rule.category
    assert (entry.org_id, entry.year, entry.occurred_on) == (ORG, 2026, date(2026, 3, 5))


def test_rule_23_every_entry_links_to_its_source_event_and_object() -> None:
    event_id, data = uuid4(), submitted(cosigners=(ALICE,))
    assert isinstance(data, ProposalSubmittedV1)
    entries = draft_entries(event_id, data, DEFAULT_POLICY)
    assert {(e.source_event_id, e.source_object_id) for e in entries} == {(event_id, data.proposal_id)}


def test_rule_23_replaying_an_event_drafts_the_same_entries_with_unique_keys() -> None:
    """The database's unique key (source event id, person, rule) then stores them once."""
    event_id = uuid4()
    data = submitted(cosigners=(ALICE, BOB))
    first = draft_entries(event_id, data, DEFAULT_POLICY)
    assert draft_entries(event_id, data, DEFAULT_POLICY) == first
    keys = [(e.source_event_id, e.person_id, e.rule) for e in first]
    assert len(keys) == len(set(keys)) == 3


def test_rule_23_events_the_ledger_does_not_score_give_no_entries() -> None:
    from cppcc_common.contracts.member import PersonRegisteredV1

    registered = PersonRegisteredV1(person_id=ME, org_id=ORG, name="张三", roles=["member"])
    assert draft_entries(uuid4(), registered, DEFAULT_POLICY) == []
    assert act_time(registered) is None


@pytest.mark.parametrize(
    ("points", "cosigners", "first_share", "cosigner_shares"),
    [
        (D(10), (), D(10), []),
        (D(10), (ALICE,), D(5), [D(5)]),
        (D(10), (ALICE, BOB), D(5), [D("2.50"), D("2.50")]),
        (D(10), (ALICE, BOB, CAROL), D(5), [D("1.67"), D("1.67"), D("1.66")]),
        (D(15), (ALICE, BOB, CAROL, DAVE), D("7.50"), [D("1.88"), D("1.88"), D("1.87"), D("1.87")]),
        (D(5), (ALICE, BOB, CAROL), D("2.50"), [D("0.84"), D("0.83"), D("0.83")]),
        # the first proposer is never also a co-signer, and a co-signer counts once
        (D(10), (ME, ALICE, ALICE), D(5), [D(5)]),
    ],
)
def test_rule_23_joint_proposal_gives_the_first_proposer_half_and_the_cosigners_share_the_rest(
    points: Decimal, cosigners: tuple[UUID, ...], first_share: Decimal, cosigner_shares: list[Decimal]
) -> None:
    split = split_joint_points(points, ME, cosigners, DEFAULT_POLICY)
    assert split[0] == (ME, first_share)
    assert [share for _, share in split[1:]] == cosigner_shares
    assert sum(share for _, share in split) == points  # rounding never loses or adds a point


def test_rule_23_joint_split_applies_to_submission_filing_and_key_points() -> None:
    three = (ALICE, BOB, CAROL)
    assert points_by_person(drafts(submitted(cosigners=three))) == {
        ME: D(5),
        ALICE: D("1.67"),
        BOB: D("1.67"),
        CAROL: D("1.66"),
    }
    assert points_by_person(drafts(filed(cosigners=(ALICE,)))) == {ME: D("7.50"), ALICE: D("7.50")}
    assert points_by_person(drafts(key_designated(cosigners=(ALICE,)))) == {ME: D("2.50"), ALICE: D("2.50")}


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # proposals: 3 sole proposals filed = 75, capped at 25
        ([submitted(), filed(), submitted(), filed(), submitted(), filed()], {Category.PROPOSALS: D(25)}),
        ([submitted(), filed(), key_designated()], {Category.PROPOSALS: D(25)}),
        ([submitted()], {Category.PROPOSALS: D(10)}),
        # activities: 6 attended = 12, capped at 10
        ([attended(ActivityKind.ACTIVITY) for _ in range(6)], {Category.ACTIVITIES: D(10)}),
        ([attended(ActivityKind.ACTIVITY), speech(SpeechMode.WRITTEN)], {Category.ACTIVITIES: D(7)}),
        # opinions: 2 reports, one adopted = 25, capped at 15
        ([opinion(), opinion(), adopted()], {Category.OPINIONS: D(15)}),
        ([opinion()], {Category.OPINIONS: D(10)}),
        # meetings never exceed the full score
        ([attended(ActivityKind.MEETING)], {Category.MEETINGS: D(50)}),
    ],
)
def test_rule_23_every_category_is_capped_per_year(
    events: list[EventData], expected: dict[Category, Decimal]
) -> None:
    result = totals(*events)
    assert {category: result[category] for category in expected} == expected


def test_rule_23_a_full_year_reaches_100_and_no_more() -> None:
    events = [
        attended(ActivityKind.PLENARY),
        submitted(),
        filed(),
        key_designated(),
        *(attended(ActivityKind.ACTIVITY) for _ in range(5)),
        opinion(),
        adopted(),
        opinion(),
    ]
    score = year_score(entries_of(*events), DEFAULT_POLICY)
    assert score.categories == {
        Category.MEETINGS: D(50),
        Category.PROPOSALS: D(25),
        Category.ACTIVITIES: D(10),
        Category.OPINIONS: D(15),
    }
    assert (score.total, score.band) == (D(100), Band.EXCELLENT)


def test_rule_23_an_act_reported_by_several_events_counts_once() -> None:
    proposal, report, activity = uuid4(), uuid4(), uuid4()
    resubmitted = [submitted(proposal=proposal), submitted(proposal=proposal)]  # returned, then resubmitted
    assert totals(*resubmitted)[Category.PROPOSALS] == D(10)
    corrected = [attended(ActivityKind.ACTIVITY, activity=activity) for _ in range(2)]  # check-in corrected
    assert totals(*corrected)[Category.ACTIVITIES] == D(2)
    upgraded = [adopted(report=report), adopted(report=report)]
    assert len(counted_entries(entries_of(*upgraded))) == 1


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        (datetime(2026, 12, 31, 15, 59, tzinfo=UTC), 2026),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 2027),  # already 1 January in Shanghai
        (datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI), 2027),
    ],
)
def test_rule_23_the_duty_year_is_taken_in_asia_shanghai(moment: datetime, year: int) -> None:
    [entry] = drafts(attended(ActivityKind.ACTIVITY, when=moment))
    assert entry.year == year


def test_rule_23_a_time_without_timezone_is_refused() -> None:
    with pytest.raises(ValueError):
        duty_date(datetime(2026, 3, 5, 9, 0))


# ---- meetings start full and lose points -------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "standing", "meetings"),
    [
        ([], False, D(50)),
        ([attended(ActivityKind.STANDING_COMMITTEE)], True, D(50)),
        ([leave(ActivityKind.STANDING_COMMITTEE)], True, D(48)),  # approved leave costs a standing member 2
        ([leave(ActivityKind.MEETING), leave(ActivityKind.MEETING)], True, D(46)),
        ([leave(ActivityKind.MEETING), leave(ActivityKind.MEETING)], False, D(50)),  # but not a member
        ([absent(ActivityKind.MEETING)], False, D(45)),
        ([absent(ActivityKind.MEETING), absent(ActivityKind.STANDING_COMMITTEE)], True, D(40)),
        ([absent(ActivityKind.PLENARY, excused=True)], False, D(30)),  # excused plenary counts 30 of 50
        ([absent(ActivityKind.PLENARY, excused=True)], True, D(30)),  # no leave deduction on top
        (
            [absent(ActivityKind.PLENARY, excused=True), absent(ActivityKind.PLENARY, excused=True)],
            False,
            D(30),
        ),
        ([absent(ActivityKind.PLENARY, excused=True), absent(ActivityKind.MEETING)], False, D(25)),
        ([absent(ActivityKind.PLENARY)], False, D(0)),  # unexcused plenary: 0
        ([absent(ActivityKind.PLENARY, excused=True), absent(ActivityKind.PLENARY)], False, D(0)),
        ([absent(ActivityKind.MEETING) for _ in range(11)], False, D(0)),  # never below zero
        ([absent(ActivityKind.ACTIVITY)], False, D(50)),  # activities earn points, missing one costs none
    ],
)
def test_rule_23_meetings_start_full_and_lose_points(
    events: list[EventData], standing: bool, meetings: Decimal
) -> None:
    assert totals(*events, standing=standing)[Category.MEETINGS] == meetings


def test_rule_23_one_meeting_counts_once_whoever_reports_it() -> None:
    meeting = uuid4()
    reported_twice = [leave(activity=meeting), absent(excused=True, activity=meeting)]
    assert totals(*reported_twice, standing=True)[Category.MEETINGS] == D(48)
    came_after_all = [leave(activity=meeting), attended(activity=meeting)]
    assert totals(*came_after_all, standing=True)[Category.MEETINGS] == D(50)


# ---- rule 24: refused leave and the exit review ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "standing", "rule", "points"),
    [
        (ActivityKind.MEETING, False, Rule.MEETING_UNEXCUSED_ABSENCE, D(-5)),
        (ActivityKind.STANDING_COMMITTEE, True, Rule.STANDING_COMMITTEE_UNEXCUSED_ABSENCE, D(-5)),
        (ActivityKind.PLENARY, False, Rule.PLENARY_UNEXCUSED_ABSENCE, D(-50)),
    ],
)
def test_rule_24_refused_leave_counts_as_an_unexcused_absence(
    kind: ActivityKind, standing: bool, rule: Rule, points: Decimal
) -> None:
    [entry] = drafts(leave(kind, approved=False), standing=standing)
    assert (entry.rule, entry.points) == (rule, points)


def test_rule_24_refused_leave_then_attending_is_no_absence() -> None:
    meeting = uuid4()
    events = [leave(ActivityKind.STANDING_COMMITTEE, approved=False, activity=meeting)]
    events.append(attended(ActivityKind.STANDING_COMMITTEE, activity=meeting))
    assert totals(*events, standing=True)[Category.MEETINGS] == D(50)
    assert exit_review_thresholds_crossed(entries_of(*events), DEFAULT_POLICY) == frozenset()


PLENARY = ExitReviewThreshold.UNEXCUSED_PLENARY
STANDING = ExitReviewThreshold.UNEXCUSED_STANDING_COMMITTEE


@pytest.mark.parametrize(
    ("events", "crossed"),
    [
        ([absent(ActivityKind.PLENARY)], set()),
        ([absent(ActivityKind.PLENARY), absent(ActivityKind.PLENARY)], {PLENARY}),
        ([absent(ActivityKind.PLENARY), leave(ActivityKind.PLENARY, approved=False)], {PLENARY}),
        ([absent(ActivityKind.PLENARY, excused=True) for _ in range(3)], set()),
        ([absent(ActivityKind.STANDING_COMMITTEE) for _ in range(3)], set()),
        ([absent(ActivityKind.STANDING_COMMITTEE) for _ in range(4)], {STANDING}),
        ([absent(ActivityKind.MEETING) for _ in range(9)], set()),  # other meetings never trigger it
        ([attended(ActivityKind.PLENARY, minutes=10) for _ in range(2)], {PLENARY}),  # rule 25 too
        (
            [
                *(absent(ActivityKind.PLENARY) for _ in range(2)),
                *(absent(ActivityKind.STANDING_COMMITTEE) for _ in range(4)),
            ],
            {PLENARY, STANDING},
        ),
    ],
)
def test_rule_24_unexcused_absences_past_the_threshold_in_a_term_call_for_exit_review(
    events: list[EventData], crossed: set[ExitReviewThreshold]
) -> None:
    assert exit_review_thresholds_crossed(entries_of(*events, standing=True), DEFAULT_POLICY) == crossed


def test_rule_24_each_exit_review_threshold_alerts_once_per_term() -> None:
    raised: set[ExitReviewThreshold] = set()
    alerts: list[ExitReviewThreshold] = []
    term: list[EntryDraft] = []
    for _ in range(4):  # four unexcused plenary absences, one at a time
        term += drafts(absent(ActivityKind.PLENARY))
        due = exit_review_alerts_due(term, raised, DEFAULT_POLICY)
        alerts += due
        raised |= due
    assert alerts == [PLENARY]


def test_rule_24_exit_review_thresholds_are_policy() -> None:
    strict = DutyPolicy(exit_review_unexcused_plenary=1, exit_review_unexcused_standing_committee=2)
    term = entries_of(
        absent(ActivityKind.PLENARY), *(absent(ActivityKind.STANDING_COMMITTEE) for _ in range(2))
    )
    assert exit_review_thresholds_crossed(term, strict) == {PLENARY, STANDING}


# ---- rule 25: too little attendance is absence -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "minutes", "of", "rule"),
    [
        (ActivityKind.MEETING, 120, 120, Rule.MEETING_ATTENDED),
        (ActivityKind.MEETING, 80, 120, Rule.MEETING_ATTENDED),  # exactly 2/3
        (ActivityKind.MEETING, 79, 120, Rule.MEETING_UNEXCUSED_ABSENCE),
        (ActivityKind.MEETING, 0, 120, Rule.MEETING_UNEXCUSED_ABSENCE),
        (ActivityKind.PLENARY, 100, 180, Rule.PLENARY_UNEXCUSED_ABSENCE),
        (ActivityKind.STANDING_COMMITTEE, 200, 180, Rule.STANDING_COMMITTEE_ATTENDED),  # overran
        (ActivityKind.ACTIVITY, 60, 90, Rule.ACTIVITY_ATTENDED),
        (ActivityKind.ACTIVITY, 59, 90, None),  # no points for an activity barely attended
    ],
)
def test_rule_25_attendance_below_the_policy_fraction_counts_as_absence(
    kind: ActivityKind, minutes: int, of: int, rule: Rule | None
) -> None:
    assert [e.rule for e in drafts(attended(kind, minutes=minutes, of=of))] == ([rule] if rule else [])


def test_rule_25_the_fraction_is_policy() -> None:
    half = DutyPolicy(attendance_min_fraction=Fraction(1, 2))
    [entry] = drafts(attended(ActivityKind.MEETING, minutes=60, of=120), half)
    assert entry.rule is Rule.MEETING_ATTENDED
    [entry] = drafts(attended(ActivityKind.MEETING, minutes=60, of=120))
    assert entry.rule is Rule.MEETING_UNEXCUSED_ABSENCE


# ---- rule 26: the standing member's annual report ----------------------------------------------


@pytest.mark.parametrize(
    ("is_standing", "annual_report_filed", "can_close"),
    [(True, False, False), (True, True, True), (False, False, True), (False, True, True)],
)
def test_rule_26_a_standing_members_year_closes_only_with_the_annual_report(
    is_standing: bool, annual_report_filed: bool, can_close: bool
) -> None:
    assert year_can_close(is_standing=is_standing, annual_report_filed=annual_report_filed) is can_close


# ---- rule 27: adoption level and instructions --------------------------------------------------

BY_LEVEL = DutyPolicy(
    opinion_adopted_points_by_level={AdoptionLevel.NATIONAL: D(15), AdoptionLevel.PROVINCIAL: D(10)},
    combined_adoption_share=D("0.5"),
    opinion_instruction_points_by_level={AdoptionLevel.PROVINCIAL: D(3)},
    opinions_max=D(100),
)


@pytest.mark.parametrize(
    ("policy", "event", "points"),
    [
        (DEFAULT_POLICY, adopted(AdoptionLevel.COUNTY), {Rule.OPINION_ADOPTED: D(5)}),
        (
            DEFAULT_POLICY,
            adopted(AdoptionLevel.NATIONAL, AdoptionMode.COMBINED),
            {Rule.OPINION_ADOPTED: D(5)},
        ),
        (
            DEFAULT_POLICY,
            adopted(instruction=AdoptionLevel.MUNICIPAL),
            {Rule.OPINION_ADOPTED: D(5), Rule.OPINION_INSTRUCTED: D(0)},
        ),
        (BY_LEVEL, adopted(AdoptionLevel.NATIONAL), {Rule.OPINION_ADOPTED: D(15)}),
        (BY_LEVEL, adopted(AdoptionLevel.NATIONAL, AdoptionMode.COMBINED), {Rule.OPINION_ADOPTED: D("7.50")}),
        (BY_LEVEL, adopted(AdoptionLevel.MUNICIPAL), {Rule.OPINION_ADOPTED: D(5)}),
        (
            BY_LEVEL,
            adopted(AdoptionLevel.PROVINCIAL, instruction=AdoptionLevel.PROVINCIAL),
            {Rule.OPINION_ADOPTED: D(10), Rule.OPINION_INSTRUCTED: D(3)},
        ),
    ],
)
def test_rule_27_scoring_reads_the_adoption_level_mode_and_instruction(
    policy: DutyPolicy, event: EventData, points: dict[Rule, Decimal]
) -> None:
    assert {e.rule: e.points for e in drafts(event, policy)} == points


def test_rule_27_the_highest_adoption_level_counts_whatever_the_order() -> None:
    report = uuid4()
    later_lower = [
        adopted(AdoptionLevel.NATIONAL, report=report),
        adopted(AdoptionLevel.MUNICIPAL, report=report),
    ]
    assert totals(*later_lower, policy=BY_LEVEL)[Category.OPINIONS] == D(15)
    assert totals(*reversed(later_lower), policy=BY_LEVEL)[Category.OPINIONS] == D(15)


def test_rule_27_each_rise_proposal_svc_announces_raises_the_points() -> None:
    """proposal-svc emits `cppcc.opinion.adopted.v1` on the first adoption and on each rise of the
    highest adoption (level, then single above combined) or instruction, always with the whole
    record (docs/opinions.md): each such event scores at least what the one before did, and the
    report counts once, at its best."""
    report = uuid4()
    rises = [
        adopted(AdoptionLevel.MUNICIPAL, AdoptionMode.COMBINED, report=report),
        adopted(AdoptionLevel.MUNICIPAL, AdoptionMode.SINGLE, report=report),
        adopted(AdoptionLevel.PROVINCIAL, AdoptionMode.COMBINED, report=report),
        adopted(AdoptionLevel.PROVINCIAL, AdoptionMode.COMBINED, AdoptionLevel.PROVINCIAL, report=report),
        adopted(AdoptionLevel.NATIONAL, AdoptionMode.SINGLE, AdoptionLevel.PROVINCIAL, report=report),
    ]
    points = [totals(*rises[: n + 1], policy=BY_LEVEL)[Category.OPINIONS] for n in range(len(rises))]
    # 5 × 0.5; 5; 10 × 0.5; 5 + 3 for the governor's instruction; 15 + 3
    assert points == [D("2.50"), D(5), D(5), D(8), D(18)]
    assert points == sorted(points)


def test_a_report_converted_from_a_proposal_is_recorded_but_scored_only_if_policy_says_so() -> None:
    converted = opinion(converted_from=uuid4())
    assert [e.points for e in drafts(converted)] == [D(0)]
    assert [e.points for e in drafts(converted, DutyPolicy(score_converted_report_submission=True))] == [
        D(10)
    ]


# ---- bands and ranks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (D(0), Band.FAILS),
        (D(59), Band.FAILS),
        (D("59.99"), Band.FAILS),
        (D(60), Band.COMPETENT),
        (D(79), Band.COMPETENT),
        (D(80), Band.GOOD),
        (D(89), Band.GOOD),
        (D("89.99"), Band.GOOD),
        (D(90), Band.EXCELLENT),
        (D(100), Band.EXCELLENT),
    ],
)
def test_bands_at_the_boundaries(total: Decimal, band: Band) -> None:
    assert band_for(total, DEFAULT_POLICY) is band


def test_band_boundaries_are_policy() -> None:
    assert band_for(D(85), DutyPolicy(excellent_min=D(85))) is Band.EXCELLENT
    assert band_for(D(59), DutyPolicy(pass_min=D(50))) is Band.COMPETENT
    with pytest.raises(ValueError):
        DutyPolicy(pass_min=D(95))


@pytest.mark.parametrize(
    ("totals_by_member", "ranks"),
    [
        ({ME: D(90), ALICE: D(80), BOB: D(70)}, {ME: 1, ALICE: 2, BOB: 3}),
        ({ME: D(90), ALICE: D(90), BOB: D(70)}, {ME: 1, ALICE: 1, BOB: 3}),
        ({ME: D(90), ALICE: D(80), BOB: D("80.00"), CAROL: D(60)}, {ME: 1, ALICE: 2, BOB: 2, CAROL: 4}),
        ({ME: D(50), ALICE: D(50)}, {ME: 1, ALICE: 1}),
        ({}, {}),
    ],
)
def test_members_are_ranked_in_a_group_and_ties_share_a_rank(
    totals_by_member: dict[UUID, Decimal], ranks: dict[UUID, int]
) -> None:
    assert rank(totals_by_member) == ranks


# ---- the organization's table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "events", "standing", "category", "total"),
    [
        ({"proposals_max": 40}, [submitted(), filed(), key_designated()], False, Category.PROPOSALS, D(30)),
        ({"proposal_filed_points": 20}, [submitted(), filed()], False, Category.PROPOSALS, D(25)),
        ({"leave_deduction_member": 1}, [leave(), leave()], False, Category.MEETINGS, D(48)),
        ({"leave_deduction_standing": 3}, [leave()], True, Category.MEETINGS, D(47)),
        ({"unexcused_absence_deduction": 10}, [absent()], False, Category.MEETINGS, D(40)),
        (
            {"plenary_excused_score": 40},
            [absent(ActivityKind.PLENARY, excused=True)],
            False,
            Category.MEETINGS,
            D(40),
        ),
        ({"meetings_full": 40, "meetings_max": 40}, [], False, Category.MEETINGS, D(40)),
        ({"oral_speech_points": 3}, [speech(SpeechMode.ORAL)], False, Category.ACTIVITIES, D(3)),
        (
            {"joint_first_proposer_share": "0.6"},
            [submitted(cosigners=(ALICE,))],
            False,
            Category.PROPOSALS,
            D(6),
        ),
    ],
)
def test_policy_overrides_change_the_results(
    overrides: dict[str, Any], events: list[EventData], standing: bool, category: Category, total: Decimal
) -> None:
    policy = DutyPolicy.from_stored(overrides)
    assert totals(*events, policy=policy, standing=standing)[category] == total


def test_the_table_in_force_follows_its_effective_from_date() -> None:
    y2019, y2024 = DutyPolicy(), DutyPolicy(proposal_submitted_points=D(8))
    tables = [(date(2024, 1, 1), y2024), (date(2019, 1, 1), y2019)]
    assert policy_in_force(tables, date(2023, 12, 31)) is y2019
    assert policy_in_force(tables, date(2024, 1, 1)) is y2024
    assert policy_in_force(tables, date(2030, 6, 1)) is y2024
    assert policy_in_force(tables, date(2018, 6, 1)) == DEFAULT_POLICY
    assert policy_in_force([], date(2026, 1, 1)) == DEFAULT_POLICY


def test_the_table_is_chosen_by_the_acts_date() -> None:
    data = submitted()
    tables = [(date(2026, 3, 5), DutyPolicy(proposal_submitted_points=D(8)))]
    when = act_time(data)
    assert when is not None
    [entry] = drafts(data, policy_in_force(tables, duty_date(when)))
    assert entry.points == D(8)


# ---- the term's training and the sectors' targets ----------------------------------------------


def test_a_member_attends_training_at_least_once_per_term() -> None:
    session = uuid4()
    assert not training_requirement_met([], DEFAULT_POLICY)
    assert training_requirement_met(entries_of(training(session), training(session)), DEFAULT_POLICY)
    twice = DutyPolicy(trainings_per_term_min=2)
    assert not training_requirement_met(entries_of(training(session), training(session)), twice)
    assert training_requirement_met(entries_of(training(), training()), twice)


@pytest.mark.parametrize(
    ("tally", "activities_met", "outputs_met"),
    [
        (SectorTally(activities=2, reports=1, opinions=1), True, True),
        (SectorTally(activities=1, collective_proposals=2), False, True),
        (SectorTally(activities=3, speeches=1), True, False),
        (SectorTally(activities=0), False, False),
    ],
)
def test_sector_targets_need_two_activities_and_two_outputs_a_year(
    tally: SectorTally, activities_met: bool, outputs_met: bool
) -> None:
    result = sector_targets(tally, DEFAULT_POLICY)
    assert (result.activities_met, result.outputs_met, result.met) == (
        activities_met,
        outputs_met,
        activities_met and outputs_met,
    )


# ---- the contracts the ledger consumes ---------------------------------------------------------

SCORED: list[Callable[[], EventData]] = [
    submitted,
    filed,
    key_designated,
    opinion,
    adopted,
    attended,
    absent,
    leave,
    lambda: leave(approved=False),
    lambda: speech(SpeechMode.WRITTEN),
    training,
]


@pytest.mark.parametrize("make", SCORED)
def test_every_scored_event_round_trips_with_its_org_and_act_time(make: Callable[[], EventData]) -> None:
    data = make()
    _, parsed = parse_event(make_event(data, source="/test", subject=uuid4(), orgid=ORG).to_json())
    assert parsed == data
    assert parsed.model_dump()["org_id"] == ORG
    assert act_time(parsed) == WHEN


def test_every_meeting_outcome_has_its_own_rule_in_the_meetings_category() -> None:
    meeting_kinds = [k for k in ActivityKind if k is not ActivityKind.ACTIVITY]
    assert set(MEETING_RULES) == {(k, a) for k in meeting_kinds for a in Attendance}
    assert {r.category for r in MEETING_RULES.values()} == {Category.MEETINGS}
