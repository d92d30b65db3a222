"""The proposal state machine and its rules as data plus pure functions (no framework, no I/O).

`LIFECYCLE` is the machine (DOMAIN.md §2). Each action checks it, applies the rules of DOMAIN.md §7
it touches, and returns a `Decision` (the new status, the fields to set, the events); the one
transition function in `service.py` persists it, writes the history row, bumps the version and
emits the events.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from uuid import UUID

from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.proposal import (
    NotFiledDisposition,
    ProposalFiledV1,
    ProposalKeyDesignatedV1,
    ProposalMergedV1,
    ProposalNotFiledV1,
    ProposalReturnedV1,
    ProposalSubmittedV1,
)
from cppcc_common.transitions import Decision, TransitionTable
from proposal_svc.proposals.errors import (
    MeetingInTheFuture,
    MeetingRequired,
    MergeTargetNotFiled,
    NoteRequired,
    ProposalAlreadyKey,
    ProposalIncomplete,
    ProposalInvalidTransition,
    UnknownRefusalReason,
)
from proposal_svc.proposals.policy import ProposalPolicy


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FILED = "filed"
    NOT_FILED = "not_filed"
    MERGED = "merged"
    ASSIGNED = "assigned"
    HANDLING = "handling"
    REPLIED = "replied"
    REHANDLING = "rehandling"
    CONCLUDED = "concluded"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    RETURN = "return"
    FILE = "file"
    NOT_FILE = "not_file"
    MERGE = "merge"
    WITHDRAW = "withdraw"
    ASSIGN = "assign"
    ACCEPT = "accept"
    REPLY = "reply"
    EVALUATE = "evaluate"
    DISSATISFIED = "dissatisfied"
    DESIGNATE_KEY = "designate_key"


# A filed proposal, or one further on, may be designated a key proposal (rule 19); it keeps its status.
_KEY_STATUSES = (
    Status.FILED,
    Status.ASSIGNED,
    Status.HANDLING,
    Status.REPLIED,
    Status.REHANDLING,
    Status.CONCLUDED,
)


# (from status, action) -> to status: the lifecycle of DOMAIN.md §2. Editing is an action too, so
# that "only a draft may be edited" is this table's answer, not a check beside it.
LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (Status.DRAFT, Action.EDIT): Status.DRAFT,
        (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
        (Status.SUBMITTED, Action.RETURN): Status.DRAFT,
        (Status.SUBMITTED, Action.FILE): Status.FILED,
        (Status.SUBMITTED, Action.NOT_FILE): Status.NOT_FILED,
        (Status.SUBMITTED, Action.MERGE): Status.MERGED,
        (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.FILED, Action.WITHDRAW): Status.WITHDRAWN,
        (Status.FILED, Action.ASSIGN): Status.ASSIGNED,
        (Status.ASSIGNED, Action.ACCEPT): Status.HANDLING,
        (Status.HANDLING, Action.REPLY): Status.REPLIED,
        (Status.REHANDLING, Action.REPLY): Status.REPLIED,
        (Status.REPLIED, Action.EVALUATE): Status.CONCLUDED,
        (Status.REPLIED, Action.DISSATISFIED): Status.REHANDLING,
        **{(status, Action.DESIGNATE_KEY): status for status in _KEY_STATUSES},
    },
    error=ProposalInvalidTransition,
)

# What the first proposer may do to their own proposal.
PROPOSER_ACTIONS = frozenset({Action.EDIT, Action.SUBMIT})
# What the proposals office (staff with the `proposals` scope) does: review and key designation.
OFFICE_ACTIONS = frozenset({Action.RETURN, Action.FILE, Action.NOT_FILE, Action.MERGE, Action.DESIGNATE_KEY})


def may_act(action: Action, *, actor: UUID | None, first_proposer_id: UUID, office: bool = False) -> bool:
    """Who may take `action` on a proposal they can see (else 403): the first proposer their own
    actions, the proposals office its own."""
    if action in OFFICE_ACTIONS:
        return office
    return action in PROPOSER_ACTIONS and actor == first_proposer_id


@dataclass(frozen=True)
class Content:
    title: str
    situation: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class RuleViolation:
    field: str
    code: str


def content_violations(content: Content, policy: ProposalPolicy, *, complete: bool) -> list[RuleViolation]:
    """Rule 1: title, situation/analysis and at least one suggestion, within the policy limits.

    `complete=False` (a draft) checks only the limits; `complete=True` (submission) also
    requires every part to be present.
    """
    problems: list[RuleViolation] = []
    title = content.title.strip()
    suggestions = [s for s in content.suggestions if s.strip()]
    if len(title) > policy.title_max_chars:
        problems.append(RuleViolation("title", "title_too_long"))
    body_chars = len(content.situation) + sum(len(s) for s in content.suggestions)
    if body_chars > policy.body_max_chars:
        problems.append(RuleViolation("situation", "body_too_long"))
    if len(content.suggestions) > policy.max_suggestions:
        problems.append(RuleViolation("suggestions", "too_many_suggestions"))
    if complete:
        if not title:
            problems.append(RuleViolation("title", "title_required"))
        if not content.situation.strip():
            problems.append(RuleViolation("situation", "situation_required"))
        if len(suggestions) < policy.min_suggestions:
            problems.append(RuleViolation("suggestions", "suggestion_required"))
    return problems


class Kind(StrEnum):
    SESSION = "session"
    ORDINARY = "ordinary"


@dataclass(frozen=True)
class SessionWindow:
    """From (by default) 3 months before a plenary opens until its proposal deadline."""

    opens_at: datetime
    closes_at: datetime


def derive_kind(submitted_at: datetime, windows: list[SessionWindow]) -> Kind:
    """Rule 5: a session proposal if submitted inside a session window, otherwise ordinary."""
    inside = any(w.opens_at <= submitted_at <= w.closes_at for w in windows)
    return Kind.SESSION if inside else Kind.ORDINARY


@dataclass(frozen=True)
class Facts:
    """What the rules read of a stored proposal."""

    id: UUID
    org_id: UUID
    status: Status
    content: Content
    first_proposer_id: UUID
    version: int
    kind: Kind | None = None
    submitted_at: datetime | None = None
    is_key: bool = False
    filing_number: int | None = None


def refuse(violations: list[RuleViolation], policy: ProposalPolicy) -> None:
    """Rule 1's 422 listing every violation, or nothing when there is none."""
    if violations:
        raise ProposalIncomplete.listing([(v.field, v.code) for v in violations], policy.model_dump())


