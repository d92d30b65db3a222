"""Handling use cases on the one write path (cppcc_common.change). Never commits (the request does).

Every step on an assignment: lock the proposal through `readable(principal)` (404) → lock its
assignments; a unit sees only its own (404) → who may act (403) → `ASSIGNMENTS.check` (409) →
`check_version` of the assignment (412) → the rules → the assignment's new status and version → its
event. A step
that moves the proposal (assign; the first acceptance; the last required reply) goes through the
proposals context's one transition (`proposals.service.handle`), which writes the proposal's
history and version and emits the event.
"""

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.proposal import (
    AssignedUnit,
    DeadlineFacts,
    ProposalAcceptedV1,
    ProposalAssignedV1,
    ProposalCohandlerViewsOverdueV1,
    ProposalCohandlerViewsSentV1,
    ProposalCommunicationRecordedV1,
    ProposalCountersignedV1,
    ProposalDueSoonV1,
    ProposalFeedbackOverdueV1,
    ProposalHandledV1,
    ProposalReassignedV1,
    ProposalReassignmentRefusedV1,
    ProposalReassignmentRequestedV1,
    ProposalReplyClassCorrectedV1,
    ProposalReplyDueExtendedV1,
)
from cppcc_common.errors import Forbidden
from cppcc_common.events import EventData
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, encode_cursor
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from proposal_svc.evaluation import service as evaluation
from proposal_svc.handling import domain, repository
from proposal_svc.handling.domain import ASSIGNMENTS, AssignmentAction, AssignmentStatus, ReplyFacts, Role
from proposal_svc.handling.errors import (
    AssignmentNotFound,
    AssignmentVersionMismatch,
    ReassignToSameUnit,
    ReplyNotFound,
    ReplyVersionMismatch,
)
from proposal_svc.handling.models import (
    Assignment,
    Communication,
    DeadlineNotice,
    Reply,
    ReplyClassCorrection,
    ReplyExtension,
    ReplyLetter,
)
from proposal_svc.handling.schemas import AssignRequest, CommunicationRequest, ExtensionRequest, ReplyRequest
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals import service as proposal_service
from proposal_svc.proposals.domain import Action, Facts, Kind, Status, confirmed_cosigner_ids
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.models import Proposal
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.publication import service as publication

A = AssignmentAction


def _assigned_unit(row: Assignment) -> AssignedUnit:
    return AssignedUnit(
        assignment_id=row.id,
        unit_id=row.unit_id,
        role=Role(row.role),
        reply_due_on=row.reply_due_on,
        views_due_on=row.views_due_on,
    )


def _new_assignment(
    change: Change, facts: Facts, unit_id: UUID, role: Role, policy: ProposalPolicy
) -> Assignment:
    """An assignment made now: a lead or split unit's reply due date, a co-handler's views due date."""
    replies = role != Role.COHANDLER
    due = domain.reply_due_on(change.now, session_proposal=facts.kind == Kind.SESSION, policy=policy)
    return Assignment(
        id=new_id(),
        proposal_id=facts.id,
        org_id=facts.org_id,
        unit_id=unit_id,
        role=role,
        status=AssignmentStatus.ASSIGNED,
        assigned_at=change.now,
        assigned_by=change.actor,
        reply_due_on=due if replies else None,
        views_due_on=None if replies else domain.views_due_on(change.now, policy),
        updated_at=change.now,
        version=1,
    )


