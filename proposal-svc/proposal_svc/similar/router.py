"""Similar-proposal routes: parse → service → respond."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from cppcc_common.auth import Permission, Principal
from cppcc_common.db import SessionDep
from cppcc_common.openapi import problems
from cppcc_common.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from cppcc_common.validation import CleanStr
from proposal_svc.proposals.domain import Status
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.repository import acts_as_office
from proposal_svc.proposals.schemas import ProposalPage, ProposalRead
from proposal_svc.similar import service
from proposal_svc.similar.domain import MAX_RESULTS
from proposal_svc.similar.schemas import SimilarPage, SimilarQuery

router = APIRouter(prefix="/api/v1/proposals", tags=["similar"])

# A member typing a proposal, or the proposals office; staff of another scope, leaders, units and
# partners are refused (they write no proposals and review none).
SUGGEST = Permission(
    "proposal.similar",
    roles={"member", "staff"},
    rule=lambda p: p.has_role("member") or acts_as_office(p),
)
# The proposals office at review (rule 8: merging is theirs), and its full-text search.
MERGE_CANDIDATES = Permission("proposal.merge_candidates", roles={"staff"}, scopes={"proposals"})

Suggesting = Annotated[Principal, Depends(SUGGEST)]
Reviewing = Annotated[Principal, Depends(MERGE_CANDIDATES)]


@router.get(
    "/search",
    response_model=ProposalPage,
    summary="Full-text search of the organization's proposals (the office), newest first",
)
async def search(
    principal: Reviewing,
    session: SessionDep,
    q: Annotated[CleanStr, Query(min_length=1, max_length=100, description="检索词（案由、正文）")],
    status: Annotated[Status | None, Query()] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ProposalPage:
    rows, next_cursor = await service.search(
        session, principal, q=q, status=status, cursor=cursor, limit=limit
    )
    return ProposalPage(items=[ProposalRead.model_validate(p) for p in rows], next_cursor=next_cursor)


@router.post(
    "/similar",
    response_model=SimilarPage,
    summary="Similar proposals while a title and body are typed (own, co-signed and published; the office all)",
)
async def suggest(body: SimilarQuery, principal: Suggesting, session: SessionDep) -> SimilarPage:
    items = await service.suggest(session, principal, title=body.title, body=body.body, limit=body.top)
    return SimilarPage(items=items)


@router.get(
    "/{proposal_id}/similar",
    response_model=SimilarPage,
    responses=problems(ProposalNotFound),
    summary="Merge candidates of a proposal: submitted or filed proposals of its session, most similar first",
)
async def merge_candidates(
    proposal_id: UUID,
    principal: Reviewing,
    session: SessionDep,
    top: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="最多返回几条（按相似度）")] = 5,
) -> SimilarPage:
    # `top`, not `limit`: a ranked top-k (at most MAX_RESULTS), not a page of a collection.
    return SimilarPage(items=await service.merge_candidates(session, principal, proposal_id, limit=top))
