"""Proposal use cases on the one write path (cppcc_common.change). Never commits (the request does).

Every change of an existing proposal goes through `_transition`: load for update → visibility
(404) → who may act (403) → `LIFECYCLE.check` (409) → `check_version` (412) → the rules and the
pure domain action → its changes, the history row, the version bump → its events, emitted.
"""

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.proposal import NotFiledDisposition
from cppcc_common.db import ReadPool
from cppcc_common.errors import Forbidden
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, page_of
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from cppcc_common.workdays import local_date
from proposal_svc.attachments import repository as attachments
from proposal_svc.attachments.domain import OwnerType, Purpose
from proposal_svc.proposals import domain, members, repository
from proposal_svc.proposals.domain import (
    LIFECYCLE,
    PROPOSERS,
    Action,
    AuthorKind,
    Facts,
    InvitationStatus,
    Plenary,
    Proposer,
    Role,
    Status,
)
from proposal_svc.proposals.errors import (
    MergeTargetNotFound,
    NotACurrentMember,
    ProposalNotFound,
    ProposalVersionMismatch,
)
from proposal_svc.proposals.models import Proposal, ProposalHistory, ProposalProposer
from proposal_svc.proposals.schemas import CosignAnswer, ProposalDraft, ProposalUpdate

Decide = Callable[[Facts], Awaitable[Decision[Status]]]


def _proposer(row: ProposalProposer) -> Proposer:
    return Proposer(
        person_id=row.person_id,
        role=Role(row.role),
        position=row.position,
        status=InvitationStatus(row.status),
        invited_at=row.invited_at,
        respond_by=row.respond_by,
        responded_at=row.responded_at,
        merged_from_id=row.merged_from_id,
    )


def facts_of(p: Proposal) -> Facts:
    """What the rules read of a stored proposal (its proposers loaded with it)."""
    return repository.facts_from(p, tuple(_proposer(row) for row in p.proposers))


def _set_proposers(proposal: Proposal, proposers: Sequence[Proposer]) -> None:
    """Makes the proposal's proposer rows those of a decision: updated, added, removed."""
    rows = {row.person_id: row for row in proposal.proposers}
    kept = []
    for p in proposers:
        row = rows.get(p.person_id) or ProposalProposer(proposal_id=proposal.id, person_id=p.person_id)
        row.role, row.position, row.status = p.role, p.position, p.status
        row.invited_at, row.respond_by, row.responded_at = p.invited_at, p.respond_by, p.responded_at
        row.merged_from_id = p.merged_from_id
        kept.append(row)
    proposal.proposers = kept  # rows left out are deleted (delete-orphan)