async def assign(
    change: Change, proposal_id: UUID, body: AssignRequest, expected: IfMatch | None
) -> tuple[Proposal, list[Assignment]]:
    """Assigns (交办) a filed proposal (rule 9): the units' rows with their due dates, the proposal
    `assigned`, `proposal.assigned` — on the proposal's one transition. Answers the proposal and
    the rows written (a filed proposal has no other assignment)."""
    made: list[Assignment] = []

    async def decide(facts: Facts) -> Decision[Status]:
        session = change.session
        policy = await proposals.policy_for(session, facts.org_id)
        named = [u for u in (body.lead_unit_id, *body.cohandler_unit_ids, *body.split_unit_ids) if u]
        known = await repository.units_of(session, facts.org_id, named)
        plan = domain.plan(
            lead=body.lead_unit_id,
            cohandlers=body.cohandler_unit_ids,
            split=body.split_unit_ids,
            known_units=known,
        )
        rows = [_new_assignment(change, facts, unit, role, policy) for unit, role in plan]
        session.add_all(rows)
        made.extend(rows)
        for row in rows:
            await repository.arm_deadlines(change, row, policy)
        event = ProposalAssignedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            title=facts.content.title,
            first_proposer_id=facts.first_proposer_id,
            cosigner_ids=confirmed_cosigner_ids(facts.proposers),
            units=[_assigned_unit(r) for r in rows],
            reply_due_on=min(r.reply_due_on for r in rows if r.reply_due_on),
            is_key=facts.is_key,
            assigned_at=change.now,
        )
        note = ", ".join(f"{role}:{unit}" for unit, role in plan)
        return Decision(Status.ASSIGNED, {}, (event,), note=note)

    proposal = await proposal_service.handle(change, proposal_id, Action.ASSIGN, expected, decide)
    return proposal, made


async def _locate(
    change: Change,
    proposal_id: UUID,
    assignment_id: UUID,
    action: AssignmentAction,
    expected: IfMatch | None = None,
) -> tuple[Facts, Assignment, list[Assignment]]:
    """The proposal (locked, visible), the assignment the caller may act on (at the expected version)
    and every assignment of the proposal (locked), after who-may-act (403) and the table (409)."""
    facts = await proposal_service.lock_readable(change, proposal_id)
    rows = await repository.assignments_of(change.session, proposal_id, lock=True)
    principal = change.person
    assignment = next((a for a in rows if a.id == assignment_id), None)
    if assignment is None or not repository.sees_assignment(principal, assignment):
        raise AssignmentNotFound()
    own_unit = proposals.acts_for_unit(principal) == assignment.unit_id
    office = proposals.acts_as_office(principal)
    if not domain.may_act(action, Role(assignment.role), office=office, own_unit=own_unit):
        raise Forbidden()
    ASSIGNMENTS.check(AssignmentStatus(assignment.status), action)
    check_version(assignment.version, expected, error=AssignmentVersionMismatch)
    return facts, assignment, rows


async def _emit(change: Change, facts: Facts, event: EventData) -> None:
    await change.emit(event, subject=facts.id, orgid=facts.org_id)


async def request_reassignment(
    change: Change, proposal_id: UUID, assignment_id: UUID, reason: str, expected: IfMatch | None = None
) -> Assignment:
    """Rule 10: the unit asks, with a reason, within the window after its assignment; staff decide."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.REQUEST_REASSIGNMENT, expected)
    reason = domain.required(reason, "reason")
    policy = await proposals.policy_for(change.session, facts.org_id)
    domain.check_reassignment_window(assignment.assigned_at, change.now, policy)
    assignment.reassignment_reason = reason
    assignment.reassignment_requested_at = change.now
    repository.step(change, assignment, A.REQUEST_REASSIGNMENT)
    await _emit(
        change,
        facts,
        ProposalReassignmentRequestedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            reason=reason,
            requested_at=change.now,
        ),
    )
    return assignment


async def reassign(
    change: Change, proposal_id: UUID, assignment_id: UUID, unit_id: UUID, expected: IfMatch | None = None
) -> Assignment:
    """Rule 10: the office moves the part to another unit of the organization; the old assignment is
    closed, the new one starts its own due date now. Answers the new assignment."""
    facts, assignment, rows = await _locate(change, proposal_id, assignment_id, A.REASSIGN, expected)
    held = {a.unit_id for a in repository.open_assignments(rows)}
    if unit_id in held or not await repository.units_of(change.session, facts.org_id, [unit_id]):
        raise ReassignToSameUnit()
    policy = await proposals.policy_for(change.session, facts.org_id)
    repository.step(change, assignment, A.REASSIGN)
    new = _new_assignment(change, facts, unit_id, Role(assignment.role), policy)
    assignment.reassigned_to_id = new.id
    change.session.add(new)
    await repository.arm_deadlines(change, new, policy)
    await _emit(
        change,
        facts,
        ProposalReassignedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            first_proposer_id=facts.first_proposer_id,
            cosigner_ids=confirmed_cosigner_ids(facts.proposers),
            previous_assignment_id=assignment.id,
            previous_unit_id=assignment.unit_id,
            unit=_assigned_unit(new),
            is_key=facts.is_key,
            reassigned_at=change.now,
        ),
    )
    return new


async def refuse_reassignment(
    change: Change, proposal_id: UUID, assignment_id: UUID, note: str | None, expected: IfMatch | None = None
) -> Assignment:
    """The office refuses a unit's request: the unit keeps its part and its due date."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.REFUSE_REASSIGNMENT, expected)
    repository.step(change, assignment, A.REFUSE_REASSIGNMENT)
    await _emit(
        change,
        facts,
        ProposalReassignmentRefusedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            note=note,
            refused_at=change.now,
        ),
    )
    return assignment


