"""Handling (办理) by the units: assignment, reassignment, acceptance, co-handlers' views and
countersign, communications and the reply, as data plus pure functions (no framework, no I/O).

Each assignment row (one per proposal, unit and role) has its own small machine, `ASSIGNMENTS`.
The proposal's own status moves (filed → assigned → handling → replied) go through the proposals
context's one transition function (`proposals.service.handle`).
"""

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from cppcc_common.contracts.proposal import HandlingRole
from cppcc_common.transitions import TransitionTable
from cppcc_common.workdays import add_months, local_date, start_of_day
from proposal_svc.handling.errors import (
    AssignmentInvalid,
    AssignmentInvalidTransition,
    CommunicationInTheFuture,
    CommunicationRequired,
    CountersignMissing,
    ExtensionInvalid,
    FaceToFaceRequired,
    MergedLettersInvalid,
    ReassignmentWindowClosed,
    TextRequired,
    UnknownReplyClass,
)
from proposal_svc.proposals.policy import ProposalPolicy

Role = HandlingRole


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    REASSIGNMENT_REQUESTED = "reassignment_requested"
    REASSIGNED = "reassigned"  # closed: the part moved to another unit (rule 10)
    ACCEPTED = "accepted"
    REPLIED = "replied"
    VIEWS_SENT = "views_sent"  # a co-handler's views are with the lead unit (rule 11)
    COUNTERSIGNED = "countersigned"  # a co-handler countersigned the lead's reply (rule 14)


class AssignmentAction(StrEnum):
    ACCEPT = "accept"
    REQUEST_REASSIGNMENT = "request_reassignment"
    REASSIGN = "reassign"
    REFUSE_REASSIGNMENT = "refuse_reassignment"
    SEND_VIEWS = "send_views"
    COUNTERSIGN = "countersign"
    COMMUNICATE = "communicate"
    REPLY = "reply"
    CORRECT_CLASS = "correct_class"
    EXTEND = "extend"  # the office records an approved extension of the reply due date (rule 12)
    # Issue 9, evaluation: a proposer's dissatisfied rating re-opens the part for a second reply
    # (rule 17); the unit of an open-class reply files its completion report (rule 18).
    REOPEN = "reopen"
    REPORT_COMPLETION = "report_completion"


S, A = AssignmentStatus, AssignmentAction

