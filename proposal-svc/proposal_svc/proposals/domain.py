"""The proposal state machine and its rules as data plus pure functions (no framework, no I/O).

Each action checks the transition table, applies the rules of DOMAIN.md §7 it touches, and
returns the new status; the service layer persists it and stages the event.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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


# (from status, action) -> to status: the lifecycle of DOMAIN.md §2.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
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
}


class TransitionNotAllowed(Exception):
    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"{action} not allowed in {status}")
        self.status = status
        self.action = action


def next_status(status: Status, action: Action) -> Status:
    """The status after `action`, or TransitionNotAllowed."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionNotAllowed(status, action) from None


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


def submit(status: Status, content: Content, policy: ProposalPolicy) -> tuple[Status, list[RuleViolation]]:
    """Submitting a draft: the new status, or the rule violations that prevent it."""
    new_status = next_status(status, Action.SUBMIT)
    return new_status, content_violations(content, policy, complete=True)


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