async def accept(
    change: Change, proposal_id: UUID, assignment_id: UUID, expected: IfMatch | None
) -> Assignment:
    """The lead unit, or a split unit, accepts; the first acceptance puts the proposal in `handling`."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.ACCEPT, expected)
    assignment.accepted_at = change.now
    repository.step(change, assignment, A.ACCEPT)
    event = ProposalAcceptedV1(
        proposal_id=facts.id,
        org_id=facts.org_id,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        role=Role(assignment.role),
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(facts.proposers),
        accepted_at=change.now,
    )
    if facts.status == Status.ASSIGNED:

        async def decide(_: Facts) -> Decision[Status]:
            return Decision(Status.HANDLING, {}, (event,), note=str(assignment.unit_id))

        await proposal_service.handle(change, proposal_id, Action.ACCEPT, None, decide)
    else:
        await _emit(change, facts, event)
    return assignment


async def send_views(
    change: Change, proposal_id: UUID, assignment_id: UUID, views: str, expected: IfMatch | None = None
) -> Assignment:
    """Rule 11: a co-handler sends its views to the lead unit (it never replies to the proposer)."""
    facts, assignment, rows = await _locate(change, proposal_id, assignment_id, A.SEND_VIEWS, expected)
    assignment.views = domain.required(views, "views")
    assignment.views_sent_at = change.now
    repository.step(change, assignment, A.SEND_VIEWS)
    lead = next((a.unit_id for a in repository.open_assignments(rows) if a.role == Role.LEAD), None)
    await _emit(
        change,
        facts,
        ProposalCohandlerViewsSentV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            lead_unit_id=lead,
            sent_at=change.now,
        ),
    )
    return assignment


async def countersign(
    change: Change, proposal_id: UUID, assignment_id: UUID, expected: IfMatch | None = None
) -> Assignment:
    """Rule 14: a co-handler countersigns (会签), after sending its views; the lead replies after all have."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.COUNTERSIGN, expected)
    assignment.countersigned_at = change.now
    repository.step(change, assignment, A.COUNTERSIGN)
    await _emit(
        change,
        facts,
        ProposalCountersignedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            countersigned_at=change.now,
        ),
    )
    return assignment


