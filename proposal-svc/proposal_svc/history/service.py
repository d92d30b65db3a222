"""A proposal's timeline (办理进度) and audit trail, read from the history rows of its one transition
and the rows of its units' steps (handling, evaluation). Reads only."""

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from proposal_svc.handling.models import Assignment
from proposal_svc.history import domain, repository
from proposal_svc.history.domain import AuditEntry, Item, unit_item
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals.domain import OFFICE_NAME, shown_actor
from proposal_svc.proposals.errors import ProposalNotFound


async def _readable(session: AsyncSession, principal: Principal, proposal_id: UUID) -> None:
    if not await proposals.readable_exists(session, principal, proposal_id):
        raise ProposalNotFound()


async def timeline(session: AsyncSession, principal: Principal, proposal_id: UUID) -> list[Item]:
    """Every step of a proposal the principal may read, oldest first, in the app's words: the
    office sees who took each step and every reason; a proposer or leader sees the office's steps
    as the committee's and the units' steps by unit; a unit sees its own part (rules 11, 28)."""
    await _readable(session, principal, proposal_id)
    office = proposals.acts_as_office(principal)
    proposer_ids = frozenset(await proposals.confirmed_proposers(session, proposal_id))
    items: list[Item] = []
    for row in await proposals.history_of(session, proposal_id):
        actor_id, actor_name = shown_actor(
            row.action, row.actor_id, viewer_is_office=office, proposer_ids=proposer_ids
        )
        label = domain.step_label(row.action, row.reason)
        items.append(
            Item(
                row.action,
                label,
                row.at,
                row.id,
                row.from_status,
                row.to_status,
                row.reason,
                None,
                actor_id,
                actor_name,
            )
        )
    items += await _unit_steps(session, proposal_id, office=office)
    return domain.for_viewer(items, office=office, unit=proposals.acts_for_unit(principal))


async def _unit_steps(session: AsyncSession, proposal_id: UUID, *, office: bool) -> list[Item]:
    """The steps of each unit's part and the proposers' ratings (the actors of units' steps are
    named to the office only)."""
    parts = await repository.assignments(session, proposal_id)
    replies = await repository.replies(session, proposal_id)
    names = await repository.unit_names(session, [a.unit_id for a in parts])
    policy = await proposals.policy_for(session, parts[0].org_id) if parts else None
    by_id = {a.id: a for a in parts}
    reply_units = {r.id: by_id[r.assignment_id] for r in replies if r.assignment_id in by_id}

    def item(
        action: str,
        what: str,
        a: Assignment,
        at: datetime,
        seq: UUID,
        *,
        note: str | None = None,
        office_note: str | None = None,
        actor: UUID | None = None,
        actor_name: str | None = None,
    ) -> Item:
        name = names.get(a.unit_id, "")
        return Item(
            action,
            unit_item(what, name, a.role),
            at,
            seq,
            note=note,
            office_note=office_note,
            actor_id=actor if office else None,
            actor_name=actor_name,
            unit_id=a.unit_id,
            unit_name=name,
        )

    items = []
    for a in parts:
        if a.accepted_at:
            items.append(item("unit_accept", "已接收", a, a.accepted_at, a.id))
        if a.reassignment_requested_at:
            items.append(
                item(
                    "unit_reassignment_request",
                    "申请调整承办单位",
                    a,
                    a.reassignment_requested_at,
                    a.id,
                    office_note=a.reassignment_reason,
                )
            )
        if a.reassigned_to_id and a.reassigned_to_id in by_id:
            new = by_id[a.reassigned_to_id]
            what = f"改由{names.get(new.unit_id, '')}办理"
            items.append(item("unit_reassigned", what, a, new.assigned_at, new.id, actor=new.assigned_by))
        if a.views_sent_at:
            items.append(item("unit_views", "已提出会办意见", a, a.views_sent_at, a.id, office_note=a.views))
        if a.countersigned_at:
            items.append(item("unit_countersign", "已会签", a, a.countersigned_at, a.id))
    for c in await repository.communications(session, proposal_id):
        if (part := by_id.get(c.assignment_id)) is not None:
            kind = domain.KIND_LABELS.get(c.kind, c.kind)
            what = f"与提案人沟通（{kind}，{c.communicated_on.isoformat()}）"
            items.append(
                item("unit_communicate", what, part, c.recorded_at, c.id, note=c.summary, actor=c.recorded_by)
            )
    classes = policy.reply_classes if policy else {}
    for r in replies:
        if (part := by_id.get(r.assignment_id)) is not None:
            what = f"答复（{r.result_class} {classes.get(r.result_class, '')}）".replace(" ）", "）")
            items.append(item("unit_reply", what, part, r.replied_at, r.id, actor=r.replied_by))
    for x in await repository.extensions(session, proposal_id):
        if (part := by_id.get(x.assignment_id)) is not None:
            what = f"答复期限延至{x.to_due_on.isoformat()}"
            note = f"{x.reason}（批准：{x.approved_by}，{x.approved_on.isoformat()}）"
            items.append(
                item(
                    "reply_due_extended",
                    what,
                    part,
                    x.recorded_at,
                    x.id,
                    office_note=note,
                    actor=x.recorded_by,
                )
            )
    for k in await repository.corrections(session, list(reply_units)):
        part = reply_units[k.reply_id]
        what = f"的答复类别由{k.from_class}更正为{k.to_class}"
        items.append(
            item(
                "reply_class_corrected",
                what,
                part,
                k.at,
                k.id,
                office_note=k.reason,
                actor=k.actor_id,
                actor_name=None if office else OFFICE_NAME,
            )
        )
    for e in await repository.evaluations(session, proposal_id):
        if (part := by_id.get(e.assignment_id)) is not None:
            rating = policy.evaluations.get(e.rating, e.rating) if policy else e.rating
            it = item("evaluation", f"的答复获评价：{rating}", part, e.evaluated_at, e.id, note=e.comment)
            items.append(replace(it, actor_id=e.person_id))  # a proposer's own step, named to its readers
    for p in await repository.completion_reports(session, proposal_id):
        if (part := by_id.get(p.assignment_id)) is not None:
            items.append(
                item(
                    "completion_report",
                    "已提交办结报告",
                    part,
                    p.reported_at,
                    p.id,
                    note=p.report,
                    actor=p.reported_by,
                )
            )
    return items