# (from, action) -> to: one assignment's life. A unit asks to be reassigned before it accepts (rule 10).
ASSIGNMENTS: TransitionTable[AssignmentStatus, AssignmentAction] = TransitionTable(
    {
        (S.ASSIGNED, A.ACCEPT): S.ACCEPTED,
        (S.ASSIGNED, A.REQUEST_REASSIGNMENT): S.REASSIGNMENT_REQUESTED,
        (S.REASSIGNMENT_REQUESTED, A.REASSIGN): S.REASSIGNED,
        (S.REASSIGNMENT_REQUESTED, A.REFUSE_REASSIGNMENT): S.ASSIGNED,
        (S.ASSIGNED, A.SEND_VIEWS): S.VIEWS_SENT,
        (S.VIEWS_SENT, A.COUNTERSIGN): S.COUNTERSIGNED,
        (S.ACCEPTED, A.COMMUNICATE): S.ACCEPTED,
        (S.ACCEPTED, A.REPLY): S.REPLIED,
        (S.REPLIED, A.CORRECT_CLASS): S.REPLIED,
        # Rule 12: a reply's due date moves only while the reply is still awaited.
        (S.ASSIGNED, A.EXTEND): S.ASSIGNED,
        (S.REASSIGNMENT_REQUESTED, A.EXTEND): S.REASSIGNMENT_REQUESTED,
        (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
        (S.REPLIED, A.REOPEN): S.ACCEPTED,  # taken by the evaluation context, never by a caller
        (S.REPLIED, A.REPORT_COMPLETION): S.REPLIED,
    },
    error=AssignmentInvalidTransition,
)

# Who takes which step of an assignment: its unit, by role (rule 11: a co-handler never replies),
# and the proposals office (rule 10: only staff reassign).
UNIT_ACTIONS: dict[HandlingRole, frozenset[AssignmentAction]] = {
    Role.LEAD: frozenset({A.ACCEPT, A.REQUEST_REASSIGNMENT, A.COMMUNICATE, A.REPLY, A.REPORT_COMPLETION}),
    Role.SPLIT: frozenset({A.ACCEPT, A.REQUEST_REASSIGNMENT, A.COMMUNICATE, A.REPLY, A.REPORT_COMPLETION}),
    Role.COHANDLER: frozenset({A.REQUEST_REASSIGNMENT, A.SEND_VIEWS, A.COUNTERSIGN}),
}
OFFICE_ACTIONS = frozenset({A.REASSIGN, A.REFUSE_REASSIGNMENT, A.CORRECT_CLASS, A.EXTEND})


def may_act(action: AssignmentAction, role: HandlingRole, *, office: bool, own_unit: bool) -> bool:
    """Whether the caller may take `action` on an assignment it can see (else 403): the office its
    decisions, the assignment's own unit the steps of its role."""
    if action in OFFICE_ACTIONS:
        return office
    return own_unit and action in UNIT_ACTIONS[role]


def reply_due_on(assigned_at: datetime, *, session_proposal: bool, policy: ProposalPolicy) -> date:
    """The reply is due `reply_due_months` after the assignment (`session_reply_due_months` for a
    session proposal), counted on the Asia/Shanghai calendar."""
    months = policy.session_reply_due_months if session_proposal else policy.reply_due_months
    return add_months(local_date(assigned_at), months)


def views_due_on(assigned_at: datetime, policy: ProposalPolicy) -> date:
    """Rule 11: a co-handler sends its views within `cohandler_view_months` of the assignment."""
    return add_months(local_date(assigned_at), policy.cohandler_view_months)


def plan(
    *,
    lead: UUID | None,
    cohandlers: Sequence[UUID],
    split: Sequence[UUID],
    known_units: Collection[UUID],
) -> list[tuple[UUID, HandlingRole]]:
    """Rule 9: one lead unit with its co-handlers, or split handling among two or more units; each a
    unit of the organization (`known_units`), once. The (unit, role) pairs, lead first."""
    problems: list[tuple[str, str]] = []
    if (lead is None) == (not split) or (split and len(split) < 2):
        problems.append(("lead_unit_id", "lead_or_split_required"))
    if cohandlers and lead is None:
        problems.append(("cohandler_unit_ids", "cohandlers_need_a_lead"))
    pairs: list[tuple[str, UUID, HandlingRole]] = []
    if lead is not None:
        pairs.append(("lead_unit_id", lead, Role.LEAD))
    pairs += [(f"cohandler_unit_ids.{n}", u, Role.COHANDLER) for n, u in enumerate(cohandlers)]
    pairs += [(f"split_unit_ids.{n}", u, Role.SPLIT) for n, u in enumerate(split)]
    seen: Counter[UUID] = Counter()
    for field, unit, _ in pairs:
        seen[unit] += 1
        if seen[unit] > 1:
            problems.append((field, "duplicate_unit"))
        elif unit not in known_units:
            problems.append((field, "unknown_unit"))
    if problems:
        raise AssignmentInvalid.listing(problems)
    return [(unit, role) for _, unit, role in pairs]


def check_reassignment_window(assigned_at: datetime, now: datetime, policy: ProposalPolicy) -> None:
    """Rule 10: a unit asks to be reassigned until `reassignment_window_days` after its assignment
    (the instant itself included), else 409."""
    if now > assigned_at + timedelta(days=policy.reassignment_window_days):
        raise ReassignmentWindowClosed(days=policy.reassignment_window_days)


class CommunicationKind(StrEnum):
    VISIT = "visit"  # 走访
    MEETING = "meeting"  # 座谈
    PHONE = "phone"
    EMAIL = "email"


FACE_TO_FACE = frozenset({CommunicationKind.VISIT, CommunicationKind.MEETING})


def check_communication_date(on: date, now: datetime) -> None:
    """A contact is recorded after it took place: not after today in Asia/Shanghai."""
    if on > local_date(now):
        raise CommunicationInTheFuture()


@dataclass(frozen=True)
class ReplyFacts:
    """What rules 13–15 read before a unit replies."""

    role: HandlingRole
    is_key: bool
    communications: tuple[CommunicationKind, ...]
    cohandler_statuses: tuple[AssignmentStatus, ...]  # the lead's open co-handlers (none for split)


def check_reply_class(result_class: str, policy: ProposalPolicy) -> None:
    """Rule 15: one result class from the organization's list, exactly."""
    if result_class not in policy.reply_classes:
        raise UnknownReplyClass(allowed=" / ".join(policy.reply_classes))


def check_reply(facts: ReplyFacts, result_class: str, policy: ProposalPolicy) -> None:
    """Rules 13, 14 and 15 before a reply: a communication (face-to-face for a key proposal), every
    co-handler countersigned, a class from the policy list."""
    if not facts.communications:
        raise CommunicationRequired()
    if facts.is_key and not FACE_TO_FACE.intersection(facts.communications):
        raise FaceToFaceRequired()
    if facts.role == Role.LEAD and any(s != S.COUNTERSIGNED for s in facts.cohandler_statuses):
        raise CountersignMissing()
    check_reply_class(result_class, policy)


def replies_complete(replying: Sequence[tuple[HandlingRole, AssignmentStatus]]) -> bool:
    """Whether every required reply is in: the lead's, or each split unit's (co-handlers never reply)."""
    required = [status for role, status in replying if role != Role.COHANDLER]
    return bool(required) and all(status == S.REPLIED for status in required)


def merged_sources(merged_from: Sequence[UUID | None]) -> frozenset[UUID]:
    """Rule 8: the proposals merged into this one whose proposers joined it (their `merged_from_id`)."""
    return frozenset(m for m in merged_from if m is not None)


def check_merged_letters(sources: Collection[UUID], letters: Sequence[tuple[UUID, str]]) -> dict[UUID, str]:
    """Rule 8: one letter, not blank, for each proposal merged in (422 naming the missing and the
    unknown ones). The letters by merged proposal, trimmed."""
    given = [m for m, _ in letters]
    missing = sorted(set(sources) - set(given), key=str)
    unknown = sorted({m for m in given if m not in sources}, key=str)
    twice = [m for m, n in Counter(given).items() if n > 1]
    if missing or unknown or twice:
        raise MergedLettersInvalid(
            missing=", ".join(map(str, missing)) or "-", unknown=", ".join(map(str, unknown + twice)) or "-"
        )
    return {m: required(text, "merged_letters.letter") for m, text in letters}


def required(value: str, field: str) -> str:
    """The text trimmed, or 422 when it is blank (a reason, views, a summary, the letter, the signer)."""
    trimmed = value.strip()
    if not trimmed:
        raise TextRequired(field=field)
    return trimmed


# --- Deadlines (rule 12) -------------------------------------------------------------------------

OVERDUE = "overdue"
VIEWS_OVERDUE = "views_overdue"  # a co-handler's views to the lead unit (rule 11)
# What became of a notice the scanner claimed: sent, or void (the part had replied, moved or been extended).
FIRED, VOID = "fired", "void"


def due_soon_kind(days: int) -> str:
    return f"due_soon_{days}"


def days_before(kind: str) -> int:
    """The warning's days before the due date, from its kind (`due_soon_15` → 15)."""
    return int(kind.removeprefix("due_soon_"))


def overdue_at(due_on: date) -> datetime:
    """A reply is overdue from the start of the day after its due day (Asia/Shanghai): the due day
    itself is still on time."""
    return start_of_day(due_on + timedelta(days=1))


def deadline_schedule(due_on: date, now: datetime, policy: ProposalPolicy) -> list[tuple[str, datetime]]:
    """The notices a reply due on `due_on` arms at `now`: a warning at the start of the day
    `due_soon_days` before it (only those still ahead: a warning already passed when the date is set
    is not sent late), and the overdue, always."""
    warnings = [
        (due_soon_kind(d), start_of_day(due_on - timedelta(days=d))) for d in set(policy.due_soon_days)
    ]
    return [(kind, at) for kind, at in sorted(warnings, key=lambda w: w[1]) if at > now] + [
        (OVERDUE, overdue_at(due_on))
    ]


def views_schedule(views_due_on: date) -> list[tuple[str, datetime]]:
    """Rule 11: a co-handler's views are overdue from the start of the day after their due day."""
    return [(VIEWS_OVERDUE, overdue_at(views_due_on))]


# A co-handler whose views are still awaited (reassignment asked: still its part until decided).
AWAITING_VIEWS = frozenset({AssignmentStatus.ASSIGNED, AssignmentStatus.REASSIGNMENT_REQUESTED})


def latest_reply_due_on(assigned_at: datetime, policy: ProposalPolicy) -> date:
    """Rule 12: no extension passes `max_reply_months` after the assignment (Asia/Shanghai)."""
    return add_months(local_date(assigned_at), policy.max_reply_months)


def check_extension(
    *,
    current: date | None,
    to: date,
    approved_on: date,
    assigned_at: datetime,
    now: datetime,
    policy: ProposalPolicy,
) -> None:
    """Rule 12: an extension of a lead or split unit's reply moves its due date later, up to the
    maximum after the assignment, on an approval already given (not after today); else 422."""
    problems: list[tuple[str, str]] = []
    if current is None:
        problems.append(("assignment_id", "no_reply_due"))
    elif to <= current:
        problems.append(("reply_due_on", "not_later"))
    if to > latest_reply_due_on(assigned_at, policy):
        problems.append(("reply_due_on", "beyond_maximum"))
    if approved_on > local_date(now):
        problems.append(("approved_on", "in_the_future"))
    if problems:
        raise ExtensionInvalid.listing(
            problems, latest=latest_reply_due_on(assigned_at, policy), months=policy.max_reply_months
        )
