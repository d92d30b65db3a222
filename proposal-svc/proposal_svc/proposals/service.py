"""Proposal use cases on the one write path (cppcc_common.change). Never commits (the request does).

Every change of an existing proposal goes through `_transition`: load for update → visibility
(404) → who may act (403) → `LIFECYCLE.check` (409) → `check_version` (412) → the rules and the
pure domain action → its changes, the history row, the version bump → its events, emitted.
"""

from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.clock import SHANGHAI
from cppcc_common.errors import Forbidden
from cppcc_common.ids import new_id
from cppcc_common.pagination import decode_cursor, page_of
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch, check_version
from proposal_svc.attachments import repository as attachments
from proposal_svc.attachments.domain import OwnerType, Purpose
from proposal_svc.proposals import domain, members, repository
from proposal_svc.proposals.domain import LIFECYCLE, Action, AuthorKind, Content, Facts, Status
from proposal_svc.proposals.errors import NotACurrentMember, ProposalNotFound, ProposalVersionMismatch
from proposal_svc.proposals.models import Proposal, ProposalHistory, ProposalProposer
from proposal_svc.proposals.schemas import ProposalDraft, ProposalUpdate

Decide = Callable[[Facts], Awaitable[Decision[Status]]]


def _facts(p: Proposal) -> Facts:
    content = Content(title=p.title, situation=p.situation, suggestions=tuple(p.suggestions))
    return Facts(
        p.id,
        p.org_id,
        Status(p.status),
        content,
        p.first_proposer_id,
        p.version,
        author_kind=AuthorKind(p.author_kind),
        author_name=p.author_name,
    )


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


async def read_visible(conn: asyncpg.Connection, principal: Principal, proposal_id: UUID) -> Proposal:
    """A proposal the principal may read (rule 28), read outside any transaction; else 404."""
    proposal = await repository.read_readable(conn, principal, proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    return proposal


def _record(
    change: Change, proposal: Proposal, action: str, from_status: str | None, note: str | None = None
) -> None:
    entry = ProposalHistory(
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


async def create_draft(change: Change, draft: ProposalDraft) -> Proposal:
    principal = change.person
    decision = domain.draft(
        draft.model_dump(),
        await repository.policy_for(change.session, principal.org),
        now=change.now,
        plenaries=await repository.plenaries(change.session, principal.org),
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
        **decision.changes,
    )
    change.session.add(proposal)
    change.session.add(
        ProposalProposer(
            proposal_id=proposal.id,
            person_id=proposal.first_proposer_id,
            role="first",
            position=0,
            status="confirmed",
            responded_at=change.now,
        )
    )
    _record(change, proposal, "create", None)
    await change.session.flush()
    return proposal


async def _transition(
    change: Change, proposal_id: UUID, action: Action, expected: IfMatch | None, decide: Decide
) -> Proposal:
    """The proposal machine's one write path (see the module docstring)."""
    principal = change.person
    proposal = await repository.get_readable(change.session, principal, proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    if not domain.may_act(action, actor=principal.sub, first_proposer_id=proposal.first_proposer_id):
        raise Forbidden()
    LIFECYCLE.check(Status(proposal.status), action)
    check_version(proposal.version, expected, error=ProposalVersionMismatch)
    decision = await decide(_facts(proposal))
    from_status = proposal.status
    for name, value in decision.changes.items():
        setattr(proposal, name, value)
    proposal.status = decision.status
    _record(change, proposal, action, from_status, decision.note)
    proposal.version += 1
    proposal.updated_at = change.now
    for event in decision.events:
        await change.emit(event, subject=proposal.id, orgid=proposal.org_id)
    return proposal


async def update_draft(
    change: Change, proposal_id: UUID, fields: ProposalUpdate, expected: IfMatch | None
) -> Proposal:
    """Edits a draft (the lifecycle's EDIT): the fields given, within the organization's limits."""

    async def decide(proposal: Facts) -> Decision[Status]:
        policy = await repository.policy_for(change.session, proposal.org_id)
        return domain.edit(proposal, fields.model_dump(exclude_unset=True), policy)

    return await _transition(change, proposal_id, Action.EDIT, expected, decide)


async def edit_draft(change: Change, proposal_id: UUID, expected: IfMatch | None, decide: Decide) -> Proposal:
    """An EDIT of a draft that another context decides (its attachments), on the same write path:
    the first proposer only, a draft only, the version checked and bumped, the history row written."""
    return await _transition(change, proposal_id, Action.EDIT, expected, decide)


async def submit(change: Change, proposal_id: UUID, expected: IfMatch | None) -> Proposal:
    """Rule 2 and rule 1 enforced; the state change and `proposal.submitted` commit together."""

    async def decide(proposal: Facts) -> Decision[Status]:
        today = change.now.astimezone(SHANGHAI).date()
        if not await members.is_current_member(
            change.session, org_id=proposal.org_id, person_id=proposal.first_proposer_id, on=today
        ):
            raise NotACurrentMember()
        policy = await repository.policy_for(change.session, proposal.org_id)
        windows = await repository.session_windows(change.session, proposal.org_id, change.now)
        plenaries = await repository.plenaries(change.session, proposal.org_id)
        seals = await attachments.count(change.session, OwnerType.PROPOSAL, proposal.id, purpose=Purpose.SEAL)
        return domain.submit(
            proposal, policy, now=change.now, windows=windows, plenaries=plenaries, seals=seals
        )

    return await _transition(change, proposal_id, Action.SUBMIT, expected, decide)
