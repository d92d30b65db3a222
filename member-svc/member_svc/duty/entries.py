"""Duty-ledger entries (履职积分, DOMAIN.md §5, rules 23–27): consumed events become ledger entry
drafts, from the scoring table only. Pure functions: no database, no clock, no I/O.

Idempotency (rule 23): the database keeps one row per (source event id, person, rule code). The
same event always gives the same drafts, each with a deterministic `rule`, so replaying an event
never adds points twice. A second event about the same act (a proposal submitted again after
being returned, a corrected check-in, an adoption at a higher level) is a new row; scoring counts
each act once (`scoring.counted_entries`).
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

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
    OpinionAdoptedV1,
    OpinionSubmittedV1,
    ProposalCosignConfirmedV1,
    ProposalFiledV1,
    ProposalKeyDesignatedV1,
    ProposalSubmittedV1,
)
from cppcc_common.events import EventData
from member_svc.duty.policy import Category, DutyPolicy, Points


class Rule(StrEnum):
    """The rule of the scoring table an entry applies; its prefix is the category."""

    PLENARY_ATTENDED = "meetings.plenary.attended"
    PLENARY_EXCUSED_ABSENCE = "meetings.plenary.excused_absence"
    PLENARY_UNEXCUSED_ABSENCE = "meetings.plenary.unexcused_absence"
    STANDING_COMMITTEE_ATTENDED = "meetings.standing_committee.attended"
    STANDING_COMMITTEE_EXCUSED_ABSENCE = "meetings.standing_committee.excused_absence"
    STANDING_COMMITTEE_UNEXCUSED_ABSENCE = "meetings.standing_committee.unexcused_absence"
    MEETING_ATTENDED = "meetings.meeting.attended"
    MEETING_EXCUSED_ABSENCE = "meetings.meeting.excused_absence"
    MEETING_UNEXCUSED_ABSENCE = "meetings.meeting.unexcused_absence"
    ACTIVITY_ATTENDED = "activities.attended"
    TRAINING_ATTENDED = "activities.training"
    WRITTEN_SPEECH = "activities.written_speech"
    ORAL_SPEECH = "activities.oral_speech"
    PROPOSAL_SUBMITTED = "proposals.submitted"
    PROPOSAL_FILED = "proposals.filed"
    KEY_PROPOSAL = "proposals.key"
    OPINION_SUBMITTED = "opinions.submitted"
    OPINION_ADOPTED = "opinions.adopted"
    OPINION_INSTRUCTED = "opinions.instructed"

    @property
    def category(self) -> Category:
        return Category(self.value.split(".", 1)[0])


class Attendance(StrEnum):
    """How a member stood at one meeting; ordered so the better outcome wins."""

    UNEXCUSED_ABSENCE = "unexcused_absence"
    EXCUSED_ABSENCE = "excused_absence"
    ATTENDED = "attended"


ATTENDANCE_ORDER = list(Attendance)
MEETING_RULES: dict[tuple[ActivityKind, Attendance], Rule] = {
    (kind, attendance): Rule(f"meetings.{kind.value}.{attendance.value}")
    for kind in ActivityKind
    if kind is not ActivityKind.ACTIVITY
    for attendance in Attendance
}
MEETING_OF_RULE = {rule: key for key, rule in MEETING_RULES.items()}


@dataclass(frozen=True)
class EntryDraft:
    """One ledger entry to store; the database's unique key is (source_event_id, person_id, rule)."""

    org_id: UUID
    person_id: UUID
    year: int  # the duty year, in Asia/Shanghai time
    occurred_on: date  # the wiring resolves the member's term from it
    rule: Rule
    points: Points
    source_event_id: UUID
    source_object_id: UUID

    @property
    def category(self) -> Category:
        return self.rule.category


def duty_date(moment: datetime) -> date:
    """The calendar day of an act in Asia/Shanghai, which decides its duty year."""
    if moment.tzinfo is None:
        raise ValueError("a duty act needs a timezone-aware time")
    return moment.astimezone(SHANGHAI).date()


