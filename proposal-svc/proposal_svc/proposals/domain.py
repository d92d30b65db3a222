"""The proposal state machine and its rules as data plus pure functions (no framework, no I/O).

`LIFECYCLE` is the machine (DOMAIN.md §2). Each action checks it, applies the rules of DOMAIN.md §7
it touches, and returns a `Decision` (the new status, the fields to set, the events); the one
transition function in `service.py` persists it, writes the history row, bumps the version and
emits the events.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.transitions import Decision, TransitionTable
from proposal_svc.proposals.errors import (
    PlenaryNotInSession,
    ProposalIncomplete,
    ProposalInvalidTransition,
    SealRequired,
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
    },
    error=ProposalInvalidTransition,
)

# What the first proposer may do to their own proposal; the office's actions come with their routes.
PROPOSER_ACTIONS = frozenset({Action.EDIT, Action.SUBMIT})


def may_act(action: Action, *, actor: UUID | None, first_proposer_id: UUID) -> bool:
    """Who may take `action` on a proposal they can see (else 403): today only its first proposer."""
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


class AuthorKind(StrEnum):
    """Who proposes (DOMAIN.md §2): a member, or an organization named by `author_name`.

    An organization's proposal is drafted and submitted by a current member acting for it (its
    first proposer): rule 2 asks a member of the current term to submit, rule 28 shows a draft to its
    first proposer only, and the office's staff review proposals rather than author them. That the
    member may speak for the organization is what the seal or signature attachment attests (rule 2),
    and the office checks it when reviewing.
    """

    MEMBER = "member"
    PARTY_GROUP = "party_group"  # 党派
    PEOPLES_ORGANIZATION = "peoples_organization"  # 人民团体
    SPECIAL_COMMITTEE = "special_committee"  # 专门委员会
    SECTOR = "sector"  # 界别 (rule 3)
    GROUP = "group"  # 小组 (rule 3)

    @property
    def is_organization(self) -> bool:
        return self is not AuthorKind.MEMBER

    @property
    def only_in_session(self) -> bool:
        """Rule 3: sectors and groups propose only while the plenary is in session."""
        return self in (AuthorKind.SECTOR, AuthorKind.GROUP)


@dataclass(frozen=True)
class Plenary:
    """The days a plenary session sits, both included, in Asia/Shanghai."""

    opens_on: date
    closes_on: date


def in_session(now: datetime, plenaries: Sequence[Plenary]) -> bool:
    """Whether `now` falls on a day of a plenary, counted in Asia/Shanghai (the committee's days)."""
    day = now.astimezone(SHANGHAI).date()
    return any(p.opens_on <= day <= p.closes_on for p in plenaries)


def check_author_may_propose(kind: AuthorKind, now: datetime, plenaries: Sequence[Plenary]) -> None:
    """Rule 3: a sector or group proposal only on a day of a plenary session, else 422."""
    if kind.only_in_session and not in_session(now, plenaries):
        raise PlenaryNotInSession()


def author_violations(kind: AuthorKind, name: str | None) -> list[RuleViolation]:
    """An organization's proposal names the organization; a member's names none."""
    if kind.is_organization and not (name or "").strip():
        return [RuleViolation("author_name", "author_name_required")]
    if not kind.is_organization and name is not None:
        return [RuleViolation("author_name", "author_name_not_allowed")]
    return []


@dataclass(frozen=True)
class Facts:
    """What the rules read of a stored proposal."""

    id: UUID
    org_id: UUID
    status: Status
    content: Content
    first_proposer_id: UUID
    version: int
    author_kind: AuthorKind = AuthorKind.MEMBER
    author_name: str | None = None


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


_TRIMMED = ("title", "author_name")


def _trimmed(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.strip() if name in _TRIMMED and value else value for name, value in fields.items()}


def draft(
    fields: Mapping[str, Any], policy: ProposalPolicy, *, now: datetime, plenaries: Sequence[Plenary] = ()
) -> Decision[Status]:
    """A new draft of `fields` (title trimmed): it may be incomplete but not over the limits (rule 1);
    an organization's names it, and a sector's or group's is drafted only in session (rule 3)."""
    changes = _trimmed(fields)
    author = AuthorKind(changes.get("author_kind", AuthorKind.MEMBER))
    problems = content_violations(_content_after(Content("", "", ()), changes), policy, complete=False)
    refuse(problems + author_violations(author, changes.get("author_name")), policy)
    check_author_may_propose(author, now, plenaries)
    return Decision(Status.DRAFT, changes)


def edit(proposal: Facts, fields: Mapping[str, Any], policy: ProposalPolicy) -> Decision[Status]:
    """Editing a draft: the fields given (title trimmed), still within the limits (rule 1)."""
    status = LIFECYCLE.check(proposal.status, Action.EDIT)
    changes = _trimmed(fields)
    refuse(content_violations(_content_after(proposal.content, changes), policy, complete=False), policy)
    return Decision(status, changes)


def submit(
    proposal: Facts,
    policy: ProposalPolicy,
    *,
    now: datetime,
    windows: list[SessionWindow],
    plenaries: Sequence[Plenary] = (),
    seals: int = 0,
) -> Decision[Status]:
    """Submitting a draft (rule 1 complete; an organization's with its seal attached, rule 2; a
    sector's or group's in session, rule 3), of the kind its time says (rule 5), announced."""
    status = LIFECYCLE.check(proposal.status, Action.SUBMIT)
    refuse(content_violations(proposal.content, policy, complete=True), policy)
    if proposal.author_kind.is_organization and seals < 1:
        raise SealRequired()
    check_author_may_propose(proposal.author_kind, now, plenaries)
    kind = derive_kind(now, windows)
    submitted = ProposalSubmittedV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.content.title,
        kind=kind,
        first_proposer_id=proposal.first_proposer_id,
        author_kind=proposal.author_kind,
        author_name=proposal.author_name,
        submitted_at=now,
        version=proposal.version + 1,  # the version this change makes (each change bumps it by one)
    )
    return Decision(status, {"kind": kind, "submitted_at": now}, events=(submitted,))
