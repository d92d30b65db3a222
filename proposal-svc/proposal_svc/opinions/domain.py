"""Public-opinion reports (社情民意信息, DOMAIN.md §3; rules 7, 27, 28) as data plus pure functions:
the lifecycle table, who may act, the content rules and the adoption record. No framework, no I/O.

```
draft ──submit──▶ submitted ──edit──▶ edited ──adopt──▶ adopted ──adopt / edit / forward / instruct / feedback──▶ adopted
  ▲ edit_draft      │  │                 │  └─not_adopt──▶ not_adopted
                    │  └─adopt / not_adopt (without an edit)
                    └─withdraw──▶ withdrawn (by the author, before the office took it up)
```

A report converted from a not-filed proposal (rule 7) starts `submitted`, linked to its proposal.

Rule 27: the report keeps its highest adoption (level, then single before combined) and its
highest leader's instruction; `cppcc.opinion.adopted.v1` is emitted on the first adoption and
again whenever one of them rises — never for a lower one, so the duty ledger (which keeps the
best per report) scores each rise once.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.proposal import (
    AdoptionLevel,
    AdoptionMode,
    OpinionAdoptedV1,
    OpinionEditedV1,
    OpinionFeedbackRecordedV1,
    OpinionForwardedV1,
    OpinionInstructedV1,
    OpinionNotAdoptedV1,
    OpinionRecipientKind,
    OpinionSubmittedV1,
    OpinionWithdrawnV1,
)
from cppcc_common.events import EventData
from cppcc_common.transitions import Decision, TransitionTable
from proposal_svc.opinions.errors import (
    DateInTheFuture,
    NothingToEdit,
    OpinionIncomplete,
    OpinionInvalidTransition,
)
from proposal_svc.opinions.policy import OpinionPolicy


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    EDITED = "edited"  # the office edited it (编辑加工): under review
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    EDIT_DRAFT = "edit_draft"  # the author's draft, its attachments included
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    EDIT = "edit"  # the office edits title, analysis, suggestion (kept with author and time)
    ADOPT = "adopt"
    NOT_ADOPT = "not_adopt"
    FORWARD = "forward"
    INSTRUCT = "instruct"
    FEEDBACK = "feedback"


_REVIEWABLE = (Status.SUBMITTED, Status.EDITED)

LIFECYCLE: TransitionTable[Status, Action] = TransitionTable(
    {
        (Status.DRAFT, Action.EDIT_DRAFT): Status.DRAFT,
        (Status.DRAFT, Action.SUBMIT): Status.SUBMITTED,
        # "Before review": once the office edited or decided, the author no longer withdraws.
        (Status.SUBMITTED, Action.WITHDRAW): Status.WITHDRAWN,
        **{(s, Action.EDIT): Status.EDITED for s in _REVIEWABLE},
        (Status.ADOPTED, Action.EDIT): Status.ADOPTED,
        **{(s, Action.ADOPT): Status.ADOPTED for s in _REVIEWABLE},
        (Status.ADOPTED, Action.ADOPT): Status.ADOPTED,  # adopted again, e.g. by the province
        **{(s, Action.NOT_ADOPT): Status.NOT_ADOPTED for s in _REVIEWABLE},
        (Status.ADOPTED, Action.FORWARD): Status.ADOPTED,
        (Status.ADOPTED, Action.INSTRUCT): Status.ADOPTED,
        (Status.ADOPTED, Action.FEEDBACK): Status.ADOPTED,
    },
    error=OpinionInvalidTransition,
)

# The author's own steps; the office's (staff with the `opinions` scope).
AUTHOR_ACTIONS = frozenset({Action.EDIT_DRAFT, Action.SUBMIT, Action.WITHDRAW})
OFFICE_ACTIONS = frozenset(
    {Action.EDIT, Action.ADOPT, Action.NOT_ADOPT, Action.FORWARD, Action.INSTRUCT, Action.FEEDBACK}
)


def may_act(action: Action, *, actor: UUID | None, author_id: UUID, office: bool) -> bool:
    """Who may take `action` on a report they can read (else 403): the author their own steps, the
    office its own. The office does not write a member's draft, nor a member the office's record."""
    if action in AUTHOR_ACTIONS:
        return actor is not None and actor == author_id
    return action in OFFICE_ACTIONS and office


# ---- content -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    title: str
    situation: str
    analysis: str
    suggestion: str

    @property
    def body_chars(self) -> int:
        """What the policy's length counts: the situation, analysis and suggestion together."""
        return len(self.situation) + len(self.analysis) + len(self.suggestion)


CONTENT_FIELDS = ("title", "situation", "analysis", "suggestion")
# What the office edits (DOMAIN.md §3); the situation is the member's account and stays theirs.
EDITABLE_FIELDS = ("title", "analysis", "suggestion")


def _limits(policy: OpinionPolicy) -> dict[str, Any]:
    return policy.model_dump()


