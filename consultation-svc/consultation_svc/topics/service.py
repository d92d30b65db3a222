"""Topic collection use cases on the one write path (cppcc_common.change). Never commits.

Two machines, each with its one transition function: the collection window (`_window_step`) and
the topic (`_topic_step`): locked through `readable(principal)` (404), who may act (403), the
table (409), the version (412), the domain action's Decision, history, version bump, events.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.members import repository as members
from consultation_svc.plans import repository as plans
from consultation_svc.plans import service as plan_service
from consultation_svc.plans.domain import EntryValues
from consultation_svc.plans.errors import PlanNotFound
from consultation_svc.topics import domain, repository
from consultation_svc.topics.domain import (
    TOPICS,
    WINDOWS,
    TopicAction,
    TopicFacts,
    TopicSourceKind,
    TopicStatus,
    TopicWindowStatus,
    WindowAction,
    WindowFacts,
)
from consultation_svc.topics.errors import (
    PlanYearMismatch,
    TopicNotFound,
    TopicVersionMismatch,
    WindowExists,
    WindowNotFound,
    WindowVersionMismatch,
)
from consultation_svc.topics.models import Topic, TopicHistory, TopicWindow
from consultation_svc.topics.schemas import TopicAcceptBody, TopicBody, TopicWindowOpen
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.consultation import TopicProposedV1
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, page_of
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays import local_date


def window_facts(w: TopicWindow) -> WindowFacts:
    return WindowFacts(
        year=w.year, status=TopicWindowStatus(w.status), opened_at=w.opened_at, closes_at=w.closes_at
    )


def topic_facts(t: Topic) -> TopicFacts:
    return TopicFacts(
        id=t.id,
        org_id=t.org_id,
        year=t.year,
        title=t.title,
        source_kind=t.source_kind,
        proposer_id=t.proposer_id,
        status=TopicStatus(t.status),
    )


# --- The collection window ---------------------------------------------------------------------


async def open_window(change: Change, body: TopicWindowOpen) -> TopicWindow:
    """Staff open the year's collection window until `closes_at` (one per organization and year;
    a closed one is reopened, 409 `topic.window_exists`)."""
    org_id = change.person.org
    domain.check_closes_at(body.closes_at, change.now)
    await repository.year_lock(change.session, org_id, body.year)
    if await repository.window_for_year(change.session, org_id, body.year) is not None:
        raise WindowExists(year=body.year)
    window = TopicWindow(
        id=new_id(),
        org_id=org_id,
        year=body.year,
        status=str(TopicWindowStatus.OPEN),
        opened_at=change.now,
        closes_at=body.closes_at,
        note=body.note,
        opened_by=change.actor,
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    change.session.add(window)
    await change.session.flush()
    return window


async def _window_step(
    change: Change,
    window_id: UUID,
    action: WindowAction,
    expected: IfMatch | None,
    decide: Callable[[TopicWindow], Decision[TopicWindowStatus]],
) -> TopicWindow:
    window = await repository.lock_window(change.session, change.person, window_id)
    if window is None:
        raise WindowNotFound()
    WINDOWS.check(TopicWindowStatus(window.status), action)
    check_version(window.version, expected, error=WindowVersionMismatch)
    decision = decide(window)
    for name, value in decision.changes.items():
        setattr(window, name, value)
    window.status = str(decision.status)
    if action is WindowAction.REOPEN:
        window.opened_at = change.now
        window.opened_by = change.actor
    window.version += 1
    window.updated_at = change.now
    await change.session.flush()
    return window


async def extend_window(
    change: Change, window_id: UUID, closes_at: datetime, expected: IfMatch | None
) -> TopicWindow:
    return await _window_step(
        change, window_id, WindowAction.EXTEND, expected, lambda w: domain.extend(closes_at, change.now)
    )


async def close_window(change: Change, window_id: UUID, expected: IfMatch | None) -> TopicWindow:
    return await _window_step(
        change, window_id, WindowAction.CLOSE, expected, lambda w: domain.close(change.now, change.actor)
    )


async def reopen_window(
    change: Change, window_id: UUID, closes_at: datetime, expected: IfMatch | None
) -> TopicWindow:
    return await _window_step(
        change, window_id, WindowAction.REOPEN, expected, lambda w: domain.reopen(closes_at, change.now)
    )


async def read_window(session: AsyncSession, principal: Principal, window_id: UUID) -> TopicWindow:
    window = await repository.get_window(session, principal, window_id)
    if window is None:
        raise WindowNotFound()
    return window


async def list_windows(
    session: AsyncSession, principal: Principal, *, year: int | None, cursor: str | None, limit: int
) -> tuple[Sequence[TopicWindow], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_windows(session, principal, year=year, after=after, limit=limit + 1)
    return page_of(rows, limit)


# --- Topics ------------------------------------------------------------------------------------


def _proposal(body: TopicBody) -> domain.Proposal:
    return domain.Proposal(
        title=body.title,
        description=body.description,
        reason=body.reason,
        source_kind=body.source_kind,
        source_name=body.source_name,
    )


async def propose(change: Change, body: TopicBody) -> Topic:
    """A member proposes a topic during the year's collection window (409 outside it), for
    themself or on behalf of a sector, party or committee they name, within the policy's limit."""
    person = change.person
    policy = await plans.policy_for(change.session, person.org)
    domain.check_proposal(_proposal(body), policy, by_staff=False)
    if body.source_kind in domain.NAMED_SOURCES:
        mine = await members.memberships(change.session, person.org, person.sub, local_date(change.now))
        domain.check_on_behalf(_proposal(body), body.source_id, mine)
    window = await repository.window_for_year(change.session, person.org, body.year, lock=True)
    domain.check_accepting(window_facts(window) if window else None, body.year, change.now)
    assert window is not None
    await repository.year_lock(change.session, person.org, body.year)
    already = await repository.count_member_topics(change.session, person.org, body.year, person.sub)
    domain.check_member_quota(already, policy)
    return await _create(change, body, window_id=window.id, proposer_id=person.sub)