async def record_communication(
    change: Change,
    proposal_id: UUID,
    assignment_id: UUID,
    body: CommunicationRequest,
    expected: IfMatch | None = None,
) -> Communication:
    """Rule 13: the unit records a contact with the proposer (on a day not after today)."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.COMMUNICATE, expected)
    domain.check_communication_date(body.communicated_on, change.now)
    row = Communication(
        id=new_id(),
        proposal_id=facts.id,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        kind=body.kind,
        communicated_on=body.communicated_on,
        summary=domain.required(body.summary, "summary"),
        recorded_by=change.actor,
        recorded_at=change.now,
    )
    change.session.add(row)
    repository.step(change, assignment, A.COMMUNICATE)
    await _emit(
        change,
        facts,
        ProposalCommunicationRecordedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            communication_id=row.id,
            kind=body.kind,
            communicated_on=body.communicated_on,
            first_proposer_id=facts.first_proposer_id,
            recorded_at=change.now,
        ),
    )
    return row


async def reply(
    change: Change, proposal_id: UUID, assignment_id: UUID, body: ReplyRequest, expected: IfMatch | None
) -> tuple[Reply, list[ReplyLetter]]:
    """Rule 15 after rules 13 and 14: the lead or a split unit replies, with a letter for each
    proposal merged in (rule 8); when every required reply is in, the proposal is `replied` (its one
    transition). `proposal.handled` names the reply. Answers the reply and its merged letters."""
    facts, assignment, rows = await _locate(change, proposal_id, assignment_id, A.REPLY, expected)
    policy = await proposals.policy_for(change.session, facts.org_id)
    open_rows = repository.open_assignments(rows)
    cohandlers = [a for a in open_rows if a.role == Role.COHANDLER] if assignment.role == Role.LEAD else []
    checked = ReplyFacts(
        role=Role(assignment.role),
        is_key=facts.is_key,
        communications=await repository.communication_kinds(change.session, assignment.id),
        cohandler_statuses=tuple(AssignmentStatus(a.status) for a in cohandlers),
    )
    domain.check_reply(checked, body.result_class, policy)
    letters = domain.check_merged_letters(
        domain.merged_sources([p.merged_from_id for p in facts.proposers]),
        [(m.merged_proposal_id, m.letter) for m in body.merged_letters],
    )
    row = Reply(
        id=new_id(),
        proposal_id=facts.id,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        letter=domain.required(body.letter, "letter"),
        signed_by=domain.required(body.signed_by, "signed_by"),
        result_class=body.result_class,
        replied_by=change.actor,
        replied_at=change.now,
        version=1,
    )
    change.session.add(row)
    await change.session.flush()  # the letters refer to the reply
    merged = [ReplyLetter(reply_id=row.id, merged_proposal_id=m, letter=text) for m, text in letters.items()]
    change.session.add_all(merged)
    await evaluation.open_window(change, row, policy)  # rule 16: the proposers rate it within the window
    assignment.replied_at = change.now
    repository.step(change, assignment, A.REPLY)
    completed = domain.replies_complete([(Role(a.role), AssignmentStatus(a.status)) for a in open_rows])
    event = ProposalHandledV1(
        proposal_id=facts.id,
        org_id=facts.org_id,
        title=facts.content.title,
        reply_id=row.id,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        role=Role(assignment.role),
        result_class=row.result_class,
        signed_by=row.signed_by,
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(facts.proposers),
        is_key=facts.is_key,
        completed=completed,
        replied_at=change.now,
    )
    if completed:

        async def decide(_: Facts) -> Decision[Status]:
            return Decision(Status.REPLIED, {}, (event,), note=row.result_class)

        await proposal_service.handle(change, proposal_id, Action.REPLY, None, decide)
        await publication.open_window(change, facts.id, facts.org_id, policy)  # rule 20: from this reply
    else:
        await _emit(change, facts, event)
    return row, merged


async def correct_class(
    change: Change,
    proposal_id: UUID,
    reply_id: UUID,
    result_class: str,
    reason: str,
    expected: IfMatch | None,
) -> Reply:
    """Rule 15: the office corrects a reply's class; the audit row keeps before, after, who and why."""
    facts = await proposal_service.lock_readable(change, proposal_id)
    row = await repository.reply_for_update(change.session, proposal_id, reply_id)
    if row is None:
        raise ReplyNotFound()
    if not proposals.acts_as_office(change.person):
        raise Forbidden()
    assignment = await change.session.get(Assignment, row.assignment_id)
    assert assignment is not None  # (a reply's foreign key)
    ASSIGNMENTS.check(AssignmentStatus(assignment.status), A.CORRECT_CLASS)
    check_version(row.version, expected, error=ReplyVersionMismatch)
    policy = await proposals.policy_for(change.session, facts.org_id)
    domain.check_reply_class(result_class, policy)
    reason = domain.required(reason, "reason")
    before = row.result_class
    change.session.add(
        ReplyClassCorrection(
            id=new_id(),
            reply_id=row.id,
            from_class=before,
            to_class=result_class,
            reason=reason,
            actor_id=change.actor,
            at=change.now,
        )
    )
    row.result_class = result_class
    row.version += 1
    repository.step(change, assignment, A.CORRECT_CLASS)
    await _emit(
        change,
        facts,
        ProposalReplyClassCorrectedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            reply_id=row.id,
            unit_id=row.unit_id,
            from_class=before,
            to_class=result_class,
            reason=reason,
            corrected_at=change.now,
        ),
    )
    return row


