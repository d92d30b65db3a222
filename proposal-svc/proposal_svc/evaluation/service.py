"""Evaluation use cases on the one write path (cppcc_common.change). Never commits (the request does).

An evaluation: lock the proposal through `readable(principal)` (404) → the reply of it (404) → a
proposer who counts (403) → the lifecycle allows `evaluate` (409) → the current reply (409) → once,
within the window, a known rating (rules 16) → the row and `evaluated` → a dissatisfied rating of a
first reply re-opens its part (rule 17: the assignment's `reopen`, the proposal's `dissatisfied`),
anything else may conclude the proposal (`evaluate`). The proposal's moves go through the
proposals context's one transition (`proposals.service.handle`).
"""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.proposal import (
    ProposalCompletionReportedV1,
    ProposalConcludedV1,
    ProposalEvaluatedV1,
    ProposalRehandlingStartedV1,
)
from cppcc_common.errors import Forbidden
from cppcc_common.ids import new_id
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays_store import calendar_for, calendar_in
from proposal_svc.evaluation import domain, repository
from proposal_svc.evaluation.domain import CurrentReply, Window
from proposal_svc.evaluation.errors import (
    CompletionAlreadyReported,
    EvaluationReplyNotFound,
    ReplySuperseded,
)
from proposal_svc.evaluation.models import CompletionReport, Evaluation, EvaluationWindow
from proposal_svc.evaluation.schemas import CompletionReportRequest, EvaluationRequest
from proposal_svc.handling import domain as handling
from proposal_svc.handling import repository as assignments
from proposal_svc.handling.domain import ASSIGNMENTS, AssignmentAction, AssignmentStatus, Role
from proposal_svc.handling.errors import AssignmentNotFound, AssignmentVersionMismatch
from proposal_svc.handling.models import Assignment, Reply
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals import service as proposal_service
from proposal_svc.proposals.domain import (
    LIFECYCLE,
    SYSTEM_ACTIONS,
    Action,
    Facts,
    Status,
    confirmed_cosigner_ids,
)
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.policy import ProposalPolicy


async def open_window(change: Change, reply: Reply, policy: ProposalPolicy) -> EvaluationWindow:
    """Rule 16: the reply's evaluation window, counted once on the working calendar and stored (with
    its provisional flag) — when the reply is made, or for a reply stored without one."""
    row = await repository.window_of(change.session, reply.id)
    if row is None:
        cal = await calendar_for(change.session, now=change.now)
        window = domain.window(reply.replied_at, policy, cal)
        if window.provisional:  # this process's copy may predate a year just entered elsewhere
            window = domain.window(reply.replied_at, policy, await calendar_in(change.session))
        row = EvaluationWindow(
            reply_id=reply.id,
            proposal_id=reply.proposal_id,
            due_on=window.due_on,
            provisional=window.provisional,
            closes_at=window.closes_at,
            opened_at=change.now,
        )
        change.session.add(row)
    return row


async def recount_provisional_windows(change: Change, year: int) -> None:
    """docs/calendar.md: once an administrator enters `year`, every evaluation window counted
    provisionally into it is counted again on the calendar this transaction sees (rule 16: the
    organization's working days from the reply's day), its flag cleared when nothing unknown is left;
    the window is its own deadline row, so the scanner claims it at its new close."""
    session = change.session
    cal = await calendar_in(session)
    policies: dict[UUID, ProposalPolicy] = {}
    for row, reply, org_id in await repository.provisional_windows(session, year):
        policy = policies.get(org_id) or await proposals.policy_for(session, org_id)
        policies[org_id] = policy
        window = domain.window(reply.replied_at, policy, cal)
        row.due_on, row.provisional, row.closes_at = window.due_on, window.provisional, window.closes_at


def _window(row: EvaluationWindow) -> Window:
    return Window(row.due_on, row.provisional, row.closes_at)


