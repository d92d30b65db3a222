"""The annual consultation plan (年度协商计划, DOMAIN.md §4) as data plus pure functions: its
lifecycle, the rules of an entry, who approves, and what a new version changed. No I/O.

Decisions (docs/consultation-plans.md): one plan per organization and year is current. Staff
with the `consultation` scope draft it and submit it; the approver the policy names (a leader for
the chairperson's meeting by default, or the office) approves it with the record of the approval
(the meeting, the Party committee's document); staff publish it to the members. A change after
publication is a new version: `revise` copies the published version into a draft (entries keep
their keys), which goes through approval again (policy `revision_needs_approval`) and, published,
supersedes the old version — which stays readable — and is announced with the entries it changed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from consultation_svc.plans.errors import (
    ApprovalRequired,
    NotAnApprover,
    PlanEmpty,
    PlanInvalidTransition,
    TooManyEntries,
)
from consultation_svc.plans.form_codes import FORM_CODES
from consultation_svc.plans.policy import PlanApprover, PlanPolicy
from cppcc_common.contracts.consultation import PlanPublishedV1
from cppcc_common.transitions import Decision, TransitionTable


class PlanStatus(StrEnum):
    DRAFT = "draft"  # 起草中
    SUBMITTED = "submitted"  # 已报批
    APPROVED = "approved"  # 已审定
    PUBLISHED = "published"  # 已发布（现行版本）
    SUPERSEDED = "superseded"  # 已被新版本取代（仍可查阅）
    DISCARDED = "discarded"  # 已放弃（未发布的草稿）


class PlanAction(StrEnum):
    EDIT = "edit"  # title, notes, entries of a draft
    SUBMIT = "submit"
    RETURN = "return"  # the approver sends it back with a reason
    APPROVE = "approve"
    PUBLISH = "publish"
    REVISE = "revise"  # a published plan gets a new draft version
    SUPERSEDE = "supersede"  # system: the next version was published
    DISCARD = "discard"


S, A = PlanStatus, PlanAction
PLAN_LIFECYCLE: TransitionTable[PlanStatus, PlanAction] = TransitionTable(
    {
        (S.DRAFT, A.EDIT): S.DRAFT,
        (S.DRAFT, A.SUBMIT): S.SUBMITTED,
        (S.DRAFT, A.DISCARD): S.DISCARDED,
        # Only a revision whose policy needs no approval is published from its draft (domain.publish).
        (S.DRAFT, A.PUBLISH): S.PUBLISHED,
        (S.SUBMITTED, A.RETURN): S.DRAFT,
        (S.SUBMITTED, A.APPROVE): S.APPROVED,
        (S.APPROVED, A.RETURN): S.DRAFT,
        (S.APPROVED, A.PUBLISH): S.PUBLISHED,
        (S.PUBLISHED, A.REVISE): S.PUBLISHED,
        (S.PUBLISHED, A.SUPERSEDE): S.SUPERSEDED,
    },
    error=PlanInvalidTransition,
)
# Statuses of a version not yet published: at most one per organization and year.
OPEN_STATUSES = frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED})
# Who reads what (rule 28): members see what was published to them, leaders also what awaits or
# has their approval, staff everything of their organization.
MEMBER_STATUSES = frozenset({S.PUBLISHED, S.SUPERSEDED})
LEADER_STATUSES = frozenset({S.SUBMITTED, S.APPROVED, S.PUBLISHED, S.SUPERSEDED})


class PlanParticipantScope(StrEnum):
    """Who takes part (出席协商活动的人员范围)."""

    ALL = "all"  # 全体委员
    STANDING = "standing"  # 常委
    SECTORS = "sectors"  # 有关界别
    COMMITTEES = "committees"  # 有关专委会
    MEMBERS = "members"  # 指定委员


@dataclass(frozen=True)
class Group:
    """A sector or committee named in a scope: member-svc's id when known, and its name."""

    name: str
    id: UUID | None = None


@dataclass(frozen=True)
class Participants:
    scope: PlanParticipantScope
    groups: tuple[Group, ...] = ()
    member_ids: tuple[UUID, ...] = ()
    note: str | None = None  # also invited: officials, experts, public representatives


