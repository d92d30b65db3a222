"""Publication routes: parse → service → respond (rule 20).

The proposers consent, the office publishes (staff with the `proposals` scope) and may withdraw a
publication; the public — no login — lists and reads what is published, and nothing else (404).
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from cppcc_common.auth import PUBLIC, Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.versioning import OptionalExpectedVersion, etag
from cppcc_common.workdays import YearUnknown
from proposal_svc.proposals.errors import ProposalInvalidTransition, ProposalNotFound, ProposalVersionMismatch
from proposal_svc.publication import service
from proposal_svc.publication.errors import (
    AlreadyPublished,
    ConsentMissing,
    NotAProposer,
    NotPublished,
    PublicationWindowClosed,
    PublishedNotFound,
)
from proposal_svc.publication.schemas import (
    ConsentRequest,
    PublicationState,
    PublishedPage,
    PublishedProposal,
    PublishedSummary,
    PublishRequest,
    WithdrawPublicationRequest,
)

router = APIRouter(prefix="/api/v1/proposals", tags=["publication"])

# Rule 20: each proposer answers for themself (the route admits members; the rule, proposers who count).
CONSENT = Permission("proposal.publication_consent", roles={"member"})
# The proposals office publishes and withdraws.
PUBLISH = Permission("proposal.publish", roles={"staff"}, scopes={"proposals"})
# Where a proposal stands on publication: its proposers, the office, leaders (not its units).
PUBLICATION_READ = Permission("proposal.publication.read", roles={"member", "staff", "leader"})
Reader = Annotated[Principal, Depends(PUBLICATION_READ)]
Publishing = Annotated[Change, Changing(PUBLISH)]
_WRITE_PROBLEMS = (ProposalNotFound, ProposalInvalidTransition, ProposalVersionMismatch)


@router.get(
    "/published",
    response_model=PublishedPage,
    dependencies=[Depends(PUBLIC)],
    summary="Published proposals of an organization, newest first (public, no login)",
)
async def list_published(
    session: SessionDep,
    org_id: Annotated[UUID, Query(description="the organization")],
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PublishedPage:
    rows, next_cursor = await service.list_published(session, org_id, cursor=cursor, limit=limit)
    return PublishedPage(items=[PublishedSummary.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/published/{proposal_id}",
    response_model=PublishedProposal,
    dependencies=[Depends(PUBLIC)],
    responses=problems(PublishedNotFound),
    summary="A published proposal with its replies, contact details removed (public, no login)",
)
async def read_published(proposal_id: UUID, session: SessionDep) -> PublishedProposal:
    return PublishedProposal.model_validate(await service.read_published(session, proposal_id))


@router.get(
    "/{proposal_id}/publication",
    response_model=PublicationState,
    responses=problems(ProposalNotFound),
    summary="Where a proposal stands on publication: consents, window, published (rule 20)",
)
async def publication_state(proposal_id: UUID, principal: Reader, session: SessionDep) -> PublicationState:
    return await service.state_of(session, principal, proposal_id)


@router.put(
    "/{proposal_id}/publication/consent",
    response_model=PublicationState,
    responses=problems(*_WRITE_PROBLEMS, NotAProposer, AlreadyPublished),
    summary="Give or refuse my consent to publish the proposal and its reply (rule 20)",
)
async def consent(
    proposal_id: UUID,
    body: ConsentRequest,
    change: Annotated[Change, Changing(CONSENT)],
    expected: OptionalExpectedVersion,
    response: Response,
) -> PublicationState:
    version = await service.consent(change, proposal_id, body.consent, expected)
    response.headers["ETag"] = etag(version)
    return await service.state_of(change.session, change.person, proposal_id)


@router.post(
    "/{proposal_id}/publication",
    status_code=201,
    response_model=PublishedProposal,
    responses=problems(
        *_WRITE_PROBLEMS, ConsentMissing, PublicationWindowClosed, AlreadyPublished, YearUnknown
    ),
    summary="Publish a replied proposal and its replies, contact details removed (rule 20)",
)
async def publish(
    proposal_id: UUID,
    change: Publishing,
    expected: OptionalExpectedVersion,
    response: Response,
    body: PublishRequest | None = None,
) -> PublishedProposal:
    row = await service.publish(change, proposal_id, body or PublishRequest(), expected)
    response.headers["Location"] = f"/api/v1/proposals/published/{proposal_id}"
    return PublishedProposal.model_validate(row)


@router.post(
    "/{proposal_id}/publication/withdraw",
    status_code=204,
    responses=problems(*_WRITE_PROBLEMS, NotPublished),
    summary="Withdraw a publication, with a reason (audited); it is not published again",
)
async def withdraw(
    proposal_id: UUID, body: WithdrawPublicationRequest, change: Publishing, expected: OptionalExpectedVersion
) -> Response:
    await service.unpublish(change, proposal_id, body.reason, expected)
    return Response(status_code=204)
