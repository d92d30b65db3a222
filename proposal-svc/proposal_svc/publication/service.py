"""Publication use cases on the one write path (cppcc_common.change). Never commits (the request does).

Consent, publication and its withdrawal are moves of the proposal machine (`publication_consent`,
`publish`, `unpublish` in `LIFECYCLE`), taken through the proposals context's one transition
(`proposals.service.handle`): the proposal is locked and read through `readable(principal)` (404),
the caller checked (403), the table (409), the version (412), then the rules of rule 20 here; the
history row, the version bump and the events follow there.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.contracts.proposal import ProposalPublicationWindowClosedV1, ProposalPublishedV1
from cppcc_common.pagination import decode_cursor, encode_cursor
from cppcc_common.transitions import Decision
from cppcc_common.versioning import IfMatch
from cppcc_common.workdays_store import calendar_for
from proposal_svc.evaluation.domain import evaluators
from proposal_svc.evaluation.repository import current_replies
from proposal_svc.handling import repository as handling
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals import service as proposal_service
from proposal_svc.proposals.domain import Action, Facts, Status, confirmed_cosigner_ids, number_label
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.models import Proposal
from proposal_svc.proposals.policy import ProposalPolicy
from proposal_svc.publication import domain, repository
from proposal_svc.publication.errors import NotPublished, PublishedNotFound
from proposal_svc.publication.models import Publication, PublicationWindow
from proposal_svc.publication.repository import CLOSED, PUBLISHED
from proposal_svc.publication.schemas import ConsentRead, PublicationState, PublishRequest, WindowRead


async def open_window(change: Change, proposal_id: UUID, org_id: UUID, policy: ProposalPolicy) -> None:
    """Rule 20: the proposal became `replied` now; its publication window counts from this reply
    (a re-handled proposal's second reply opens it again, unless it is already published)."""
    cal = await calendar_for(change.session, now=change.now)
    window = domain.window(change.now, policy, cal)
    await repository.arm_window(change.session, proposal_id, org_id, change.now, window)


async def _window(change: Change, facts: Facts, policy: ProposalPolicy) -> PublicationWindow:
    """The proposal's window; one replied before migration 0012 gets it now, from its latest reply."""
    row = await repository.window_of(change.session, facts.id, lock=True)
    if row is None:
        replies = await handling.replies_of(change.session, facts.id)
        replied_at = max((r.replied_at for r in replies), default=change.now)
        cal = await calendar_for(change.session, now=change.now)
        window = domain.window(replied_at, policy, cal)
        await repository.arm_window(change.session, facts.id, facts.org_id, replied_at, window)
        row = await repository.window_of(change.session, facts.id, lock=True)
        assert row is not None
    return row


async def consent(change: Change, proposal_id: UUID, given: bool, expected: IfMatch | None) -> int:
    """Rule 20: the calling proposer (first or confirmed co-signer) gives or refuses consent, from
    the draft on and until the proposal is published."""

    async def decide(facts: Facts) -> Decision[Status]:
        person = domain.check_consenter(change.person.sub, evaluators(facts.proposers))
        domain.check_unpublished(await repository.publication_of(change.session, facts.id) is not None)
        before = await repository.set_consent(change.session, facts.id, person, given, change.now)
        return Decision(
            facts.status,
            note="同意公开" if given else "不同意公开",
            before={"publication_consent": before},
            after={"publication_consent": given},
        )

    proposal = await proposal_service.handle(change, proposal_id, Action.CONSENT, expected, decide)
    return proposal.version


async def publish(
    change: Change, proposal_id: UUID, body: PublishRequest, expected: IfMatch | None
) -> Publication:
    """Rule 20: the office publishes a replied or concluded proposal once, with every proposer's
    consent, before the window closes: a snapshot of its text and current replies, contact
    details removed; `cppcc.proposal.published.v1`."""
    published: list[Publication] = []

    async def decide(facts: Facts) -> Decision[Status]:
        policy = await proposals.policy_for(change.session, facts.org_id)
        window = await _window(change, facts, policy)
        domain.check_publishable(
            evaluators(facts.proposers),
            await repository.consents_of(change.session, facts.id),
            domain.Window(window.due_on, window.provisional, window.closes_at),
            policy,
            published=await repository.publication_of(change.session, facts.id) is not None,
            now=change.now,
        )
        current = current_replies(
            await handling.assignments_of(change.session, facts.id),
            await handling.replies_of(change.session, facts.id),
        )
        names = await repository.unit_names(change.session, [a.unit_id for a, _ in current])
        replies = [
            domain.public_reply(names.get(a.unit_id, ""), r.result_class, r.letter, r.replied_at, policy)
            for a, r in current
        ]
        byline = body.byline if body.byline is not None else facts.author_name
        row = Publication(
            proposal_id=facts.id,
            org_id=facts.org_id,
            number=number_label(facts.filing_number) if facts.filing_number is not None else None,
            title=domain.redact(facts.content.title),
            situation=domain.redact(facts.content.situation),
            suggestions=[domain.redact(s) for s in facts.content.suggestions],
            byline=domain.redact(byline) if byline else None,
            replies=[_jsonable(r) for r in replies],
            published_at=change.now,
            published_by=change.actor,
        )
        change.session.add(row)
        window.settled_at, window.outcome = change.now, PUBLISHED
        published.append(row)
        event = ProposalPublishedV1(
            proposal_id=facts.id,
            org_id=facts.org_id,
            title=facts.content.title,
            first_proposer_id=facts.first_proposer_id,
            cosigner_ids=confirmed_cosigner_ids(facts.proposers),
            reply_ids=[r.id for _, r in current],
            published_at=change.now,
        )
        return Decision(facts.status, events=(event,), after={"published_at": change.now.isoformat()})

    await proposal_service.handle(change, proposal_id, Action.PUBLISH, expected, decide)
    return published[0]


def _jsonable(reply: domain.PublicReply) -> dict[str, Any]:
    return {
        "unit_name": reply.unit_name,
        "result_class": reply.result_class,
        "result_label": reply.result_label,
        "letter": reply.letter,
        "replied_at": reply.replied_at.isoformat(),
    }


async def unpublish(change: Change, proposal_id: UUID, reason: str, expected: IfMatch | None) -> None:
    """The office withdraws a publication with a reason (audited); the public no longer sees it,
    and it is not published again (rule 20: once)."""

    async def decide(facts: Facts) -> Decision[Status]:
        row = await repository.publication_of(change.session, facts.id)
        if row is None or row.withdrawn_at is not None:
            raise NotPublished()
        row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = change.now, change.actor, reason
        return Decision(
            facts.status,
            note=reason,
            before={"published": True},
            after={"published": False},
        )

    await proposal_service.handle(change, proposal_id, Action.UNPUBLISH, expected, decide)


async def state_of(session: AsyncSession, principal: Principal, proposal_id: UUID) -> PublicationState:
    """Where the proposal stands on publication, for anyone who may read it (else 404)."""
    query = select(Proposal).where(Proposal.id == proposal_id, proposals.readable(principal))
    proposal = (await session.execute(query)).scalar_one_or_none()
    if proposal is None:
        raise ProposalNotFound()
    facts = proposal_service.facts_of(proposal)
    consents = await repository.consents_of(session, facts.id)
    who = set(evaluators(facts.proposers))
    counted = [p for p in sorted(facts.proposers, key=lambda p: p.position) if p.person_id in who]
    window = await repository.window_of(session, facts.id)
    row = await repository.publication_of(session, facts.id)
    return PublicationState(
        proposal_id=facts.id,
        proposal_status=facts.status,
        consents=[
            ConsentRead(person_id=p.person_id, role=p.role, consent=consents.get(p.person_id))
            for p in counted
        ],
        consented=all(consents.get(p.person_id) is True for p in counted),
        window=WindowRead.model_validate(window) if window is not None else None,
        published_at=row.published_at if row is not None else None,
        withdrawn_at=row.withdrawn_at if row is not None else None,
    )


async def close_window(change: Change, proposal_id: UUID) -> None:
    """The scanner's path for a window that closed unpublished (its row locked by the claim): settled
    `closed`, and the office told once (`cppcc.proposal.publication_window_closed.v1`)."""
    window = await repository.window_of(change.session, proposal_id)
    proposal = await change.session.get(Proposal, proposal_id)
    assert window is not None and proposal is not None
    window.settled_at, window.outcome = change.now, CLOSED
    facts = proposal_service.facts_of(proposal)
    counted = evaluators(facts.proposers)
    consents = await repository.consents_of(change.session, proposal_id)
    event = ProposalPublicationWindowClosedV1(
        proposal_id=facts.id,
        org_id=facts.org_id,
        title=facts.content.title,
        first_proposer_id=facts.first_proposer_id,
        cosigner_ids=confirmed_cosigner_ids(facts.proposers),
        due_on=window.due_on,
        consented=all(consents.get(p) is True for p in counted),
        closed_at=window.closes_at,
    )
    await change.emit(event, subject=facts.id, orgid=facts.org_id)


async def list_published(
    session: AsyncSession, org_id: UUID, *, cursor: str | None, limit: int
) -> tuple[Sequence[Publication], str | None]:
    """A page of the organization's published proposals, newest first (the public's list)."""
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_public(session, org_id, after=after, limit=limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1].published_at, page[-1].proposal_id) if more else None


async def read_published(session: AsyncSession, proposal_id: UUID) -> Publication:
    row = await repository.read_public(session, proposal_id)
    if row is None:
        raise PublishedNotFound()
    return row
