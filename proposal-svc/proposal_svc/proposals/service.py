"""Proposal use cases: load → domain → save → stage events. Never commits (the request does)."""

from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.clock import SHANGHAI
from cppcc_common.contracts.proposal import ProposalSubmittedV1
from cppcc_common.errors import Forbidden
from cppcc_common.events import make_event
from cppcc_common.ids import new_id
from cppcc_common.outbox import stage
from cppcc_common.pagination import decode_cursor, page_of
from cppcc_common.versioning import IfMatch
from proposal_svc.proposals import domain, members, repository
from proposal_svc.proposals.domain import Action, Content, Status, TransitionNotAllowed
from proposal_svc.proposals.errors import (
    VIOLATION_MESSAGES,
    NotACurrentMember,
    ProposalIncomplete,
    ProposalInvalidTransition,
    ProposalNotFound,
    ProposalVersionMismatch,
)
from proposal_svc.proposals.models import Proposal, ProposalHistory
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.proposals.schemas import ProposalDraft, ProposalUpdate

SOURCE = "/proposal-svc"


def _content(p: Proposal) -> Content:
    return Content(title=p.title, situation=p.situation, suggestions=tuple(p.suggestions))


def _raise_violations(violations: list[domain.RuleViolation], policy: ProposalPolicy) -> None:
    if violations:
        params = policy.model_dump()
        errors = [
            {
                "field": v.field,
                "code": v.code,
                "message": VIOLATION_MESSAGES[v.code].zh.format(**params),
                "message_en": VIOLATION_MESSAGES[v.code].en.format(**params),
            }
            for v in violations
        ]
        raise ProposalIncomplete(errors=errors)


def can_read(principal: Principal, proposal: Proposal) -> bool:
    """Rule 28: same organization; a draft only by its proposer; others' submitted ones by staff."""
    if principal.org != proposal.org_id:
        return False
    if proposal.first_proposer_id == principal.sub:
        return True
    if proposal.status == Status.DRAFT:
        return False
    return sees_organization_proposals(principal)


def sees_organization_proposals(principal: Principal) -> bool:
    """Rule 28: the proposals office (staff with the `proposals` scope) and leaders see every
    submitted proposal of their organization; everyone else sees only their own."""
    return principal.has_role("leader") or (principal.has_role("staff") and principal.has_scope("proposals"))


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
    office_view = sees_organization_proposals(principal) and not mine
    rows = await repository.list_visible(
        session,
        org_id=principal.org,
        proposer_id=None if office_view else principal.sub,
        include_drafts=not office_view,
        status=status,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return page_of(rows, limit)


async def read_visible(conn: asyncpg.Connection, principal: Principal, proposal_id: UUID) -> Proposal:
    """A proposal the principal may read (rule 28), read outside any transaction; else 404."""
    proposal = await repository.read(conn, proposal_id)
    if proposal is None or not can_read(principal, proposal):
        raise ProposalNotFound()
    return proposal


async def get_visible(
    session: AsyncSession, principal: Principal, proposal_id: UUID, *, for_update: bool = False
) -> Proposal:
    proposal = await repository.get(session, proposal_id, for_update=for_update)
    if proposal is None or not can_read(principal, proposal):
        raise ProposalNotFound()
    return proposal


async def create_draft(
    session: AsyncSession, *, principal: Principal, draft: ProposalDraft, now: datetime
) -> Proposal:
    policy = await repository.policy_for(session, principal.org)
    content = Content(draft.title, draft.situation, tuple(draft.suggestions))
    _raise_violations(domain.content_violations(content, policy, complete=False), policy)
    proposal = Proposal(
        id=new_id(),
        org_id=principal.org,
        status=Status.DRAFT,
        kind=None,
        title=draft.title.strip(),
        situation=draft.situation,
        suggestions=list(draft.suggestions),
        suggested_unit=draft.suggested_unit,
        first_proposer_id=principal.sub,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(proposal)
    repository.record(
        session,
        ProposalHistory(
            id=new_id(),
            proposal_id=proposal.id,
            action="create",
            from_status=None,
            to_status=Status.DRAFT,
            actor_id=principal.sub,
            at=now,
        ),
    )
    await session.flush()
    return proposal


def _check_version(proposal: Proposal, expected: IfMatch | None) -> None:
    if expected is not None and not expected.matches(proposal.version):
        raise ProposalVersionMismatch()


def _own_draft(principal: Principal, proposal: Proposal, action: Action) -> None:
    if proposal.first_proposer_id != principal.sub:
        raise Forbidden()
    if proposal.status != Status.DRAFT:
        raise ProposalInvalidTransition(status=proposal.status, action=action.value)


async def update_draft(
    session: AsyncSession,
    *,
    principal: Principal,
    proposal_id: UUID,
    changes: ProposalUpdate,
    expected_version: IfMatch | None,
    now: datetime,
) -> Proposal:
    proposal = await get_visible(session, principal, proposal_id, for_update=True)
    _own_draft(principal, proposal, Action.SUBMIT)
    _check_version(proposal, expected_version)
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(proposal, field, value.strip() if field == "title" and value else value)
    policy = await repository.policy_for(session, principal.org)
    _raise_violations(domain.content_violations(_content(proposal), policy, complete=False), policy)
    proposal.updated_at = now
    proposal.version += 1
    return proposal


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    proposal_id: UUID,
    expected_version: IfMatch | None,
    now: datetime,
    traceparent: str | None,
) -> Proposal:
    """Rule 1 enforced; the state change and `proposal.submitted` commit together."""
    proposal = await get_visible(session, principal, proposal_id, for_update=True)
    _own_draft(principal, proposal, Action.SUBMIT)
    _check_version(proposal, expected_version)
    if not await members.is_current_member(
        session, org_id=proposal.org_id, person_id=principal.sub, on=now.astimezone(SHANGHAI).date()
    ):
        raise NotACurrentMember()
    policy = await repository.policy_for(session, proposal.org_id)
    try:
        new_status, violations = domain.submit(Status(proposal.status), _content(proposal), policy)
    except TransitionNotAllowed as exc:
        raise ProposalInvalidTransition(status=exc.status.value, action=exc.action.value) from exc
    _raise_violations(violations, policy)
    old_status = proposal.status
    proposal.status = new_status
    proposal.kind = domain.derive_kind(now, await repository.session_windows(session, proposal.org_id, now))
    proposal.submitted_at = now
    proposal.updated_at = now
    proposal.version += 1
    repository.record(
        session,
        ProposalHistory(
            id=new_id(),
            proposal_id=proposal.id,
            action=Action.SUBMIT,
            from_status=old_status,
            to_status=new_status,
            actor_id=principal.sub,
            at=now,
        ),
    )
    await stage(
        session,
        make_event(
            ProposalSubmittedV1(
                proposal_id=proposal.id,
                org_id=proposal.org_id,
                title=proposal.title,
                kind=proposal.kind,
                first_proposer_id=proposal.first_proposer_id,
                submitted_at=now,
                version=proposal.version,
            ),
            source=SOURCE,
            subject=proposal.id,
            orgid=proposal.org_id,
            actorid=principal.sub,
            traceparent=traceparent,
            time=now,
        ),
    )
    return proposal