async def audit(session: AsyncSession, principal: Principal, proposal_id: UUID) -> list[AuditEntry]:
    """The office's audit trail: every step with its actor, time, reason and the values it corrected
    (history rows with before/after; class corrections, extensions and reassignments from their
    own audit rows)."""
    await _readable(session, principal, proposal_id)
    entries = [
        AuditEntry(r.action, r.at, r.id, r.actor_id, r.reason, r.before, r.after, r.from_status, r.to_status)
        for r in await proposals.history_of(session, proposal_id)
    ]
    parts = await repository.assignments(session, proposal_id)
    by_id = {a.id: a for a in parts}
    for a in parts:
        if a.reassigned_to_id and (new := by_id.get(a.reassigned_to_id)) is not None:
            entries.append(
                AuditEntry(
                    "reassign",
                    new.assigned_at,
                    new.id,
                    new.assigned_by,
                    a.reassignment_reason,
                    {"unit_id": str(a.unit_id)},
                    {"unit_id": str(new.unit_id)},
                    unit_id=a.unit_id,
                )
            )
    for x in await repository.extensions(session, proposal_id):
        after = {
            "reply_due_on": x.to_due_on.isoformat(),
            "approved_by": x.approved_by,
            "approved_on": x.approved_on.isoformat(),
        }
        unit = by_id[x.assignment_id].unit_id if x.assignment_id in by_id else None
        entries.append(
            AuditEntry(
                "reply_due_extended",
                x.recorded_at,
                x.id,
                x.recorded_by,
                x.reason,
                {"reply_due_on": x.from_due_on.isoformat()},
                after,
                unit_id=unit,
            )
        )
    replies = {r.id: r for r in await repository.replies(session, proposal_id)}
    for k in await repository.corrections(session, list(replies)):
        entries.append(
            AuditEntry(
                "reply_class_corrected",
                k.at,
                k.id,
                k.actor_id,
                k.reason,
                {"result_class": k.from_class, "reply_id": str(k.reply_id)},
                {"result_class": k.to_class, "reply_id": str(k.reply_id)},
                unit_id=replies[k.reply_id].unit_id,
            )
        )
    return domain.audit_order(entries)