# --- Reads ---------------------------------------------------------------------------------------


async def _visible(session: AsyncSession, principal: Principal, proposal_id: UUID) -> Proposal:
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None or not await proposals.readable_exists(session, principal, proposal_id):
        raise ProposalNotFound()
    return proposal


async def handling_of(
    session: AsyncSession, principal: Principal, proposal_id: UUID
) -> tuple[Proposal, list[Assignment], bool]:
    """A proposal's assignments as the caller may see them, and whether it sees the handling's
    internals (co-handlers' views, reassignment reasons): the office every one, with internals; a
    unit its own, and as the lead unit its co-handlers' too (rule 11: their views are for it);
    anyone else who may read the proposal (its proposers, leaders) every one, without internals."""
    proposal = await _visible(session, principal, proposal_id)
    rows = await repository.assignments_of(session, proposal_id)
    unit = proposals.acts_for_unit(principal)
    if unit is None:
        return proposal, rows, proposals.acts_as_office(principal)
    open_rows = repository.open_assignments(rows)
    leads = any(a.unit_id == unit and a.role == Role.LEAD for a in open_rows)
    shown = [a for a in rows if a.unit_id == unit or (leads and a in open_rows and a.role == Role.COHANDLER)]
    return proposal, shown, True


async def extensions(
    session: AsyncSession, principal: Principal, proposal_id: UUID, assignment_id: UUID
) -> list[ReplyExtension]:
    """Rule 12: an assignment's approved extensions (who approved, when, why, from → to), for the
    office and the assigned unit (another unit's assignment is 404)."""
    await _visible(session, principal, proposal_id)
    assignment = await session.get(Assignment, assignment_id)
    if (
        assignment is None
        or assignment.proposal_id != proposal_id
        or not repository.sees_assignment(principal, assignment)
    ):
        raise AssignmentNotFound()
    return await repository.extensions_of(session, assignment.id)


async def communications(
    session: AsyncSession, principal: Principal, proposal_id: UUID, *, cursor: str | None, limit: int
) -> tuple[list[Communication], str | None]:
    """A page of the communications of a proposal the caller may read, newest first: a unit its
    own, anyone else every one."""
    await _visible(session, principal, proposal_id)
    rows = await repository.communications_of(
        session,
        proposal_id,
        proposals.acts_for_unit(principal),
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1].recorded_at, page[-1].id) if more else None


async def replies(
    session: AsyncSession, principal: Principal, proposal_id: UUID
) -> list[tuple[Reply, list[ReplyLetter], list[ReplyClassCorrection]]]:
    """The replies of a proposal the caller may read (a unit its own), each with its letters to the
    proposals merged in (rule 8); the office also sees each reply's class corrections (the audit)."""
    await _visible(session, principal, proposal_id)
    unit = proposals.acts_for_unit(principal)
    rows = [r for r in await repository.replies_of(session, proposal_id) if unit is None or r.unit_id == unit]
    ids = [r.id for r in rows]
    letters = await repository.letters_of(session, ids)
    audit = await repository.corrections_of(session, ids) if proposals.acts_as_office(principal) else []
    return [
        (r, [x for x in letters if x.reply_id == r.id], [c for c in audit if c.reply_id == r.id])
        for r in rows
    ]


# --- Deadlines (rule 12) -------------------------------------------------------------------------