def _apply(proposal: Proposal, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if name == PROPOSERS:
            _set_proposers(proposal, value)
        else:
            setattr(proposal, name, value)


async def _plenaries_if_needed(change: Change, org_id: UUID, author: AuthorKind) -> list[Plenary]:
    """The plenary sessions, read only for an author that rule 3 limits to them (a member's
    proposal, the common case, costs no query)."""
    return await repository.plenaries(change.unit, org_id) if author.only_in_session else []


async def _current_members(change: Change, org_id: UUID, fields: dict[str, Any]) -> set[UUID]:
    """Which of the co-signers named in `fields` are current members of the organization today."""
    today: date = local_date(change.now)
    named = list(fields.get("cosigner_ids") or [])
    return await members.current_among(change.session, org_id=org_id, person_ids=named, on=today)


async def list_visible(
    session: AsyncSession,
    *,
    principal: Principal,
    mine: bool,
    status: Status | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Proposal], str | None]:
    """A page of the proposals the principal may see: their own (drafts included), or as the
    proposals office every non-draft proposal of the organization."""
    rows = await repository.list_readable(
        session,
        principal,
        mine=mine,
        status=status,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return page_of(rows, limit)


async def read_visible(conn: ReadPool, principal: Principal, proposal_id: UUID) -> dict[str, Any]:
    """A proposal the principal may read (rule 28), read outside any transaction, as its values; else 404."""
    proposal = await repository.read_readable(conn, principal, proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    return proposal


def _record(
    change: Change,
    proposal: Proposal,
    action: str,
    from_status: str | None,
    note: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    entry = ProposalHistory(
        before=before or None,
        after=after or None,
        id=new_id(),
        proposal_id=proposal.id,
        action=action,
        from_status=from_status,
        to_status=proposal.status,
        actor_id=change.actor,
        reason=note,
        at=change.now,
    )
    repository.record(change.session, entry)


def _values(values: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the fields a decision changes, as JSON (the audit's before/after)."""
    return {name: to_jsonable_python(values.get(name)) for name in changes if name != PROPOSERS}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    names = [name for name in before if before[name] != after[name]]
    return {n: before[n] for n in names}, {n: after[n] for n in names}


async def create_draft(change: Change, draft: ProposalDraft) -> Proposal:
    principal = change.person
    fields = draft.model_dump()
    decision = domain.draft(
        fields,
        await repository.policy_for(change.session, principal.org),
        first_proposer_id=principal.sub,
        now=change.now,
        members=await _current_members(change, principal.org, fields),
        plenaries=await _plenaries_if_needed(change, principal.org, draft.author_kind),
    )
    proposal = Proposal(
        id=new_id(),
        org_id=principal.org,
        status=decision.status,
        kind=None,
        first_proposer_id=principal.sub,
        created_at=change.now,
        updated_at=change.now,
        version=1,
        proposers=[],
    )
    _apply(proposal, dict(decision.changes))
    change.session.add(proposal)
    _record(change, proposal, "create", None)
    await change.session.flush()
    return proposal


async def _transition(
    change: Change, proposal_id: UUID, action: Action, expected: IfMatch | None, decide: Decide
) -> Proposal:
    """The proposal machine's one write path (see the module docstring), on the driver connection:
    the lock (with what the rules read), the proposers, then the update with its history row, and
    the proposers only when the decision changed them (repository.lock_readable, write_transition)."""
    principal = change.person
    facts = await repository.lock_readable(change.unit, principal, proposal_id, at=change.now)
    if facts is None:
        raise ProposalNotFound()
    cosigners = {p.person_id for p in facts.proposers if p.role == Role.COSIGNER}
    if not domain.may_act(
        action,
        actor=principal.sub,
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=cosigners,
        office=repository.acts_as_office(principal),
        unit=repository.acts_as_unit(principal),
    ):
        raise Forbidden()
    LIFECYCLE.check(facts.status, action)
    check_version(facts.version, expected, error=ProposalVersionMismatch)
    return await _decide(change, facts, action, decide, repository.locked_row(change.unit, facts.id))


async def _decide(
    change: Change, facts: Facts, action: Action, decide: Decide, stored: Mapping[str, Any]
) -> Proposal:
    """Steps 5–9 of the one write path, on a locked proposal the action may move (`stored`: its
    row's values, the audit's `before`)."""
    decision = await decide(facts)
    # The audit keeps no draft's values: a draft is its proposer's alone (rule 28), and a deleted
    # draft's text must not outlive it in the history.
    audited = {} if facts.status == Status.DRAFT else decision.changes
    before, after = _changed(_values(stored, audited), _values(audited, audited))
    before.update(to_jsonable_python(decision.before))
    after.update(to_jsonable_python(decision.after))
    proposal = await repository.write_transition(
        change.unit,
        facts,
        action=action,
        status=decision.status,
        changes=decision.changes,
        actor=change.actor,
        note=decision.note,
        at=change.now,
        before=before,
        after=after,
    )
    for event in decision.events:
        await change.emit(event, subject=proposal.id, orgid=proposal.org_id)
    return proposal


async def lock_readable(change: Change, proposal_id: UUID) -> Facts:
    """The proposal locked for update if the caller may read it (else 404): the handling context's
    first step on a proposal, before its own rows (every handling step queues on this lock). The
    transition that follows in the same unit of work reuses the locked row (no second load)."""
    facts = await repository.lock_readable(change.unit, change.person, proposal_id, at=change.now)
    if facts is None:
        raise ProposalNotFound()
    return facts


async def handle(
    change: Change, proposal_id: UUID, action: Action, expected: IfMatch | None, decide: Decide
) -> Proposal:
    """The proposal's moves that the handling context decides (assign, accept, reply) and the
    evaluation context (evaluate, dissatisfied, report_completion), on the one write path: `decide` writes the handling rows and returns the proposal's Decision."""
    if action not in domain.HANDLING_ACTIONS:
        raise ValueError(f"{action} is not a handling action")
    return await _transition(change, proposal_id, action, expected, decide)


async def lock_for_system(change: Change, proposal_id: UUID) -> Facts | None:
    """The proposal locked for update, for a deadline scanner (the system sees every proposal)."""
    proposal = await repository.get_for_update(change.session, proposal_id)
    return facts_of(proposal) if proposal is not None else None


async def handle_due(change: Change, proposal_id: UUID, action: Action, decide: Decide) -> Proposal:
    """A proposal's move that a deadline makes (a scanner's system change, no principal): the same
    write path without its who-may-act step — the table (409), the decision, history, version, events."""
    if action not in domain.SYSTEM_ACTIONS:
        raise ValueError(f"{action} is not a system action")
    proposal = await repository.get_for_update(change.session, proposal_id)
    assert proposal is not None  # the scanner's claim found it
    LIFECYCLE.check(Status(proposal.status), action)
    stored = {column.key: getattr(proposal, column.key) for column in Proposal.__table__.columns}
    return await _decide(change, facts_of(proposal), action, decide, stored)


async def update_draft(
    change: Change, proposal_id: UUID, fields: ProposalUpdate, expected: IfMatch | None
) -> Proposal:
    """Edits a draft (the lifecycle's EDIT): the fields given, within the organization's limits."""

    async def decide(proposal: Facts) -> Decision[Status]:
        policy = await repository.policy_for(change.session, proposal.org_id)
        given = fields.model_dump(exclude_unset=True)
        current = await _current_members(change, proposal.org_id, given)
        return domain.edit(proposal, given, policy, members=current)

    return await _transition(change, proposal_id, Action.EDIT, expected, decide)


async def edit_draft(change: Change, proposal_id: UUID, expected: IfMatch | None, decide: Decide) -> Proposal:
    """An EDIT of a draft that another context decides (its attachments), on the same write path:
    the first proposer only, a draft only, the version checked and bumped, the history row written."""
    return await _transition(change, proposal_id, Action.EDIT, expected, decide)


async def submit(change: Change, proposal_id: UUID, expected: IfMatch | None) -> Proposal:
    """Rule 2 and rule 1 enforced; the state change and `proposal.submitted` commit together."""

    async def decide(proposal: Facts) -> Decision[Status]:
        if not await repository.is_current_member(
            change.unit, org_id=proposal.org_id, person_id=proposal.first_proposer_id, at=change.now
        ):
            raise NotACurrentMember()
        policy = await repository.policy_for(change.unit, proposal.org_id)
        windows = await repository.session_windows(change.unit, proposal.org_id, change.now)
        plenaries = await _plenaries_if_needed(change, proposal.org_id, proposal.author_kind)
        seals = (
            await attachments.count(change.session, OwnerType.PROPOSAL, proposal.id, purpose=Purpose.SEAL)
            if proposal.author_kind.is_organization  # rule 2 asks only an organization's for its seal
            else 0
        )
        return domain.submit(
            proposal, policy, now=change.now, windows=windows, plenaries=plenaries, seals=seals
        )

    return await _transition(change, proposal_id, Action.SUBMIT, expected, decide)


async def answer_cosign(
    change: Change, proposal_id: UUID, answer: CosignAnswer, expected: IfMatch | None
) -> Proposal:
    """Rule 4: the calling co-signer confirms or declines, before their deadline."""
    action = Action.CONFIRM_COSIGN if answer == CosignAnswer.CONFIRM else Action.DECLINE_COSIGN

    async def decide(proposal: Facts) -> Decision[Status]:
        return domain.answer_cosign(proposal, change.person.sub, action, now=change.now)

    return await _transition(change, proposal_id, action, expected, decide)


async def withdraw(
    change: Change, proposal_id: UUID, reason: str | None, expected: IfMatch | None
) -> Proposal:
    """The first proposer withdraws before assignment; the reason goes in the history and the event."""

    async def decide(proposal: Facts) -> Decision[Status]:
        return domain.withdraw(proposal, reason=reason, now=change.now)

    return await _transition(change, proposal_id, Action.WITHDRAW, expected, decide)


async def delete_draft(change: Change, proposal_id: UUID, expected: IfMatch | None) -> None:
    """The first proposer deletes a draft (a tombstone; see `domain.delete`)."""

    async def decide(proposal: Facts) -> Decision[Status]:
        return domain.delete(proposal)

    await _transition(change, proposal_id, Action.DELETE, expected, decide)


async def expire_cosign(change: Change, proposal_id: UUID, person_id: UUID) -> None:
    """The scanner's path for one invitation unanswered at its deadline (its row and its proposal
    already locked by the claim): the invitation's EXPIRE, its event. The proposal's status,
    version and history stay: its proposers did not change, one of them only never joined."""
    proposal = await change.session.get(Proposal, proposal_id)
    assert proposal is not None  # the claim joined it
    decision = domain.expire_cosign(facts_of(proposal), person_id, now=change.now)
    row = next(r for r in proposal.proposers if r.person_id == person_id)
    row.status = decision.status
    for event in decision.events:
        await change.emit(event, subject=proposal.id, orgid=proposal.org_id)


# --- Review (审查立案) and key proposals: the proposals office's actions ---------------------------


async def file(change: Change, proposal_id: UUID, expected: IfMatch | None) -> Proposal:
    """Files (立案) a submitted proposal with the next number of its series (domain.filing_series),
    taken from the counter in this transaction: gap-free, even when filings race or roll back."""

    async def decide(proposal: Facts) -> Decision[Status]:
        submitted_at = proposal.submitted_at or change.now  # (always set by submit; never a 500 if not)
        session_id = await repository.session_of(change.session, proposal.org_id, submitted_at)
        series = domain.filing_series(proposal.kind, submitted_at, session_id)
        number = await repository.next_number(change.session, proposal.org_id, series)
        cosigners = domain.confirmed_cosigner_ids(proposal.proposers)
        return domain.file(proposal, series=series, number=number, cosigner_ids=cosigners, now=change.now)

    return await _transition(change, proposal_id, Action.FILE, expected, decide)


async def return_for_revision(
    change: Change, proposal_id: UUID, note: str, expected: IfMatch | None
) -> Proposal:
    """Returns a submitted proposal to its proposer as a draft, with the office's note (退回修改)."""

    async def decide(proposal: Facts) -> Decision[Status]:
        cosigners = domain.confirmed_cosigner_ids(proposal.proposers)
        return domain.return_for_revision(proposal, note, cosigner_ids=cosigners, now=change.now)

    return await _transition(change, proposal_id, Action.RETURN, expected, decide)


# Rule 7: what makes the report of a proposal converted into one (the opinions context's), and
# answers its id; a route that may convert passes it.
Converter = Callable[[Change, Facts], Awaitable[UUID]]


async def not_file(
    change: Change,
    proposal_id: UUID,
    reason: str,
    disposition: NotFiledDisposition,
    expected: IfMatch | None,
    *,
    convert: Converter,
) -> Proposal:
    """Does not file a proposal (不予立案): rules 6 and 7. With the disposition `convert_to_opinion`
    the report is created in the same transaction and the proposal names it."""

    async def decide(proposal: Facts) -> Decision[Status]:
        policy = await repository.policy_for(change.session, proposal.org_id)
        cosigners = domain.confirmed_cosigner_ids(proposal.proposers)
        decision = domain.not_file(
            proposal, reason, disposition, policy, cosigner_ids=cosigners, now=change.now
        )
        if disposition is not NotFiledDisposition.CONVERT_TO_OPINION:
            return decision
        report_id = await convert(change, proposal)
        return dataclasses.replace(decision, changes={**decision.changes, "opinion_report_id": report_id})

    return await _transition(change, proposal_id, Action.NOT_FILE, expected, decide)


async def convert_to_opinion(
    change: Change, proposal_id: UUID, expected: IfMatch | None, decide: Decide
) -> Proposal:
    """Rule 7: a not-filed proposal converted afterwards; `decide` (the opinions context's) creates
    the report and returns the proposal's Decision naming it."""
    return await _transition(change, proposal_id, Action.CONVERT_TO_OPINION, expected, decide)


async def merge(change: Change, proposal_id: UUID, into_id: UUID, expected: IfMatch | None) -> Proposal:
    """Merges (并案) a submitted proposal into a filed one (rule 8). The target, locked after the source,
    takes every proposer of the source; its version and history record the merge too."""
    principal = change.person

    async def decide(proposal: Facts) -> Decision[Status]:
        target = await repository.get_readable(change.session, principal, into_id)
        if target is None:
            raise MergeTargetNotFound()
        source_proposers = await repository.confirmed_proposers(change.session, proposal.id)
        target_proposers = await repository.confirmed_proposers(change.session, target.id)
        decision = domain.merge(
            proposal,
            facts_of(target),
            source_proposers=source_proposers,
            target_proposers=target_proposers,
            now=change.now,
        )
        added = domain.merged_in(source_proposers, target_proposers)
        await repository.add_merged_proposers(
            change.session, target.id, added, merged_from=proposal.id, at=change.now
        )
        _record(change, target, "merge_in", target.status, proposal.content.title)
        target.version += 1
        target.updated_at = change.now
        return decision

    return await _transition(change, proposal_id, Action.MERGE, expected, decide)


async def designate_key(
    change: Change,
    proposal_id: UUID,
    *,
    meeting: str,
    meeting_on: date,
    supervisor_ids: list[UUID],
    expected: IfMatch | None,
) -> Proposal:
    """Designates a filed (or later) proposal a key proposal (rule 19): each supervisor is a leader
    of the organization, as member-svc announced the account (`members.leaders_among`; 422 else)."""

    async def decide(proposal: Facts) -> Decision[Status]:
        leaders = await members.leaders_among(
            change.session, org_id=proposal.org_id, person_ids=supervisor_ids
        )
        domain.check_supervisors(supervisor_ids, leaders)
        cosigners = domain.confirmed_cosigner_ids(proposal.proposers)
        return domain.designate_key(
            proposal,
            meeting=meeting,
            meeting_on=meeting_on,
            supervisor_ids=supervisor_ids,
            cosigner_ids=cosigners,
            now=change.now,
        )

    return await _transition(change, proposal_id, Action.DESIGNATE_KEY, expected, decide)


async def list_supervised(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> tuple[list[Proposal], str | None]:
    """A page of the key proposals the leader supervises (rule 19)."""
    rows = await repository.list_supervised(
        session, principal, after=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    return page_of(rows, limit)
