"""Plan use cases on the one write path (cppcc_common.change). Never commits (the request does).

Every step of a plan version goes through `_transition`: the plan locked and read through
`readable(principal)` (404), who may act (403), `PLAN_LIFECYCLE` (409), the version (412), the
domain action's Decision, the row's changes, the history row, the version bump, the events.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from consultation_svc.plans import domain, repository
from consultation_svc.plans.domain import (
    PLAN_LIFECYCLE,
    EntryValues,
    Group,
    Participants,
    PlanAction,
    PlanFacts,
    PlanStatus,
)
from consultation_svc.plans.errors import (
    EntryNotFound,
    NotCurrentVersion,
    PlanExists,
    PlanNotFound,
    PlanVersionMismatch,
    RevisionOpen,
    entry_invalid,
)
from consultation_svc.plans.models import Plan, PlanEntry, PlanHistory
from consultation_svc.plans.policy import PlanPolicy
from consultation_svc.plans.schemas import PlanCreate, PlanEntryBody, PlanParticipantsBody, PlanPatch
from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, encode_cursor, page_of
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version

Decide = Callable[[Plan], Awaitable[Decision[PlanStatus]]]


def facts_of(plan: Plan) -> PlanFacts:
    return PlanFacts(
        id=plan.id,
        org_id=plan.org_id,
        year=plan.year,
        version_no=plan.version_no,
        status=PlanStatus(plan.status),
        title=plan.title,
        submitted_by=plan.submitted_by,
        previous_id=plan.previous_id,
        change_note=plan.change_note,
    )


def caller_of(principal: Principal) -> domain.Caller:
    return domain.Caller(principal.sub, principal.roles, principal.scopes)


async def _transition(
    change: Change,
    plan_id: UUID,
    action: PlanAction,
    expected: IfMatch | None,
    decide: Decide,
    *,
    may_act: Callable[[Plan], None] | None = None,
) -> Plan:
    """The one transition function of the plan machine (docs/conventions.md, steps 1–9)."""
    plan = await repository.lock_readable(change.session, change.person, plan_id)
    if plan is None:
        raise PlanNotFound()
    if may_act is not None:
        may_act(plan)
    PLAN_LIFECYCLE.check(PlanStatus(plan.status), action)
    check_version(plan.version, expected, error=PlanVersionMismatch)
    decision = await decide(plan)
    for name, value in decision.changes.items():
        setattr(plan, name, value)
    before = plan.status
    plan.status = str(decision.status)
    change.session.add(
        PlanHistory(
            id=new_id(),
            plan_id=plan.id,
            action=str(action),
            from_status=before,
            to_status=plan.status,
            actor_id=change.actor,
            note=decision.note,
            at=change.now,
            after=dict(decision.after) or None,
        )
    )
    plan.version += 1
    plan.updated_at = change.now
    await change.session.flush()
    for event in decision.events:
        await change.emit(event, subject=plan.id, orgid=plan.org_id)
    return plan


async def _year_lock(session: AsyncSession, org_id: UUID, year: int) -> None:
    """Serializes the creation and revision of one organization's plan for one year."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"plan:{org_id}:{year}"}
    )


def values_of(body: PlanEntryBody) -> EntryValues:
    return EntryValues(
        topic=body.topic,
        form=body.form,
        planned_month=body.planned_month,
        planned_on=body.planned_on,
        participants=participants_of(body.participants),
        lead_unit_id=body.lead_unit_id,
        lead_department=body.lead_department,
        description=body.description,
    )


def participants_of(body: PlanParticipantsBody) -> Participants:
    return Participants(
        scope=body.scope,
        groups=tuple(Group(name=g.name, id=g.id) for g in body.groups),
        member_ids=tuple(body.member_ids),
        note=body.note,
    )