async def extend_reply(
    change: Change, proposal_id: UUID, assignment_id: UUID, body: ExtensionRequest, expected: IfMatch | None
) -> ReplyExtension:
    """Rule 12: the office records an approved extension (an audit row), the reply due date moves
    later within the maximum, and the warnings and the overdue are armed for the new date (the old
    date's notices stay and are void when they come)."""
    facts, assignment, _ = await _locate(change, proposal_id, assignment_id, A.EXTEND, expected)
    policy = await proposals.policy_for(change.session, facts.org_id)
    domain.check_extension(
        current=assignment.reply_due_on,
        to=body.reply_due_on,
        approved_on=body.approved_on,
        assigned_at=assignment.assigned_at,
        now=change.now,
        policy=policy,
    )
    assert assignment.reply_due_on is not None  # check_extension refused a co-handler
    row = ReplyExtension(
        id=new_id(),
        proposal_id=facts.id,
        assignment_id=assignment.id,
        from_due_on=assignment.reply_due_on,
        to_due_on=body.reply_due_on,
        approved_by=domain.required(body.approved_by, "approved_by"),
        approved_on=body.approved_on,
        reason=domain.required(body.reason, "reason"),
        recorded_by=change.actor,
        recorded_at=change.now,
    )
    change.session.add(row)
    assignment.reply_due_on = body.reply_due_on
    repository.step(change, assignment, A.EXTEND)
    await repository.arm_deadlines(change, assignment, policy)
    await _emit(
        change,
        facts,
        ProposalReplyDueExtendedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            assignment_id=assignment.id,
            unit_id=assignment.unit_id,
            extension_id=row.id,
            from_due_on=row.from_due_on,
            to_due_on=row.to_due_on,
            approved_by=row.approved_by,
            approved_on=row.approved_on,
            reason=row.reason,
            extended_at=change.now,
        ),
    )
    return row


AWAITING_REPLY = frozenset(
    {AssignmentStatus.ASSIGNED, AssignmentStatus.REASSIGNMENT_REQUESTED, AssignmentStatus.ACCEPTED}
)


def _live(notice: DeadlineNotice, assignment: Assignment) -> bool:
    """Whether the assignment still awaits, by the notice's date, what the notice is about: a
    co-handler its views (rule 11), a lead or split unit its reply (rule 12)."""
    status = AssignmentStatus(assignment.status)
    if notice.kind == domain.VIEWS_OVERDUE:
        return status in domain.AWAITING_VIEWS and assignment.views_due_on == notice.due_on
    return status in AWAITING_REPLY and assignment.reply_due_on == notice.due_on


async def fire_deadline(change: Change, notice: DeadlineNotice) -> None:
    """A claimed notice fires once: its event when the assignment still awaits its reply (or, a
    co-handler, its views) by that date, else it is void (done, reassigned, or extended)."""
    assignment = await change.session.get(Assignment, notice.assignment_id)
    assert assignment is not None
    notice.fired_at = change.now
    live = _live(notice, assignment)
    notice.outcome = domain.FIRED if live else domain.VOID
    if not live:
        return
    proposal = await change.session.get(Proposal, assignment.proposal_id)
    assert proposal is not None
    if notice.kind == domain.VIEWS_OVERDUE:
        await _views_overdue(change, proposal, assignment, notice.due_on)
        return
    base = DeadlineFacts(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.title,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        role=Role(assignment.role),
        reply_due_on=notice.due_on,
        is_key=proposal.is_key,
        supervisor_ids=list(proposal.key_supervisor_ids or []),
        first_proposer_id=proposal.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(proposal_service.facts_of(proposal).proposers),
    ).model_dump()
    event: EventData
    if notice.kind == domain.OVERDUE:
        event = ProposalFeedbackOverdueV1(**base, overdue_at=change.now)
    else:
        event = ProposalDueSoonV1(**base, days_before=domain.days_before(notice.kind), warned_at=change.now)
    await change.emit(event, subject=proposal.id, orgid=proposal.org_id)


async def _views_overdue(change: Change, proposal: Proposal, assignment: Assignment, due_on: date) -> None:
    """Rule 11: the co-handler's views are late; the lead unit (named) and the office are told."""
    rows = repository.open_assignments(await repository.assignments_of(change.session, proposal.id))
    lead = next((a.unit_id for a in rows if a.role == Role.LEAD), None)
    event = ProposalCohandlerViewsOverdueV1(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.title,
        assignment_id=assignment.id,
        unit_id=assignment.unit_id,
        lead_unit_id=lead,
        views_due_on=due_on,
        is_key=proposal.is_key,
        overdue_at=change.now,
    )
    await change.emit(event, subject=proposal.id, orgid=proposal.org_id)