@dataclass(frozen=True)
class EntryValues:
    """What an entry says (DOMAIN.md §4; seeds: 协商议题、主要形式和时间安排、人员范围、牵头部门)."""

    topic: str
    form: str
    planned_month: int | None
    planned_on: date | None
    participants: Participants
    lead_unit_id: UUID | None
    lead_department: str | None
    description: str | None = None


def entry_problems(values: EntryValues, year: int) -> list[tuple[str, str]]:
    """Every (field, code) the entry breaks: a known form, a month or a date in the plan's year,
    a scope with the lists it needs and only those, a lead department."""
    problems: list[tuple[str, str]] = []
    if values.form not in FORM_CODES:
        problems.append(("form", "unknown_form"))
    if values.planned_month is None and values.planned_on is None:
        problems.append(("planned_month", "when_required"))
    if values.planned_on is not None:
        if values.planned_on.year != year:
            problems.append(("planned_on", "year_mismatch"))
        elif values.planned_month is not None and values.planned_on.month != values.planned_month:
            problems.append(("planned_on", "month_mismatch"))
    p = values.participants
    grouped = p.scope in (PlanParticipantScope.SECTORS, PlanParticipantScope.COMMITTEES)
    if grouped and not p.groups:
        problems.append(("participants.groups", "groups_required"))
    if p.scope is PlanParticipantScope.MEMBERS and not p.member_ids:
        problems.append(("participants.member_ids", "members_required"))
    if p.groups and not grouped:
        problems.append(("participants.groups", "not_for_scope"))
    if p.member_ids and p.scope is not PlanParticipantScope.MEMBERS:
        problems.append(("participants.member_ids", "not_for_scope"))
    seen: set[Any] = set()
    for n, g in enumerate(p.groups):
        key = g.id or g.name.strip()
        if key in seen:
            problems.append((f"participants.groups.{n}", "duplicate"))
        seen.add(key)
    if len(set(p.member_ids)) != len(p.member_ids):
        problems.append(("participants.member_ids", "duplicate"))
    if values.lead_unit_id is None and not (values.lead_department or "").strip():
        problems.append(("lead_department", "lead_required"))
    return problems


def month_of(values: EntryValues) -> int:
    """The planned month: given, or the planned date's."""
    if values.planned_month is not None:
        return values.planned_month
    assert values.planned_on is not None
    return values.planned_on.month


def check_room(entries: int, policy: PlanPolicy) -> None:
    """One more entry fits within the policy's maximum."""
    if entries >= policy.max_entries:
        raise TooManyEntries(max=policy.max_entries)


@dataclass(frozen=True)
class PlanFacts:
    """The plan's values a rule reads."""

    id: UUID
    org_id: UUID
    year: int
    version_no: int
    status: PlanStatus
    title: str
    submitted_by: UUID | None
    previous_id: UUID | None
    change_note: str | None


@dataclass(frozen=True)
class Caller:
    sub: UUID
    roles: frozenset[str]
    scopes: frozenset[str]


APPROVER_NAMES = {
    PlanApprover.LEADER: ("主席会议成员", "a leader"),
    PlanApprover.OFFICE: ("政协办公室", "the office"),
}


def check_approver(caller: Caller, plan: PlanFacts, policy: PlanPolicy) -> None:
    """The policy's approver, and never whoever submitted the plan (403)."""
    zh, en = APPROVER_NAMES[policy.approver]
    allowed = "leader" in caller.roles if policy.approver is PlanApprover.LEADER else is_office(caller)
    if not allowed or caller.sub == plan.submitted_by:
        raise NotAnApprover(approver=zh, approver_en=en)


def edit(
    plan: PlanFacts,
    changes: dict[str, Any] | None = None,
    *,
    note: str | None = None,
    entry: UUID | None = None,
) -> Decision[PlanStatus]:
    """A draft's title, preamble, revision note or one of its entries changed (the entry by key)."""
    return Decision(
        S.DRAFT, changes=changes or {}, note=note, after={"entry_key": str(entry)} if entry else {}
    )


def is_office(caller: Caller) -> bool:
    return "staff" in caller.roles and "consultation" in caller.scopes