_CONTENT_FIELDS = ("title", "situation", "suggestions")


def _content_after(content: Content, changes: Mapping[str, Any]) -> Content:
    given = {name: changes[name] for name in _CONTENT_FIELDS if name in changes}
    if "suggestions" in given:
        given["suggestions"] = tuple(given["suggestions"])
    return replace(content, **given)


def _trimmed(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.strip() if name == "title" and value else value for name, value in fields.items()}


def draft(fields: Mapping[str, Any], policy: ProposalPolicy) -> Decision[Status]:
    """A new draft of `fields` (title trimmed): it may be incomplete but not over the limits (rule 1)."""
    changes = _trimmed(fields)
    refuse(content_violations(_content_after(Content("", "", ()), changes), policy, complete=False), policy)
    return Decision(Status.DRAFT, changes)


def edit(proposal: Facts, fields: Mapping[str, Any], policy: ProposalPolicy) -> Decision[Status]:
    """Editing a draft: the fields given (title trimmed), still within the limits (rule 1)."""
    status = LIFECYCLE.check(proposal.status, Action.EDIT)
    changes = _trimmed(fields)
    refuse(content_violations(_content_after(proposal.content, changes), policy, complete=False), policy)
    return Decision(status, changes)


def submit(
    proposal: Facts, policy: ProposalPolicy, *, now: datetime, windows: list[SessionWindow]
) -> Decision[Status]:
    """Submitting a draft (rule 1 complete), of the kind its time says (rule 5), announced."""
    status = LIFECYCLE.check(proposal.status, Action.SUBMIT)
    refuse(content_violations(proposal.content, policy, complete=True), policy)
    kind = derive_kind(now, windows)
    submitted = ProposalSubmittedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        kind=kind,
        first_proposer_id=proposal.first_proposer_id,
        submitted_at=now,
        version=proposal.version + 1,  # the version this change makes (each change bumps it by one)
    )
    return Decision(status, {"kind": kind, "submitted_at": now}, events=(submitted,))


# --- Review (审查立案) and key proposals -------------------------------------------------------


def number_label(number: int) -> str:
    """The human filing number: 第0123号 (four digits at least)."""
    return f"第{number:04d}号"


def filing_series(kind: Kind | None, submitted_at: datetime, session_id: UUID | None) -> str:
    """The series a filing number counts in: a session proposal's plenary session (the session
    window its submission fell in), otherwise the calendar year (Asia/Shanghai) of its submission.
    A session proposal whose window is no longer known counts in its year too."""
    if kind == Kind.SESSION and session_id is not None:
        return f"session:{session_id}"
    return f"year:{submitted_at.astimezone(SHANGHAI).year}"


def file(
    proposal: Facts, *, series: str, number: int, cosigner_ids: Sequence[UUID], now: datetime
) -> Decision[Status]:
    """Filing (立案) a submitted proposal with the next number of its series; every proposer is told."""
    status = LIFECYCLE.check(proposal.status, Action.FILE)
    filed = ProposalFiledV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        is_joint=bool(cosigner_ids),
        filed_at=now,
        version=proposal.version + 1,
    )
    changes = {"filing_series": series, "filing_number": number, "filed_at": now}
    return Decision(status, changes, events=(filed,), note=number_label(number))