def stored_values(entry: PlanEntry) -> EntryValues:
    p = entry.participants
    return EntryValues(
        topic=entry.topic,
        form=entry.form,
        planned_month=entry.planned_month,
        planned_on=entry.planned_on,
        participants=Participants(
            scope=domain.PlanParticipantScope(p["scope"]),
            groups=tuple(
                Group(name=g["name"], id=UUID(g["id"]) if g.get("id") else None) for g in p["groups"]
            ),
            member_ids=tuple(UUID(m) for m in p["member_ids"]),
            note=p.get("note"),
        ),
        lead_unit_id=entry.lead_unit_id,
        lead_department=entry.lead_department,
        description=entry.description,
    )


def _participants_json(p: Participants) -> dict[str, Any]:
    return {
        "scope": str(p.scope),
        "groups": [{"id": str(g.id) if g.id else None, "name": g.name} for g in p.groups],
        "member_ids": [str(m) for m in p.member_ids],
        "note": p.note,
    }


def _apply(entry: PlanEntry, values: EntryValues) -> None:
    entry.topic = values.topic
    entry.description = values.description
    entry.form = values.form
    entry.planned_month = domain.month_of(values)
    entry.planned_on = values.planned_on
    entry.participants = _participants_json(values.participants)
    entry.lead_unit_id = values.lead_unit_id
    entry.lead_department = values.lead_department


def _checked(values: EntryValues, year: int) -> EntryValues:
    problems = domain.entry_problems(values, year)
    if problems:
        raise entry_invalid(problems)
    return values


# --- Use cases ---------------------------------------------------------------------------------


async def create(change: Change, body: PlanCreate) -> Plan:
    """The year's first plan, a draft (one per organization and year: a published plan changes by
    revision, 409 `plan.exists`)."""
    org_id = change.person.org
    await _year_lock(change.session, org_id, body.year)
    if await repository.versions_of_year(change.session, org_id, body.year):
        raise PlanExists(year=body.year)
    plan = Plan(
        id=new_id(),
        org_id=org_id,
        year=body.year,
        version_no=await repository.last_version_no(change.session, org_id, body.year) + 1,
        status=str(PlanStatus.DRAFT),
        title=body.title,
        notes=body.notes,
        created_by=change.actor,
        created_at=change.now,
        updated_at=change.now,
        version=1,
    )
    change.session.add(plan)
    change.session.add(
        PlanHistory(
            id=new_id(),
            plan_id=plan.id,
            action="create",
            from_status=None,
            to_status=plan.status,
            actor_id=change.actor,
            at=change.now,
        )
    )
    await change.session.flush()
    return plan


async def update(change: Change, plan_id: UUID, patch: PlanPatch, expected: IfMatch | None) -> Plan:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        return domain.edit(facts_of(plan), patch.model_dump(exclude_unset=True))

    return await _transition(change, plan_id, PlanAction.EDIT, expected, decide)


async def add_entry(
    change: Change,
    plan_id: UUID,
    values: EntryValues,
    expected: IfMatch | None,
    *,
    topic_id: UUID | None = None,
) -> tuple[Plan, PlanEntry]:
    """A new entry at the end of a draft (also a collected topic accepted into the plan)."""
    added: list[PlanEntry] = []

    async def decide(plan: Plan) -> Decision[PlanStatus]:
        _checked(values, plan.year)
        policy = await repository.policy_for(change.session, plan.org_id)
        domain.check_room(await repository.count_entries(change.session, plan.id), policy)
        entry = PlanEntry(
            id=new_id(),
            plan_id=plan.id,
            entry_key=new_id(),
            position=await repository.next_position(change.session, plan.id),
            topic_id=topic_id,
        )
        _apply(entry, values)
        change.session.add(entry)
        added.append(entry)
        return domain.edit(facts_of(plan), note=f"新增条目：{values.topic}", entry=entry.entry_key)

    plan = await _transition(change, plan_id, PlanAction.EDIT, expected, decide)
    return plan, added[0]