def length_violations(
    content: Content, policy: OpinionPolicy, *, before: Content | None = None
) -> list[tuple[str, str]]:
    """The policy's limits. An edit of a report already over them (a converted proposal keeps its
    text) is refused only if it makes the text longer."""
    problems: list[tuple[str, str]] = []
    title_over = len(content.title) > policy.opinion_title_max_chars
    if title_over and (before is None or len(content.title) > len(before.title)):
        problems.append(("title", "title_too_long"))
    body_over = content.body_chars > policy.opinion_max_chars
    if body_over and (before is None or content.body_chars > before.body_chars):
        problems.append(("body", "body_too_long"))
    return problems


def completeness_violations(content: Content) -> list[tuple[str, str]]:
    """DOMAIN.md §3: a report states the situation, the analysis and a suggestion, under a title."""
    return [(name, "required") for name in CONTENT_FIELDS if not getattr(content, name).strip()]


def check(problems: list[tuple[str, str]], policy: OpinionPolicy) -> None:
    if problems:
        raise OpinionIncomplete.listing(problems, _limits(policy))


def _trimmed(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if k == "title" and isinstance(v, str) else v) for k, v in fields.items()}


def new_draft(fields: Mapping[str, str], policy: OpinionPolicy) -> Content:
    """A draft may be incomplete, never over the limits."""
    content = Content(**{name: "" for name in CONTENT_FIELDS} | _trimmed(fields))
    check(length_violations(content, policy), policy)
    return content


def _replace(content: Content, fields: Mapping[str, Any]) -> Content:
    values = {name: getattr(content, name) for name in CONTENT_FIELDS}
    values.update(_trimmed({k: v for k, v in fields.items() if k in CONTENT_FIELDS}))
    return Content(**values)


# ---- the facts a rule reads --------------------------------------------------------------------


@dataclass(frozen=True)
class Adoption:
    level: AdoptionLevel
    mode: AdoptionMode


_LEVELS = list(AdoptionLevel)  # county < municipal < provincial < national (the enum's order)
_MODES = [AdoptionMode.COMBINED, AdoptionMode.SINGLE]  # a single adoption ranks above a combined one


def rank(adoption: Adoption) -> tuple[int, int]:
    return (_LEVELS.index(adoption.level), _MODES.index(adoption.mode))


def higher_level(a: AdoptionLevel | None, b: AdoptionLevel | None) -> AdoptionLevel | None:
    levels = [x for x in (a, b) if x is not None]
    return max(levels, key=_LEVELS.index) if levels else None


@dataclass(frozen=True)
class Facts:
    """What the rules read of a stored report."""

    id: UUID
    org_id: UUID
    author_id: UUID
    status: Status
    content: Content
    version: int
    adoption: Adoption | None = None
    adopted_at: datetime | None = None
    instruction_level: AdoptionLevel | None = None


def _about(report: Facts, *, title: str | None = None) -> dict[str, Any]:
    """What every event of a step names: the report, its organization, its author, its title (as
    the step leaves it) and the version the step reaches."""
    return {
        "report_id": report.id,
        "org_id": report.org_id,
        "author_id": report.author_id,
        "title": report.content.title if title is None else title,
        "version": report.version + 1,
    }


# ---- the author's steps ------------------------------------------------------------------------


def edit_draft(report: Facts, fields: Mapping[str, Any], policy: OpinionPolicy) -> Decision[Status]:
    status = LIFECYCLE.check(report.status, Action.EDIT_DRAFT)
    content = _replace(report.content, fields)
    check(length_violations(content, policy), policy)
    changes = {k: getattr(content, k) for k in CONTENT_FIELDS if k in fields}
    return Decision(status, changes)


def submit(report: Facts, policy: OpinionPolicy, *, now: datetime) -> Decision[Status]:
    """DOMAIN.md §3: complete and within the policy's length; the duty ledger scores it (rule 23)."""
    status = LIFECYCLE.check(report.status, Action.SUBMIT)
    check(completeness_violations(report.content) + length_violations(report.content, policy), policy)
    event = OpinionSubmittedV1(
        **_about(report),
        submitted_at=now,
    )
    return Decision(status, {"submitted_at": now}, events=(event,))


def withdraw(report: Facts, reason: str | None, *, now: datetime) -> Decision[Status]:
    status = LIFECYCLE.check(report.status, Action.WITHDRAW)
    event = OpinionWithdrawnV1(
        **_about(report),
        withdrawn_at=now,
    )
    return Decision(status, {"withdrawn_at": now}, events=(event,), note=reason)


def converted(
    *,
    report_id: UUID,
    org_id: UUID,
    author_id: UUID,
    proposal_id: UUID,
    title: str,
    situation: str,
    suggestions: Sequence[str],
    now: datetime,
) -> tuple[Content, OpinionSubmittedV1]:
    """Rule 7: a not-filed proposal's text as a submitted report of its first proposer, linked to
    it; the proposal's 情况与分析 is the situation (the office may write the analysis), its
    suggestions, numbered, the suggestion. The limits are not applied: the text is the proposal's."""
    suggestion = (
        suggestions[0]
        if len(suggestions) == 1
        else "\n".join(f"{n}. {s}" for n, s in enumerate(suggestions, 1))
    )
    content = Content(title=title, situation=situation, analysis="", suggestion=suggestion)
    event = OpinionSubmittedV1(
        report_id=report_id,
        org_id=org_id,
        author_id=author_id,
        title=title,
        submitted_at=now,
        converted_from_proposal_id=proposal_id,
        version=1,
    )
    return content, event