async def evaluate(
    change: Change, proposal_id: UUID, reply_id: UUID, body: EvaluationRequest
) -> tuple[Evaluation, Status]:
    """Rules 16 and 17 (see the module docstring). Answers the evaluation and the proposal's status."""
    session = change.session
    facts = await proposal_service.lock_readable(change, proposal_id)
    reply = await repository.reply_of(session, proposal_id, reply_id)
    if reply is None:
        raise EvaluationReplyNotFound()
    person = domain.check_evaluator(change.actor, domain.evaluators(facts.proposers))
    rows = await assignments.assignments_of(session, proposal_id, lock=True)
    replies = await assignments.replies_of(session, proposal_id)
    current = repository.current_replies(rows, replies)
    part = next((a for a, r in current if r.id == reply.id), None)
    if part is not None:
        domain.check_not_reopened(AssignmentStatus(part.status))  # rule 17: before the table's 409
    LIFECYCLE.check(facts.status, Action.EVALUATE)
    if part is None:
        raise ReplySuperseded()
    policy = await proposals.policy_for(session, facts.org_id)
    window = await open_window(change, reply, policy)
    prior = await repository.evaluations_of(session, [r.id for _, r in current])
    domain.check_evaluation(
        person,
        rated_by={e.person_id for e in prior if e.reply_id == reply.id},
        rating=body.rating,
        window=_window(window),
        now=change.now,
        policy=policy,
    )
    comment = (body.comment or "").strip() or None
    row = Evaluation(
        id=new_id(),
        proposal_id=facts.id,
        reply_id=reply.id,
        assignment_id=part.id,
        unit_id=reply.unit_id,
        person_id=person,
        rating=body.rating,
        comment=comment,
        evaluated_at=change.now,
    )
    session.add(row)
    await change.emit(
        ProposalEvaluatedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            evaluation_id=row.id,
            reply_id=reply.id,
            assignment_id=part.id,
            unit_id=reply.unit_id,
            proposer_id=person,
            rating=body.rating,
            evaluated_at=change.now,
        ),
        subject=facts.id,
        orgid=facts.org_id,
    )
    second = sum(1 for r in replies if r.assignment_id == part.id) > 1
    if domain.reopens(body.rating, second_reply=second):
        return row, await _reopen(change, facts, part, reply, person, policy)
    status = await _conclude_if_done(change, facts, current, [*prior, row], Action.EVALUATE, policy)
    return row, status


async def _reopen(
    change: Change, facts: Facts, part: Assignment, reply: Reply, person: UUID, policy: ProposalPolicy
) -> Status:
    """Rule 17: the rated part re-opens (accepted again, a new due date) and the proposal is re-handled."""
    assignments.step(change, part, AssignmentAction.REOPEN)
    part.reply_due_on = domain.rehandling_due_on(change.now, policy)
    await assignments.arm_deadlines(change, part, policy)  # rule 12 watches the new due date too
    event = ProposalRehandlingStartedV1(
        proposal_id=facts.id,
        org_id=facts.org_id,
        reply_id=reply.id,
        assignment_id=part.id,
        unit_id=part.unit_id,
        proposer_id=person,
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(facts.proposers),
        reply_due_on=part.reply_due_on,
        is_key=facts.is_key,
        started_at=change.now,
    )

    async def decide(_: Facts) -> Decision[Status]:
        return Decision(Status.REHANDLING, {}, (event,), note=str(part.unit_id))

    proposal = await proposal_service.handle(change, facts.id, Action.DISSATISFIED, None, decide)
    return Status(proposal.status)


async def _conclude_if_done(
    change: Change,
    facts: Facts,
    current: list[tuple[Assignment, Reply]],
    evaluations: Sequence[Evaluation],
    action: Action,
    policy: ProposalPolicy,
    reported: frozenset[UUID] | None = None,
) -> Status:
    """Rules 16–18: concludes the proposal (its `action`) when `domain.concluded` says so;
    `reported`: the current replies with a completion report, when the caller read them already."""
    ids = [r.id for _, r in current]
    if reported is None:
        reported = frozenset(c.reply_id for c in await repository.reports_of(change.session, ids))
    windows = await repository.windows_of(change.session, ids)
    views = []
    for _, reply in current:
        window = windows.get(reply.id) or await open_window(change, reply, policy)
        views.append(
            CurrentReply(
                reply_id=reply.id,
                result_class=reply.result_class,
                closes_at=window.closes_at,
                rated_by=frozenset(e.person_id for e in evaluations if e.reply_id == reply.id),
                completion_reported=reply.id in reported,
            )
        )
    proposers = domain.evaluators(facts.proposers)
    if not domain.concluded(views, proposers, policy, change.now):
        return facts.status
    event = ProposalConcludedV1(
        proposal_id=facts.id,
        org_id=facts.org_id,
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(facts.proposers),
        unit_ids=[a.unit_id for a, _ in current],
        ratings=dict(domain.tally([e.rating for e in evaluations if e.reply_id in ids])),
        is_key=facts.is_key,
        concluded_at=change.now,
    )

    async def decide(_: Facts) -> Decision[Status]:
        return Decision(Status.CONCLUDED, {}, (event,))

    if action in SYSTEM_ACTIONS:  # the window scanner's, with no principal
        proposal = await proposal_service.handle_due(change, facts.id, action, decide)
    else:
        proposal = await proposal_service.handle(change, facts.id, action, None, decide)
    return Status(proposal.status)