async def replace_entry(
    change: Change, plan_id: UUID, entry_id: UUID, values: EntryValues, expected: IfMatch | None
) -> Plan:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        entry = await repository.entry_of(change.session, plan.id, entry_id)
        if entry is None:
            raise EntryNotFound()
        _apply(entry, _checked(values, plan.year))
        return domain.edit(facts_of(plan), note=f"修改条目：{values.topic}", entry=entry.entry_key)

    return await _transition(change, plan_id, PlanAction.EDIT, expected, decide)


async def remove_entry(change: Change, plan_id: UUID, entry_id: UUID, expected: IfMatch | None) -> Plan:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        entry = await repository.entry_of(change.session, plan.id, entry_id)
        if entry is None:
            raise EntryNotFound()
        await change.session.delete(entry)
        return domain.edit(facts_of(plan), note=f"删除条目：{entry.topic}", entry=entry.entry_key)

    return await _transition(change, plan_id, PlanAction.EDIT, expected, decide)


async def submit(change: Change, plan_id: UUID, expected: IfMatch | None) -> Plan:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        entries = await repository.count_entries(change.session, plan.id)
        return domain.submit(facts_of(plan), entries, change.now, change.actor)

    return await _transition(change, plan_id, PlanAction.SUBMIT, expected, decide)


async def return_(change: Change, plan_id: UUID, reason: str, expected: IfMatch | None) -> Plan:
    """The approver sends a submitted plan back, or the office takes back a submitted or approved
    one before publishing it; a draft again, it is approved again."""
    policy = await _policy_of_visible(change, plan_id)

    def may_act(plan: Plan) -> None:
        domain.check_returner(caller_of(change.person), policy)

    async def decide(plan: Plan) -> Decision[PlanStatus]:
        return domain.return_(facts_of(plan), reason, change.now)

    return await _transition(change, plan_id, PlanAction.RETURN, expected, decide, may_act=may_act)


async def _policy_of_visible(change: Change, plan_id: UUID) -> PlanPolicy:
    plan = await repository.get_readable(change.session, change.person, plan_id)
    if plan is None:
        raise PlanNotFound()
    return await repository.policy_for(change.session, plan.org_id)


async def approve(change: Change, plan_id: UUID, record: str, expected: IfMatch | None) -> Plan:
    policy = await _policy_of_visible(change, plan_id)

    def may_act(plan: Plan) -> None:
        domain.check_approver(caller_of(change.person), facts_of(plan), policy)

    async def decide(plan: Plan) -> Decision[PlanStatus]:
        return domain.approve(facts_of(plan), record, change.now, change.actor)

    return await _transition(change, plan_id, PlanAction.APPROVE, expected, decide, may_act=may_act)


async def publish(change: Change, plan_id: UUID, expected: IfMatch | None) -> Plan:
    """Published to the members and announced (`cppcc.consultation.plan_published.v1`); a
    revision supersedes the version it revises, which stays readable."""

    async def decide(plan: Plan) -> Decision[PlanStatus]:
        policy = await repository.policy_for(change.session, plan.org_id)
        entries = [
            (e.entry_key, stored_values(e)) for e in await repository.entries_of(change.session, plan.id)
        ]
        previous: list[tuple[UUID, EntryValues]] = []
        if plan.previous_id is not None:
            old = await repository.entries_of(change.session, plan.previous_id)
            previous = [(e.entry_key, stored_values(e)) for e in old]
        decision = domain.publish(facts_of(plan), policy, entries, previous, change.now, change.actor)
        if plan.previous_id is not None:
            await _supersede(change, plan.previous_id, plan.id)
        return decision

    return await _transition(change, plan_id, PlanAction.PUBLISH, expected, decide)


async def _supersede(change: Change, plan_id: UUID, by: UUID) -> None:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        return domain.supersede(facts_of(plan), by, change.now)

    await _transition(change, plan_id, PlanAction.SUPERSEDE, None, decide)