# ---- the office's steps ------------------------------------------------------------------------


def edit(
    report: Facts, fields: Mapping[str, Any], note: str | None, policy: OpinionPolicy, *, now: datetime
) -> Decision[Status]:
    """DOMAIN.md §3: the office edits the title, analysis and suggestion; each edit is kept with its
    author and time (the history row's before and after), and the author sees the edited text."""
    status = LIFECYCLE.check(report.status, Action.EDIT)
    given = {k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    content = _replace(report.content, given)
    changed = [k for k in EDITABLE_FIELDS if getattr(content, k) != getattr(report.content, k)]
    if not changed:
        raise NothingToEdit()
    blank = [(k, "required") for k in changed if not getattr(content, k).strip()]
    check(blank + length_violations(content, policy, before=report.content), policy)
    event = OpinionEditedV1(
        **_about(report, title=content.title),
        fields=changed,
        edited_at=now,
    )
    return Decision(status, {k: getattr(content, k) for k in changed}, events=(event,), note=note)


def _adopted_event(
    report: Facts, adoption: Adoption, instruction: AdoptionLevel | None, at: datetime
) -> OpinionAdoptedV1:
    return OpinionAdoptedV1(
        report_id=report.id,
        org_id=report.org_id,
        author_id=report.author_id,
        adoption_level=adoption.level,
        adoption_mode=adoption.mode,
        instruction_level=instruction,
        adopted_at=at,
        version=report.version + 1,
    )


def adopt(report: Facts, adoption: Adoption, note: str | None, *, now: datetime) -> Decision[Status]:
    """Rule 27: every adoption is recorded; the report keeps the highest, and the duty ledger is
    told on the first adoption and whenever the highest rises. The act's time is the first
    adoption's, so a rise is scored in the same duty year."""
    status = LIFECYCLE.check(report.status, Action.ADOPT)
    best = adoption if report.adoption is None or rank(adoption) > rank(report.adoption) else report.adoption
    at = report.adopted_at or now
    events: tuple[EventData, ...] = ()
    if best != report.adoption:
        events = (_adopted_event(report, best, report.instruction_level, at),)
    changes = {"adoption_level": best.level, "adoption_mode": best.mode, "adopted_at": at}
    return Decision(status, changes, events=events, note=note)


def not_adopt(report: Facts, reason: str, *, now: datetime) -> Decision[Status]:
    status = LIFECYCLE.check(report.status, Action.NOT_ADOPT)
    event = OpinionNotAdoptedV1(
        **_about(report),
        reason=reason,
        decided_at=now,
    )
    return Decision(status, {"not_adopted_reason": reason, "decided_at": now}, events=(event,), note=reason)


@dataclass(frozen=True)
class Recipient:
    kind: OpinionRecipientKind
    name: str


def forward(report: Facts, recipients: Sequence[Recipient], *, now: datetime) -> Decision[Status]:
    status = LIFECYCLE.check(report.status, Action.FORWARD)
    event = OpinionForwardedV1(
        **_about(report),
        recipient_kinds=[r.kind for r in recipients],
        recipient_names=[r.name for r in recipients],
        forwarded_at=now,
    )
    return Decision(status, events=(event,), note="、".join(r.name for r in recipients))


def instruct(
    report: Facts, level: AdoptionLevel, leader: str, instructed_on: date, *, now: datetime
) -> Decision[Status]:
    """Rule 27: a leader's written instruction (批示) on an adopted report; the highest level is
    kept, and a rise tells the duty ledger (`cppcc.opinion.adopted.v1` with the instruction)."""
    status = LIFECYCLE.check(report.status, Action.INSTRUCT)
    check_not_future(instructed_on, now)
    assert report.adoption is not None  # an adopted report has its adoption
    highest = higher_level(report.instruction_level, level)
    events: list[EventData] = [
        OpinionInstructedV1(
            **_about(report),
            level=level,
            leader=leader,
            instructed_on=instructed_on,
        )
    ]
    if highest != report.instruction_level:
        events.append(_adopted_event(report, report.adoption, highest, report.adopted_at or now))
    return Decision(status, {"instruction_level": highest}, events=tuple(events), note=leader)


def check_not_future(day: date, now: datetime) -> None:
    """What the office records has happened: its day is not after today in Asia/Shanghai."""
    if day > now.astimezone(SHANGHAI).date():
        raise DateInTheFuture()


def feedback(report: Facts, source: str, received_on: date, *, now: datetime) -> Decision[Status]:
    status = LIFECYCLE.check(report.status, Action.FEEDBACK)
    check_not_future(received_on, now)
    event = OpinionFeedbackRecordedV1(
        **_about(report),
        source=source,
        received_on=received_on,
    )
    return Decision(status, events=(event,), note=source)