def return_for_revision(
    proposal: Facts, note: str, *, cosigner_ids: Sequence[UUID], now: datetime
) -> Decision[Status]:
    """Returned for revision (退回修改): a draft again, with the office's note for the proposer."""
    status = LIFECYCLE.check(proposal.status, Action.RETURN)
    note = note.strip()
    if not note:
        raise NoteRequired()
    returned = ProposalReturnedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        note=note,
        returned_at=now,
        version=proposal.version + 1,
    )
    # A draft again: its kind is derived anew when it is submitted again (rule 5).
    return Decision(status, {"kind": None, "submitted_at": None}, events=(returned,), note=note)


def not_file(
    proposal: Facts,
    reason: str,
    disposition: NotFiledDisposition,
    policy: ProposalPolicy,
    *,
    cosigner_ids: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Not filed (不予立案): rule 6, a reason from the organization's list, and the proposers are told;
    rule 7, the disposition is kept (a conversion's report is linked when issue 12 creates it)."""
    status = LIFECYCLE.check(proposal.status, Action.NOT_FILE)
    if reason not in policy.refusal_reasons:
        raise UnknownRefusalReason.listing(policy.refusal_reasons)
    event = ProposalNotFiledV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        reason=reason,
        disposition=disposition,
        not_filed_at=now,
        version=proposal.version + 1,
    )
    changes = {"not_filed_reason": reason, "not_filed_disposition": disposition}
    return Decision(status, changes, events=(event,), note=reason)


def merged_in(source_proposers: Sequence[UUID], target_proposers: Sequence[UUID]) -> list[UUID]:
    """Rule 8: the source's proposers the target lacks, in the source's signing order."""
    present = set(target_proposers)
    return [p for p in dict.fromkeys(source_proposers) if p not in present]


def merge(
    proposal: Facts,
    into: Facts,
    *,
    source_proposers: Sequence[UUID],
    target_proposers: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Merging (并案) a submitted proposal into a filed one of its organization (rule 8): the source
    is `merged` and every one of its proposers becomes a proposer of the target, after the target's."""
    status = LIFECYCLE.check(proposal.status, Action.MERGE)
    if into.status != Status.FILED or into.org_id != proposal.org_id or into.id == proposal.id:
        raise MergeTargetNotFiled()
    added = merged_in(source_proposers, target_proposers)
    merged = ProposalMergedV1(
        proposal_id=proposal.id,
        into_proposal_id=into.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        into_title=into.content.title,
        merged_proposer_ids=list(dict.fromkeys(source_proposers)),
        proposer_ids=[*target_proposers, *added],
        merged_at=now,
        version=proposal.version + 1,
    )
    note = number_label(into.filing_number) if into.filing_number is not None else None
    return Decision(status, {"merged_into_id": into.id}, events=(merged,), note=note)


def designate_key(
    proposal: Facts,
    *,
    meeting: str,
    meeting_on: date,
    supervisor_ids: Sequence[UUID],
    cosigner_ids: Sequence[UUID],
    now: datetime,
) -> Decision[Status]:
    """Key proposal (重点提案, rule 19): the approving meeting (a name and a date not after today)
    and the supervising leaders, recorded once."""
    status = LIFECYCLE.check(proposal.status, Action.DESIGNATE_KEY)
    if proposal.is_key:
        raise ProposalAlreadyKey()
    meeting = meeting.strip()
    if not meeting:
        raise MeetingRequired()
    if meeting_on > now.astimezone(SHANGHAI).date():
        raise MeetingInTheFuture()
    supervisors = list(dict.fromkeys(supervisor_ids))
    designated = ProposalKeyDesignatedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=list(cosigner_ids),
        designated_at=datetime.combine(meeting_on, time(0), SHANGHAI),  # the contract: the meeting's date
        supervisor_ids=supervisors,
        version=proposal.version + 1,
    )
    changes = {
        "is_key": True,
        "key_meeting": meeting,
        "key_meeting_on": meeting_on,
        "key_supervisor_ids": supervisors,
    }
    return Decision(status, changes, events=(designated,), note=f"{meeting} {meeting_on.isoformat()}")


# Steps the office takes: a proposer sees them as the committee's, never a staff member's name.
OFFICE_STEPS = frozenset({*(a.value for a in OFFICE_ACTIONS), "merge_in"})
OFFICE_NAME = "政协提案委员会"


def shown_actor(
    action: str, actor_id: UUID | None, *, viewer_is_office: bool, proposer_ids: frozenset[UUID]
) -> tuple[UUID | None, str | None]:
    """Who a timeline step names (actor id, name): the office sees every actor; anyone else sees the
    office's steps as 政协提案委员会 and a proposer's own steps by the proposer, nobody else."""
    if viewer_is_office:
        return actor_id, None
    if action in OFFICE_STEPS:
        return None, OFFICE_NAME
    return (actor_id, None) if actor_id in proposer_ids else (None, None)