def check_returner(caller: Caller, policy: PlanPolicy) -> None:
    """The policy's approver sends a plan back; the office may take back its own before publishing."""
    if is_office(caller) or (policy.approver is PlanApprover.LEADER and "leader" in caller.roles):
        return
    zh, en = APPROVER_NAMES[policy.approver]
    raise NotAnApprover(approver=zh, approver_en=en)


def submit(plan: PlanFacts, entries: int, now: datetime, actor: UUID | None) -> Decision[PlanStatus]:
    """A draft with at least one entry goes to the approver."""
    if entries == 0:
        raise PlanEmpty()
    return Decision(S.SUBMITTED, changes={"submitted_at": now, "submitted_by": actor})


def return_(plan: PlanFacts, reason: str, now: datetime) -> Decision[PlanStatus]:
    """The approver (or the office, before publishing) sends it back to a draft with a reason."""
    return Decision(
        S.DRAFT,
        changes={"returned_at": now, "return_reason": reason, "approved_at": None, "approved_by": None},
        note=reason,
    )


def approve(plan: PlanFacts, record: str, now: datetime, actor: UUID | None) -> Decision[PlanStatus]:
    """Approved, with the record of the approval (the meeting or the document that settled it)."""
    return Decision(
        S.APPROVED,
        changes={"approved_at": now, "approved_by": actor, "approval_record": record},
        note=record,
    )


@dataclass(frozen=True)
class EntryChanges:
    added: tuple[UUID, ...]
    changed: tuple[UUID, ...]
    removed: tuple[UUID, ...]


def entry_changes(
    previous: Sequence[tuple[UUID, EntryValues]], current: Sequence[tuple[UUID, EntryValues]]
) -> EntryChanges:
    """What a version changed against the one it revises, by the entries' stable keys."""
    before, after = dict(previous), dict(current)
    return EntryChanges(
        added=tuple(k for k, _ in current if k not in before),
        changed=tuple(k for k, v in current if k in before and before[k] != v),
        removed=tuple(k for k, _ in previous if k not in after),
    )


def publish(
    plan: PlanFacts,
    policy: PlanPolicy,
    entries: Sequence[tuple[UUID, EntryValues]],
    previous: Sequence[tuple[UUID, EntryValues]],
    now: datetime,
    actor: UUID | None,
) -> Decision[PlanStatus]:
    """Published to the members and announced, with what changed against the version it revises.

    From a draft only a revision whose policy needs no approval (`revision_needs_approval`)."""
    if plan.status is S.DRAFT and (plan.version_no == 1 or policy.revision_needs_approval):
        raise ApprovalRequired()
    if not entries:
        raise PlanEmpty()
    diff = entry_changes(previous, entries) if plan.previous_id else EntryChanges((), (), ())
    event = PlanPublishedV1(
        plan_id=plan.id,
        org_id=plan.org_id,
        year=plan.year,
        version=plan.version_no,
        title=plan.title,
        previous_plan_id=plan.previous_id,
        entries_count=len(entries),
        added_entry_keys=list(diff.added),
        changed_entry_keys=list(diff.changed),
        removed_entry_keys=list(diff.removed),
        change_note=plan.change_note,
        published_at=now,
    )
    note = None
    if plan.previous_id:
        note = f"新增{len(diff.added)}项，修改{len(diff.changed)}项，删除{len(diff.removed)}项"
    return Decision(
        S.PUBLISHED, changes={"published_at": now, "published_by": actor}, events=(event,), note=note
    )


def revise(plan: PlanFacts, reason: str) -> Decision[PlanStatus]:
    """The published version stays current (and readable) until its revision is published."""
    return Decision(S.PUBLISHED, note=reason, after={"revision_reason": reason})


def supersede(plan: PlanFacts, by: UUID, now: datetime) -> Decision[PlanStatus]:
    return Decision(
        S.SUPERSEDED, changes={"superseded_at": now, "superseded_by": by}, after={"superseded_by": str(by)}
    )


def discard(plan: PlanFacts, reason: str, now: datetime) -> Decision[PlanStatus]:
    return Decision(S.DISCARDED, changes={"discarded_at": now}, note=reason)