def quantize(points: Decimal, policy: DutyPolicy) -> Points:
    """Points rounded half up to the policy's decimals."""
    return points.quantize(policy.points_quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Act:
    """What every entry drafted from one event shares."""

    event_id: UUID
    org_id: UUID
    object_id: UUID
    occurred_at: datetime
    policy: DutyPolicy

    def entry(self, person_id: UUID, rule: Rule, points: Decimal) -> EntryDraft:
        day = duty_date(self.occurred_at)
        return EntryDraft(
            org_id=self.org_id,
            person_id=person_id,
            year=day.year,
            occurred_on=day,
            rule=rule,
            points=quantize(points, self.policy),
            source_event_id=self.event_id,
            source_object_id=self.object_id,
        )


# ---- proposals ---------------------------------------------------------------------------------


def divide_evenly(amount: Decimal, parts: int, quantum: Decimal) -> list[Points]:
    """Splits a quantized amount into parts that differ by at most one quantum and add up exactly."""
    units = int(amount / quantum)
    base, extra = divmod(units, parts)
    # The earlier co-signers (signing order) take the leftover quanta, so replays agree.
    return [(base + (1 if i < extra else 0)) * quantum for i in range(parts)]


def split_joint_points(
    points: Decimal, first_proposer_id: UUID, cosigner_ids: Sequence[UUID], policy: DutyPolicy
) -> list[tuple[UUID, Points]]:
    """Rule 23: the first proposer of a joint proposal takes their share, the co-signers split the rest."""
    cosigners = list(dict.fromkeys(c for c in cosigner_ids if c != first_proposer_id))
    total = quantize(points, policy)
    if not cosigners:  # unconfirmed co-signers are not proposers (rule 4): a sole proposer
        return [(first_proposer_id, total)]
    first = quantize(total * policy.joint_first_proposer_share, policy)
    shares = divide_evenly(total - first, len(cosigners), policy.points_quantum)
    return [(first_proposer_id, first), *zip(cosigners, shares, strict=True)]


def _proposal_entries(
    act: _Act, rule: Rule, points: Decimal, first_proposer_id: UUID, cosigner_ids: Sequence[UUID]
) -> list[EntryDraft]:
    split = split_joint_points(points, first_proposer_id, cosigner_ids, act.policy)
    return [act.entry(person, rule, share) for person, share in split]


def proposal_submitted_entries(
    event_id: UUID, data: ProposalSubmittedV1, policy: DutyPolicy
) -> list[EntryDraft]:
    """Rule 23: points for submitting a proposal, split among the proposers of a joint one."""
    act = _Act(event_id, data.org_id, data.proposal_id, data.submitted_at, policy)
    points = policy.proposal_submitted_points
    return _proposal_entries(act, Rule.PROPOSAL_SUBMITTED, points, data.first_proposer_id, data.cosigner_ids)


def cosign_confirmed_entries(
    event_id: UUID, data: ProposalCosignConfirmedV1, policy: DutyPolicy
) -> list[EntryDraft]:
    """Rules 23 and 4: a co-signer who confirms after the submission joins its split — the whole
    split again among the first proposer and every co-signer confirmed so far, dated at the
    submission. It supersedes the submission's earlier split (`SUPERSEDING_RULES`)."""
    act = _Act(event_id, data.org_id, data.proposal_id, data.submitted_at or data.confirmed_at, policy)
    points = policy.proposal_submitted_points
    cosigners = data.cosigner_ids or [data.cosigner_id]  # (an event from before the full list)
    return _proposal_entries(act, Rule.PROPOSAL_SUBMITTED, points, data.first_proposer_id, cosigners)


# The proposers of a proposal under review change (a co-signer confirms, a returned draft is
# submitted again with other co-signers): the latest split of its submission points is the one that
# counts, so the wiring deletes an earlier event's entries of these rules for the same proposal.
SUPERSEDING_RULES = frozenset({Rule.PROPOSAL_SUBMITTED})


def proposal_filed_entries(event_id: UUID, data: ProposalFiledV1, policy: DutyPolicy) -> list[EntryDraft]:
    """Rule 23: points for a filed proposal, split among its confirmed proposers."""
    act = _Act(event_id, data.org_id, data.proposal_id, data.filed_at, policy)
    points = policy.proposal_filed_points
    return _proposal_entries(act, Rule.PROPOSAL_FILED, points, data.first_proposer_id, data.cosigner_ids)


def key_proposal_entries(
    event_id: UUID, data: ProposalKeyDesignatedV1, policy: DutyPolicy
) -> list[EntryDraft]:
    """Rule 23: points for a key proposal, split like the proposal's other points."""
    act = _Act(event_id, data.org_id, data.proposal_id, data.designated_at, policy)
    points = policy.key_proposal_points
    return _proposal_entries(act, Rule.KEY_PROPOSAL, points, data.first_proposer_id, data.cosigner_ids)


# ---- public-opinion reports --------------------------------------------------------------------


def opinion_submitted_entries(
    event_id: UUID, data: OpinionSubmittedV1, policy: DutyPolicy
) -> list[EntryDraft]:
    """Rule 23: points for a report; a converted proposal is recorded at 0 unless policy scores it."""
    act = _Act(event_id, data.org_id, data.report_id, data.submitted_at, policy)
    converted = data.converted_from_proposal_id is not None
    scored = policy.score_converted_report_submission or not converted
    points = policy.opinion_submitted_points if scored else Decimal(0)
    return [act.entry(data.author_id, Rule.OPINION_SUBMITTED, points)]


def opinion_adopted_entries(event_id: UUID, data: OpinionAdoptedV1, policy: DutyPolicy) -> list[EntryDraft]:
    """Rule 27: adoption points read from the highest adoption level, mode and instruction."""
    act = _Act(event_id, data.org_id, data.report_id, data.adopted_at, policy)
    adopted = policy.adoption_points(data.adoption_level, data.adoption_mode)
    entries = [act.entry(data.author_id, Rule.OPINION_ADOPTED, adopted)]
    if data.instruction_level is not None:
        instructed = policy.instruction_points(data.instruction_level)
        entries.append(act.entry(data.author_id, Rule.OPINION_INSTRUCTED, instructed))
    return entries


# ---- meetings and activities -------------------------------------------------------------------


def attended_enough(attended_minutes: int, scheduled_minutes: int, policy: DutyPolicy) -> bool:
    """Rule 25: attendance counts only from the policy fraction of the activity upwards."""
    return attended_minutes >= policy.attendance_min_fraction * scheduled_minutes


def meeting_points(
    kind: ActivityKind, attendance: Attendance, policy: DutyPolicy, *, standing: bool
) -> Points:
    """Rule 23: the change one meeting makes to a meetings score that starts full."""
    if attendance is Attendance.ATTENDED:
        return Decimal(0)
    excused = attendance is Attendance.EXCUSED_ABSENCE
    if kind is ActivityKind.PLENARY:  # the plenary sets what is left of the full score
        kept = policy.plenary_excused_score if excused else policy.plenary_unexcused_score
        return kept - policy.meetings_full
    if excused:
        return -(policy.leave_deduction_standing if standing else policy.leave_deduction_member)
    return -policy.unexcused_absence_deduction


def _presence_entries(
    act: _Act, person_id: UUID, kind: ActivityKind, attendance: Attendance, *, standing: bool
) -> list[EntryDraft]:
    if kind is ActivityKind.ACTIVITY:  # activities earn points; missing one costs none
        if attendance is not Attendance.ATTENDED:
            return []
        return [act.entry(person_id, Rule.ACTIVITY_ATTENDED, act.policy.activity_attended_points)]
    points = meeting_points(kind, attendance, act.policy, standing=standing)
    return [act.entry(person_id, MEETING_RULES[(kind, attendance)], points)]


def attendance_entries(
    event_id: UUID, data: AttendanceRecordedV1, policy: DutyPolicy, *, standing: bool
) -> list[EntryDraft]:
    """Rule 25: a check-in for less than the policy fraction is an unexcused absence."""
    act = _Act(event_id, data.org_id, data.activity_id, data.occurred_at, policy)
    enough = attended_enough(data.attended_minutes, data.scheduled_minutes, policy)
    attendance = Attendance.ATTENDED if enough else Attendance.UNEXCUSED_ABSENCE
    return _presence_entries(act, data.person_id, data.activity_kind, attendance, standing=standing)


def absence_entries(
    event_id: UUID, data: AbsenceRecordedV1, policy: DutyPolicy, *, standing: bool
) -> list[EntryDraft]:
    """Rule 24: an absence is excused only by an approved leave."""
    act = _Act(event_id, data.org_id, data.activity_id, data.occurred_at, policy)
    attendance = Attendance.EXCUSED_ABSENCE if data.excused else Attendance.UNEXCUSED_ABSENCE
    return _presence_entries(act, data.person_id, data.activity_kind, attendance, standing=standing)


def leave_entries(
    event_id: UUID, data: LeaveApprovedV1 | LeaveRefusedV1, policy: DutyPolicy, *, standing: bool
) -> list[EntryDraft]:
    """Rule 24: approved leave is an excused absence, refused leave an unexcused one, unless attended."""
    act = _Act(event_id, data.org_id, data.activity_id, data.occurred_at, policy)
    approved = isinstance(data, LeaveApprovedV1)
    attendance = Attendance.EXCUSED_ABSENCE if approved else Attendance.UNEXCUSED_ABSENCE
    return _presence_entries(act, data.person_id, data.activity_kind, attendance, standing=standing)


def speech_entries(event_id: UUID, data: SpeechDeliveredV1, policy: DutyPolicy) -> list[EntryDraft]:
    """Rule 23: a written speech scores the table's points; an oral one its own (0 by default)."""
    act = _Act(event_id, data.org_id, data.speech_id, data.occurred_at, policy)
    if data.mode is SpeechMode.WRITTEN:
        return [act.entry(data.person_id, Rule.WRITTEN_SPEECH, policy.written_speech_points)]
    return [act.entry(data.person_id, Rule.ORAL_SPEECH, policy.oral_speech_points)]


def training_entries(event_id: UUID, data: TrainingAttendedV1, policy: DutyPolicy) -> list[EntryDraft]:
    """Rule 23: a training session attended, scored as an activity and kept for the term's check."""
    act = _Act(event_id, data.org_id, data.training_id, data.occurred_at, policy)
    return [act.entry(data.person_id, Rule.TRAINING_ATTENDED, policy.training_points)]


# ---- one consumed event ------------------------------------------------------------------------


def act_time(data: EventData) -> datetime | None:
    """When the act an event reports happened (it picks the year and the table); None if not scored."""
    match data:
        case ProposalSubmittedV1() | OpinionSubmittedV1():
            return data.submitted_at
        case ProposalCosignConfirmedV1():
            return data.submitted_at or data.confirmed_at  # the submission's year and table
        case ProposalFiledV1():
            return data.filed_at
        case ProposalKeyDesignatedV1():
            return data.designated_at
        case OpinionAdoptedV1():
            return data.adopted_at
        case (
            AttendanceRecordedV1()
            | AbsenceRecordedV1()
            | LeaveApprovedV1()
            | LeaveRefusedV1()
            | SpeechDeliveredV1()
            | TrainingAttendedV1()
        ):
            return data.occurred_at
    return None


def draft_entries(
    event_id: UUID, data: EventData, policy: DutyPolicy, *, standing_member_ids: Collection[UUID] = ()
) -> list[EntryDraft]:
    """Rule 23: the ledger entries one consumed event gives, from the scoring table only.

    `policy` is the table in force on the act's date (`policy_in_force(tables, duty_date(act_time(data)))`);
    `standing_member_ids` says which of the event's people are standing members at that date.
    """
    match data:
        case ProposalSubmittedV1():
            return proposal_submitted_entries(event_id, data, policy)
        case ProposalCosignConfirmedV1():
            return cosign_confirmed_entries(event_id, data, policy)
        case ProposalFiledV1():
            return proposal_filed_entries(event_id, data, policy)
        case ProposalKeyDesignatedV1():
            return key_proposal_entries(event_id, data, policy)
        case OpinionSubmittedV1():
            return opinion_submitted_entries(event_id, data, policy)
        case OpinionAdoptedV1():
            return opinion_adopted_entries(event_id, data, policy)
        case AttendanceRecordedV1():
            return attendance_entries(event_id, data, policy, standing=data.person_id in standing_member_ids)
        case AbsenceRecordedV1():
            return absence_entries(event_id, data, policy, standing=data.person_id in standing_member_ids)
        case LeaveApprovedV1() | LeaveRefusedV1():
            return leave_entries(event_id, data, policy, standing=data.person_id in standing_member_ids)
        case SpeechDeliveredV1():
            return speech_entries(event_id, data, policy)
        case TrainingAttendedV1():
            return training_entries(event_id, data, policy)
    return []