async def settle_window(change: Change, window: EvaluationWindow) -> None:
    """Rules 16–18 at a window's close (the scanner's path; the window claimed and locked): the
    window is settled once, and a replied proposal concludes when every part's current reply is
    heard (rated by all, or its window closed: silence is no objection) and no open-class (B) reply
    still awaits its completion report — the same conclusion, and the same `concluded`, as a rating's."""
    window.settled_at = change.now
    facts = await proposal_service.lock_for_system(change, window.proposal_id)
    if facts is None or not LIFECYCLE.allows(facts.status, Action.CONCLUDE):
        return  # re-handled, still handled by another part, or concluded already
    session = change.session
    rows = await assignments.assignments_of(session, facts.id, lock=True)
    current = repository.current_replies(rows, await assignments.replies_of(session, facts.id))
    policy = await proposals.policy_for(session, facts.org_id)
    evaluations = await repository.evaluations_of(session, [r.id for _, r in current])
    await _conclude_if_done(change, facts, current, evaluations, Action.CONCLUDE, policy)


async def report_completion(
    change: Change,
    proposal_id: UUID,
    assignment_id: UUID,
    body: CompletionReportRequest,
    expected: IfMatch | None = None,
) -> tuple[CompletionReport, Status]:
    """Rule 18: the unit of an open-class reply reports its completion; the proposal concludes when
    nothing else keeps it open."""
    session, principal = change.session, change.person
    facts = await proposal_service.lock_readable(change, proposal_id)
    rows = await assignments.assignments_of(session, proposal_id, lock=True)
    part = next((a for a in rows if a.id == assignment_id), None)
    if part is None or not assignments.sees_assignment(principal, part):
        raise AssignmentNotFound()
    own = proposals.acts_for_unit(principal) == part.unit_id
    action = AssignmentAction.REPORT_COMPLETION
    if not handling.may_act(
        action, Role(part.role), office=proposals.acts_as_office(principal), own_unit=own
    ):
        raise Forbidden()
    ASSIGNMENTS.check(AssignmentStatus(part.status), action)
    LIFECYCLE.check(facts.status, Action.REPORT_COMPLETION)
    check_version(part.version, expected, error=AssignmentVersionMismatch)
    current = repository.current_replies(rows, await assignments.replies_of(session, proposal_id))
    reply = next(r for a, r in current if a.id == part.id)  # a replied part has its reply
    policy = await proposals.policy_for(session, facts.org_id)
    text = domain.check_completion(reply.result_class, body.completed_on, body.report, change.now, policy)
    reported = {c.reply_id for c in await repository.reports_of(session, [r.id for _, r in current])}
    if reply.id in reported:
        raise CompletionAlreadyReported()
    row = CompletionReport(
        id=new_id(),
        proposal_id=facts.id,
        reply_id=reply.id,
        assignment_id=part.id,
        unit_id=part.unit_id,
        report=text,
        completed_on=body.completed_on,
        reported_by=change.actor,
        reported_at=change.now,
    )
    session.add(row)
    assignments.step(change, part, action)
    await change.emit(
        ProposalCompletionReportedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            report_id=row.id,
            reply_id=reply.id,
            assignment_id=part.id,
            unit_id=part.unit_id,
            completed_on=body.completed_on,
            first_proposer_id=facts.first_proposer_id,
            reported_at=change.now,
        ),
        subject=facts.id,
        orgid=facts.org_id,
    )
    evaluations = await repository.evaluations_of(session, [r.id for _, r in current])
    status = await _conclude_if_done(
        change,
        facts,
        current,
        evaluations,
        Action.REPORT_COMPLETION,
        policy,
        frozenset({*reported, reply.id}),
    )
    return row, status


# --- Reads ---------------------------------------------------------------------------------------


async def of_reply(
    session: AsyncSession, principal: Principal, proposal_id: UUID, reply_id: UUID
) -> tuple[Reply, EvaluationWindow | None, list[Evaluation], CompletionReport | None]:
    """A reply's window, evaluations and completion report, for anyone who may read the proposal
    (a unit: of its own reply only; another unit's is 404)."""
    if not await proposals.readable_exists(session, principal, proposal_id):
        raise ProposalNotFound()
    reply = await repository.reply_of(session, proposal_id, reply_id)
    unit = proposals.acts_for_unit(principal)
    if reply is None or (unit is not None and reply.unit_id != unit):
        raise EvaluationReplyNotFound()
    reports = await repository.reports_of(session, [reply.id])
    return (
        reply,
        await repository.window_of(session, reply.id),
        await repository.evaluations_of(session, [reply.id]),
        reports[0] if reports else None,
    )