async def revise(change: Change, plan_id: UUID, reason: str, expected: IfMatch | None) -> Plan:
    """A change after publication: a new draft version copying the published one's entries (their
    keys kept); the published version stays current until the revision is published."""
    created: list[Plan] = []

    async def decide(plan: Plan) -> Decision[PlanStatus]:
        await _year_lock(change.session, plan.org_id, plan.year)
        versions = await repository.versions_of_year(change.session, plan.org_id, plan.year)
        pending = repository.open_version(versions)
        if pending is not None:
            raise RevisionOpen(version=pending.version_no)
        new = Plan(
            id=new_id(),
            org_id=plan.org_id,
            year=plan.year,
            version_no=await repository.last_version_no(change.session, plan.org_id, plan.year) + 1,
            previous_id=plan.id,
            status=str(PlanStatus.DRAFT),
            title=plan.title,
            notes=plan.notes,
            change_note=reason,
            created_by=change.actor,
            created_at=change.now,
            updated_at=change.now,
            version=1,
        )
        change.session.add(new)
        await change.session.flush()
        for e in await repository.entries_of(change.session, plan.id):
            copy = PlanEntry(
                id=new_id(),
                plan_id=new.id,
                entry_key=e.entry_key,
                position=e.position,
                topic=e.topic,
                description=e.description,
                form=e.form,
                planned_month=e.planned_month,
                planned_on=e.planned_on,
                participants=e.participants,
                lead_unit_id=e.lead_unit_id,
                lead_department=e.lead_department,
                topic_id=e.topic_id,
            )
            change.session.add(copy)
        change.session.add(
            PlanHistory(
                id=new_id(),
                plan_id=new.id,
                action="create",
                from_status=None,
                to_status=new.status,
                actor_id=change.actor,
                note=reason,
                at=change.now,
                after={"revises": str(plan.id)},
            )
        )
        created.append(new)
        decision = domain.revise(facts_of(plan), reason)
        return Decision(decision.status, note=decision.note, after={"revision_id": str(new.id)})

    def current_only(plan: Plan) -> None:
        if plan.status == PlanStatus.SUPERSEDED:
            raise NotCurrentVersion()

    await _transition(change, plan_id, PlanAction.REVISE, expected, decide, may_act=current_only)
    return created[0]


async def discard(change: Change, plan_id: UUID, reason: str, expected: IfMatch | None) -> Plan:
    async def decide(plan: Plan) -> Decision[PlanStatus]:
        return domain.discard(facts_of(plan), reason, change.now)

    return await _transition(change, plan_id, PlanAction.DISCARD, expected, decide)


# --- Reads -------------------------------------------------------------------------------------


async def read(session: AsyncSession, principal: Principal, plan_id: UUID) -> tuple[Plan, list[PlanEntry]]:
    plan = await repository.get_readable(session, principal, plan_id)
    if plan is None:
        raise PlanNotFound()
    return plan, await repository.entries_of(session, plan.id)


async def entries_of(session: AsyncSession, plan_id: UUID) -> list[PlanEntry]:
    return await repository.entries_of(session, plan_id)


async def list_plans(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Plan], str | None]:
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_readable(
        session, principal, year=year, status=status, after=after, limit=limit + 1
    )
    return page_of(rows, limit)


async def history(
    session: AsyncSession, principal: Principal, plan_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[PlanHistory], str | None]:
    plan = await repository.get_readable(session, principal, plan_id)
    if plan is None:
        raise PlanNotFound()
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.history_of(session, plan.id, after=after, limit=limit + 1)
    page = rows[:limit]
    return page, encode_cursor(page[-1].at, page[-1].id) if len(rows) > limit else None


async def policy_of(session: AsyncSession, org_id: UUID) -> PlanPolicy:
    return await repository.policy_for(session, org_id)


async def set_policy(change: Change, policy: PlanPolicy) -> PlanPolicy:
    """Only the values that differ from the defaults are stored, so a later default reaches every
    organization that never set it."""
    defaults = PlanPolicy().model_dump(mode="json")
    values = {k: v for k, v in policy.model_dump(mode="json").items() if v != defaults[k]}
    await repository.save_policy(change.session, change.person.org, values, change.now, change.actor)
    return policy
