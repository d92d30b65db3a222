"""Topic collection (征集协商议题, DOMAIN.md §4) as data plus pure functions: the collection
window, the sources a topic comes from and who may give which, and the topic's lifecycle. No I/O.

Decisions (docs/consultation-plans.md): members propose topics only while the year's window is
open (staff open it with a closing time, may extend, close or reopen it); a member proposes for
themself or on behalf of a sector, party or special committee, naming it. Staff record the topics
the Party committee sets (党委点题), the government's and those of public calls, at any time, and
may record a sector's, party's or committee's received by letter. Every topic keeps its source.
Staff accept a topic into an entry of that year's plan draft, or decline it with a reason; its
proposer may withdraw it until then.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from consultation_svc.plans.policy import PlanPolicy
from consultation_svc.topics.errors import (
    ClosesInThePast,
    NotInSource,
    NotTheProposer,
    SourceIdRequired,
    SourceNameRequired,
    SourceNotAllowed,
    TextTooLong,
    TopicInvalidTransition,
    TopicLimitReached,
    WindowClosed,
    WindowInvalidTransition,
)
from cppcc_common.contracts.consultation import TopicAcceptedV1, TopicDeclinedV1
from cppcc_common.transitions import Decision, TransitionTable


class TopicSourceKind(StrEnum):
    PARTY_COMMITTEE = "party_committee"  # 党委点题
    GOVERNMENT = "government"  # 政府（部门）提出
    MEMBER = "member"  # 委员
    SECTOR = "sector"  # 界别
    PARTY = "party"  # 党派
    COMMITTEE = "committee"  # 专门委员会
    PUBLIC_CALL = "public_call"  # 公开征集


# A member proposes for themself or on behalf of a group they name; staff record the others'.
MEMBER_SOURCES = frozenset(
    {TopicSourceKind.MEMBER, TopicSourceKind.SECTOR, TopicSourceKind.PARTY, TopicSourceKind.COMMITTEE}
)
STAFF_SOURCES = frozenset(TopicSourceKind) - {TopicSourceKind.MEMBER}
NAMED_SOURCES = frozenset({TopicSourceKind.SECTOR, TopicSourceKind.PARTY, TopicSourceKind.COMMITTEE})


class TopicWindowStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class WindowAction(StrEnum):
    EXTEND = "extend"  # a new closing time
    CLOSE = "close"
    REOPEN = "reopen"


WINDOWS: TransitionTable[TopicWindowStatus, WindowAction] = TransitionTable(
    {
        (TopicWindowStatus.OPEN, WindowAction.EXTEND): TopicWindowStatus.OPEN,
        (TopicWindowStatus.OPEN, WindowAction.CLOSE): TopicWindowStatus.CLOSED,
        (TopicWindowStatus.CLOSED, WindowAction.REOPEN): TopicWindowStatus.OPEN,
    },
    error=WindowInvalidTransition,
)


class TopicStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class TopicAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


TOPICS: TransitionTable[TopicStatus, TopicAction] = TransitionTable(
    {
        (TopicStatus.PROPOSED, TopicAction.ACCEPT): TopicStatus.ACCEPTED,
        (TopicStatus.PROPOSED, TopicAction.DECLINE): TopicStatus.DECLINED,
        (TopicStatus.PROPOSED, TopicAction.WITHDRAW): TopicStatus.WITHDRAWN,
    },
    error=TopicInvalidTransition,
)


@dataclass(frozen=True)
class WindowFacts:
    year: int
    status: TopicWindowStatus
    opened_at: datetime
    closes_at: datetime


def accepting(window: WindowFacts | None, now: datetime) -> bool:
    """Open, and `now` before its closing time."""
    return (
        window is not None
        and window.status is TopicWindowStatus.OPEN
        and window.opened_at <= now < window.closes_at
    )


def check_accepting(window: WindowFacts | None, year: int, now: datetime) -> None:
    """DOMAIN.md §4: members propose topics during the collection window (409 outside it, saying
    when it closed or that none was opened)."""
    if accepting(window, now):
        return
    if window is None:
        raise WindowClosed(year=year, when="尚未开启", when_en="has not been opened")
    if window.status is TopicWindowStatus.CLOSED or now >= window.closes_at:
        at = window.closes_at.isoformat(timespec="minutes")
        raise WindowClosed(year=year, when=f"已于{at}截止", when_en=f"closed at {at}")
    raise WindowClosed(year=year, when="尚未开始", when_en="has not started")


def check_closes_at(closes_at: datetime, now: datetime) -> None:
    if closes_at <= now:
        raise ClosesInThePast()


def extend(closes_at: datetime, now: datetime) -> Decision[TopicWindowStatus]:
    check_closes_at(closes_at, now)
    return Decision(TopicWindowStatus.OPEN, changes={"closes_at": closes_at})


def close(now: datetime, actor: UUID | None) -> Decision[TopicWindowStatus]:
    return Decision(TopicWindowStatus.CLOSED, changes={"closed_at": now, "closed_by": actor})


def reopen(closes_at: datetime, now: datetime) -> Decision[TopicWindowStatus]:
    check_closes_at(closes_at, now)
    return Decision(
        TopicWindowStatus.OPEN, changes={"closes_at": closes_at, "closed_at": None, "closed_by": None}
    )


@dataclass(frozen=True)
class Proposal:
    """A topic as submitted: title, description, reason, source."""

    title: str
    description: str
    reason: str | None
    source_kind: TopicSourceKind
    source_name: str | None


def check_proposal(p: Proposal, policy: PlanPolicy, *, by_staff: bool) -> None:
    """The source is one the caller may give, a group source names its group, texts within policy."""
    allowed = STAFF_SOURCES if by_staff else MEMBER_SOURCES
    if p.source_kind not in allowed:
        raise SourceNotAllowed(
            who="工作人员" if by_staff else "委员",
            who_en="Staff" if by_staff else "A member",
            source=str(p.source_kind),
        )
    if p.source_kind in NAMED_SOURCES and not (p.source_name or "").strip():
        raise SourceNameRequired()
    if len(p.title) > policy.topic_title_max_chars:
        raise TextTooLong(field="议题名称 title", max=policy.topic_title_max_chars)
    for name, text in (("description", p.description), ("reason", p.reason or "")):
        if len(text) > policy.topic_text_max_chars:
            raise TextTooLong(field=name, max=policy.topic_text_max_chars)


@dataclass(frozen=True)
class Membership:
    """A current member record of the proposer (the members projection): what they belong to."""

    sector_id: UUID | None
    party: str
    committee_ids: Sequence[UUID]


# Sources a member must name by member-svc's id (a party is named by its name).
SOURCES_BY_ID = frozenset({TopicSourceKind.SECTOR, TopicSourceKind.COMMITTEE})


# How a roster writes a party member (民盟盟员, 九三学社社员): the party is what precedes these.
_MEMBER_SUFFIXES = ("党员", "盟员", "会员", "社员")
# What names no party: member-svc's 无党派 (its directory's PARTIES), and a roster's ways to say it.
_NO_PARTY = frozenset({"", "无", "无党派", "无党派人士", "群众"})
# The eight parties and the CPC by their full names, for a source written out in full (九三学社's
# full name is its name).
_FULL_NAMES = {
    "中共": "中国共产党",
    "民革": "中国国民党革命委员会",
    "民盟": "中国民主同盟",
    "民建": "中国民主建国会",
    "民进": "中国民主促进会",
    "农工党": "中国农工民主党",
    "致公党": "中国致公党",
    "台盟": "台湾民主自治同盟",
}


def party_of(written: str) -> str | None:
    """The party a member record names: as member-svc keeps it (民盟) or as a roster writes a member
    (民盟盟员 → 民盟); None for a member of no party (无党派, 无党派人士, 群众)."""
    text = written.strip()
    for suffix in _MEMBER_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text.removesuffix(suffix)
    return None if text in _NO_PARTY else text


def belongs(party: str, source_name: str) -> bool:
    """The named party is the member's: the party (民盟), its body (民盟市委会) or its full name
    (中国民主同盟示例市委员会)."""
    mine, named = party_of(party), source_name.strip()
    if mine is None:
        return False
    return named.startswith(mine) or named.startswith(_FULL_NAMES.get(mine, mine))


def check_on_behalf(p: Proposal, source_id: UUID | None, memberships: Sequence[Membership]) -> None:
    """A member proposes on behalf of a sector, party or committee only if one of their current
    member records belongs to it (sector and committee by member-svc's id, party by name); 422
    without the id, 403 for a group that is not theirs."""
    if p.source_kind not in NAMED_SOURCES:
        return
    if p.source_kind in SOURCES_BY_ID and source_id is None:
        raise SourceIdRequired()
    name = (p.source_name or "").strip()
    if p.source_kind is TopicSourceKind.SECTOR:
        ok = any(m.sector_id == source_id for m in memberships)
    elif p.source_kind is TopicSourceKind.COMMITTEE:
        ok = any(source_id in m.committee_ids for m in memberships)
    else:
        ok = any(belongs(m.party, name) for m in memberships)
    if not ok:
        raise NotInSource(source=name)


def check_member_quota(already: int, policy: PlanPolicy) -> None:
    if already >= policy.max_topics_per_member:
        raise TopicLimitReached(max=policy.max_topics_per_member)


@dataclass(frozen=True)
class TopicFacts:
    id: UUID
    org_id: UUID
    year: int
    title: str
    source_kind: str
    proposer_id: UUID | None
    status: TopicStatus


def accept(
    topic: TopicFacts, plan_id: UUID, entry_key: UUID, now: datetime, actor: UUID | None
) -> Decision[TopicStatus]:
    """Into an entry of the year's plan: the topic links to it."""
    event = TopicAcceptedV1(
        topic_id=topic.id,
        org_id=topic.org_id,
        year=topic.year,
        title=topic.title,
        source_kind=topic.source_kind,
        proposer_id=topic.proposer_id,
        plan_id=plan_id,
        entry_key=entry_key,
        accepted_at=now,
    )
    changes = {"decided_at": now, "decided_by": actor, "plan_id": plan_id, "entry_key": entry_key}
    return Decision(TopicStatus.ACCEPTED, changes=changes, events=(event,))


def decline(topic: TopicFacts, reason: str, now: datetime, actor: UUID | None) -> Decision[TopicStatus]:
    """With a reason the proposer reads."""
    event = TopicDeclinedV1(
        topic_id=topic.id,
        org_id=topic.org_id,
        year=topic.year,
        title=topic.title,
        source_kind=topic.source_kind,
        proposer_id=topic.proposer_id,
        reason=reason,
        declined_at=now,
    )
    changes = {"decided_at": now, "decided_by": actor, "decline_reason": reason}
    return Decision(TopicStatus.DECLINED, changes=changes, events=(event,), note=reason)


def check_proposer(topic: TopicFacts, caller: UUID) -> None:
    """Only its proposer withdraws a topic (403 for anyone else who sees it)."""
    if topic.proposer_id != caller:
        raise NotTheProposer()


def withdraw(topic: TopicFacts, now: datetime) -> Decision[TopicStatus]:
    """Before a decision; it no longer counts towards the member's limit."""
    return Decision(TopicStatus.WITHDRAWN, changes={"decided_at": now})
