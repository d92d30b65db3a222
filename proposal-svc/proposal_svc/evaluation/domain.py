"""Evaluation (评价), re-handling (二次办理), completion reports and conclusion (办结) as data plus
pure functions (rules 16, 17, 18; no framework, no I/O).

The proposal's own moves go through the proposals context's one transition
(`proposals.service.handle`): `dissatisfied` (replied → rehandling), `evaluate` and
`report_completion` (replied → concluded). A part's re-opening is its assignment's `reopen`.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from cppcc_common.workdays import WorkingCalendar, add_months, local_date, start_of_day
from proposal_svc.evaluation.errors import (
    AlreadyEvaluated,
    CompletionInTheFuture,
    CompletionReportNotRequired,
    EvaluationWindowClosed,
    NotAnEvaluator,
    PartBeingRehandled,
    ReportRequired,
    UnknownRating,
)
from proposal_svc.handling.domain import ASSIGNMENTS, AssignmentAction, AssignmentStatus
from proposal_svc.policies.domain import DISSATISFIED
from proposal_svc.proposals.domain import InvitationStatus, Proposer
from proposal_svc.proposals.policy import ProposalPolicy

# The one rating every organization keeps (policies.domain checks it): it opens re-handling (rule 17).

# The status of a replied part that a dissatisfied rating re-opened (handling's `reopen` leads back
# to it): the part is handled again until its second reply.
REOPENED = ASSIGNMENTS.check(AssignmentStatus.REPLIED, AssignmentAction.REOPEN)


@dataclass(frozen=True)
class Window:
    """A reply's evaluation window (rule 16): open from the reply until `closes_at`, the end of the
    `due_on` working day in Asia/Shanghai; `provisional` when counted into an unknown year."""

    due_on: date
    provisional: bool
    closes_at: datetime


def window(replied_at: datetime, policy: ProposalPolicy, cal: WorkingCalendar) -> Window:
    """Rule 16: `evaluation_working_days` working days after the reply's day (docs/calendar.md)."""
    due = cal.add_working_days(local_date(replied_at), policy.evaluation_working_days)
    return Window(due.day, due.provisional, start_of_day(due.day + timedelta(days=1)))


def evaluators(proposers: Sequence[Proposer]) -> list[UUID]:
    """Rule 16: who rates a reply — every proposer who counts (the first proposer, the confirmed
    co-signers, those merged in included; rule 8), in signing order."""
    counted = [p for p in proposers if p.status == InvitationStatus.CONFIRMED]
    return [p.person_id for p in sorted(counted, key=lambda p: p.position)]


def check_evaluator(person: UUID | None, proposers: Collection[UUID]) -> UUID:
    """Rule 16: only a proposer who counts rates a reply (403); a unit never can (its route refuses)."""
    if person is None or person not in proposers:
        raise NotAnEvaluator()
    return person


def check_evaluation(
    person: UUID,
    *,
    rated_by: Collection[UUID],
    rating: str,
    window: Window,
    now: datetime,
    policy: ProposalPolicy,
) -> None:
    """Rule 16: once per reply (409), within the window (409: from the end of its last working day
    on), with a rating of the organization's options (422)."""
    if person in rated_by:
        raise AlreadyEvaluated()
    if now >= window.closes_at:
        raise EvaluationWindowClosed(days=policy.evaluation_working_days, due_on=window.due_on.isoformat())
    if rating not in policy.evaluations:
        raise UnknownRating(allowed=" / ".join(policy.evaluations))


def reopens(rating: str, *, second_reply: bool) -> bool:
    """Rule 17: a dissatisfied rating of a part's first reply re-opens the part for a second reply.
    A part is re-handled once: a dissatisfied rating of the second reply is recorded (it counts in
    the satisfaction rate) and is final."""
    return rating == DISSATISFIED and not second_reply


def check_not_reopened(part_status: AssignmentStatus) -> None:
    """Rule 17: a part whose reply a dissatisfied rating re-opened (its assignment back at
    `accepted`) awaits its second reply; its first is not rated again meanwhile (409)."""
    if part_status == REOPENED:
        raise PartBeingRehandled()


def rehandling_due_on(now: datetime, policy: ProposalPolicy) -> date:
    """Rule 17: the second reply is due `rehandling_due_months` calendar months after the rating."""
    return add_months(local_date(now), policy.rehandling_due_months)


@dataclass(frozen=True)
class CurrentReply:
    """What the conclusion reads of a part's current (latest) reply."""

    reply_id: UUID
    result_class: str
    closes_at: datetime
    rated_by: frozenset[UUID]
    completion_reported: bool


def concluded(
    replies: Sequence[CurrentReply], proposers: Collection[UUID], policy: ProposalPolicy, now: datetime
) -> bool:
    """Rules 16–18: a replied proposal is concluded when, for every part's current reply, every
    proposer has rated it or its window has closed (silence counts as no objection: the office's
    common rule) and, for a reply of an open class (B), the unit filed its completion report.
    (A dissatisfied rating of a first reply never gets here: it re-opened the part.)"""
    if not replies:
        return False
    for reply in replies:
        heard = set(proposers) <= reply.rated_by or now >= reply.closes_at
        open_class = reply.result_class in policy.open_reply_classes
        if not heard or (open_class and not reply.completion_reported):
            return False
    return True


def tally(ratings: Sequence[str]) -> Mapping[str, int]:
    """How many ratings of each code (the `concluded` event's summary)."""
    return dict(Counter(ratings))


def check_completion(
    result_class: str, completed_on: date, report: str, now: datetime, policy: ProposalPolicy
) -> str:
    """Rule 18: a completion report belongs to a reply of an open class; its day is not after today
    (Asia/Shanghai); its text is required. The text trimmed."""
    if result_class not in policy.open_reply_classes:
        raise CompletionReportNotRequired(classes=" / ".join(policy.open_reply_classes))
    if completed_on > local_date(now):
        raise CompletionInTheFuture()
    trimmed = report.strip()
    if not trimmed:
        raise ReportRequired()
    return trimmed