async def record(change: Change, body: TopicBody) -> Topic:
    """Staff record a topic from the Party committee, the government or a public call (or a
    group's received by letter), at any time; it keeps its source."""
    policy = await plans.policy_for(change.session, change.person.org)
    domain.check_proposal(_proposal(body), policy, by_staff=True)
    window = await repository.window_for_year(change.session, change.person.org, body.year)
    return await _create(change, body, window_id=window.id if window else None, proposer_id=None)


async def _create(
    change: Change, body: TopicBody, *, window_id: UUID | None, proposer_id: UUID | None
) -> Topic:
    org_id = change.person.org
    topic = Topic(
        id=new_id(),
        org_id=org_id,
        year=body.year,
        window_id=window_id,
        title=body.title,
        description=body.description,
        reason=body.reason,
        source_kind=str(body.source_kind),
        source_name=body.source_name.strip() if body.source_name else None,
        source_id=body.source_id if body.source_kind in domain.SOURCES_BY_ID else None,
        proposer_id=proposer_id,
        recorded_by=change.actor,
        status=str(TopicStatus.PROPOSED),
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    change.session.add(topic)
    change.session.add(
        TopicHistory(
            id=new_id(),
            topic_id=topic.id,
            action="propose" if proposer_id else "record",
            from_status=None,
            to_status=topic.status,
            actor_id=change.actor,
            at=change.now,
        )
    )
    await change.session.flush()
    event = TopicProposedV1(
        topic_id=topic.id,
        org_id=org_id,
        year=topic.year,
        title=topic.title,
        source_kind=topic.source_kind,
        source_name=topic.source_name,
        proposer_id=proposer_id,
        proposed_at=change.now,
    )
    await change.emit(event, subject=topic.id, orgid=org_id)
    return topic


async def _topic_step(
    change: Change,
    topic_id: UUID,
    action: TopicAction,
    expected: IfMatch | None,
    decide: Callable[[Topic], Awaitable[Decision[TopicStatus]]],
    *,
    may_act: Callable[[Topic], None] | None = None,
) -> Topic:
    """The one transition function of the topic machine."""
    topic = await repository.lock_readable(change.session, change.person, topic_id)
    if topic is None:
        raise TopicNotFound()
    if may_act is not None:
        may_act(topic)
    TOPICS.check(TopicStatus(topic.status), action)
    check_version(topic.version, expected, error=TopicVersionMismatch)
    decision = await decide(topic)
    for name, value in decision.changes.items():
        setattr(topic, name, value)
    before = topic.status
    topic.status = str(decision.status)
    change.session.add(
        TopicHistory(
            id=new_id(),
            topic_id=topic.id,
            action=str(action),
            from_status=before,
            to_status=topic.status,
            actor_id=change.actor,
            note=decision.note,
            at=change.now,
        )
    )
    topic.version += 1
    topic.updated_at = change.now
    await change.session.flush()
    for event in decision.events:
        await change.emit(event, subject=topic.id, orgid=topic.org_id)
    return topic


async def accept(change: Change, topic_id: UUID, body: TopicAcceptBody, expected: IfMatch | None) -> Topic:
    """Staff accept a topic into a new entry of the same year's plan draft (the entry links the
    topic); `cppcc.consultation.topic_accepted.v1`."""

    async def decide(topic: Topic) -> Decision[TopicStatus]:
        plan = await plans.get_readable(change.session, change.person, body.plan_id)
        if plan is None:
            raise PlanNotFound()
        if plan.year != topic.year:
            raise PlanYearMismatch(year=topic.year)
        values = EntryValues(
            topic=body.topic or topic.title[:200],
            form=body.form,
            planned_month=body.planned_month,
            planned_on=body.planned_on,
            participants=plan_service.participants_of(body.participants),
            lead_unit_id=body.lead_unit_id,
            lead_department=body.lead_department,
            description=body.description if body.description is not None else topic.description,
        )
        _, entry = await plan_service.add_entry(change, plan.id, values, None, topic_id=topic.id)
        return domain.accept(topic_facts(topic), plan.id, entry.entry_key, change.now, change.actor)

    return await _topic_step(change, topic_id, TopicAction.ACCEPT, expected, decide)


async def decline(change: Change, topic_id: UUID, reason: str, expected: IfMatch | None) -> Topic:
    async def decide(topic: Topic) -> Decision[TopicStatus]:
        return domain.decline(topic_facts(topic), reason, change.now, change.actor)

    return await _topic_step(change, topic_id, TopicAction.DECLINE, expected, decide)


async def withdraw(change: Change, topic_id: UUID, expected: IfMatch | None) -> Topic:
    caller = change.person.sub

    async def decide(topic: Topic) -> Decision[TopicStatus]:
        return domain.withdraw(topic_facts(topic), change.now)

    return await _topic_step(
        change,
        topic_id,
        TopicAction.WITHDRAW,
        expected,
        decide,
        may_act=lambda t: domain.check_proposer(topic_facts(t), caller),
    )


async def read(session: AsyncSession, principal: Principal, topic_id: UUID) -> Topic:
    topic = await repository.get_readable(session, principal, topic_id)
    if topic is None:
        raise TopicNotFound()
    return topic


async def list_topics(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    status: TopicStatus | None,
    source_kind: TopicSourceKind | None,
    mine: bool,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Topic], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_readable(
        session,
        principal,
        year=year,
        status=str(status) if status else None,
        source_kind=str(source_kind) if source_kind else None,
        mine=mine,
        after=after,
        limit=limit + 1,
    )
    return page_of(rows, limit)
