"""Use cases of similar proposals: keep a submitted proposal's text indexed (a consumer of the
proposals' own `submitted` event), suggest similar proposals while a member types, and give the
office the merge candidates of a proposal at review."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from cppcc_common.change import Change
from cppcc_common.pagination import decode_cursor, page_of
from proposal_svc.proposals import repository as proposals
from proposal_svc.proposals.domain import Status, number_label
from proposal_svc.proposals.errors import ProposalNotFound
from proposal_svc.proposals.models import Proposal
from proposal_svc.similar import domain, repository, segmenter
from proposal_svc.similar.indexing import row_values, series_of
from proposal_svc.similar.schemas import ReplySummary, SimilarProposal

SUMMARY_CHARS = 120


async def index_submitted(change: Change, proposal_id: UUID) -> bool:
    """Indexes the proposal's text as it is now, if it is past its draft (a submission returned to a
    draft meanwhile is indexed at its next submission); idempotent. True when a row was written."""
    proposal = await repository.source_of(change.session, proposal_id)
    if proposal is None or proposal.status in repository.NOT_INDEXED or proposal.submitted_at is None:
        return False
    session_id = await proposals.session_of(change.session, proposal.org_id, proposal.submitted_at)
    values = row_values(
        proposal_id=proposal.id,
        org_id=proposal.org_id,
        title=proposal.title,
        situation=proposal.situation,
        suggestions=proposal.suggestions,
        series=series_of(proposal.filing_series, proposal.kind, proposal.submitted_at, session_id),
        version=proposal.version,
        now=change.now,
    )
    await repository.upsert(change.session, values)
    return True


async def _ranked(
    session: AsyncSession,
    principal: Principal,
    title_terms: Sequence[str],
    body_terms: Sequence[str],
    *,
    title: str,
    limit: int,
    exclude: UUID | None = None,
    series: str | None = None,
    statuses: Sequence[str] | None = None,
    with_published: bool = False,
) -> list[SimilarProposal]:
    query_terms = segmenter.query_terms(title_terms, body_terms)
    if not query_terms:
        return []  # nothing but stop words, numbers or punctuation: nothing to compare
    found = await repository.candidates(
        session,
        principal,
        query=segmenter.tsquery_literal(query_terms),
        title=title.strip(),
        exclude=exclude,
        series=series,
        statuses=statuses,
        with_published=with_published,
    )
    query = domain.vector(domain.Terms(title_terms, body_terms))
    scored = [
        (
            domain.score(
                query,
                domain.Terms(c.title_terms.split(), c.body_terms.split()),
                c.title_similarity,
            ),
            c,
        )
        for c in found
    ]
    best = sorted(
        ((s, c) for s, c in scored if s >= domain.MIN_SCORE), key=lambda sc: (-sc[0], str(sc[1].proposal_id))
    )[:limit]
    ids = [c.proposal_id for _, c in best]
    readable_ids = [c.proposal_id for _, c in best if c.readable]
    replies = await repository.replies_of(session, readable_ids)
    published = await repository.publications_of(session, ids)
    items = []
    for s, c in best:
        copy = published.get(c.proposal_id)
        if c.readable:
            summaries = [
                ReplySummary(
                    unit_name=r.name,
                    result_class=r.result_class,
                    summary=r.letter[:SUMMARY_CHARS],
                    replied_at=r.replied_at,
                )
                for r in replies.get(c.proposal_id, [])
            ]
            title_shown, status = c.title, Status(c.status)
        else:
            # Only published (rule 28: the public's copy, contact details removed): nothing else.
            if copy is None:  # withdrawn from publication between the two reads: not visible now
                continue
            summaries = [
                ReplySummary(
                    unit_name=r.get("unit_name"),
                    result_class=str(r.get("result_class", "")),
                    summary=str(r.get("letter", ""))[:SUMMARY_CHARS],
                    replied_at=r["replied_at"],
                )
                for r in copy.replies
            ]
            title_shown, status = copy.title, None
        items.append(
            SimilarProposal(
                id=c.proposal_id,
                title=title_shown,
                number=number_label(c.number) if c.number is not None else None,
                status=status,
                published=copy is not None,
                score=s,
                replies=summaries,
            )
        )
    return items


async def suggest(
    session: AsyncSession, principal: Principal, *, title: str, body: str, limit: int
) -> list[SimilarProposal]:
    """While a proposal is typed: the organization's most similar proposals the caller may read
    (rule 28: a member's own and co-signed, the published; the office all), with their replies."""
    title_terms, body_terms = segmenter.document_terms(title, [body])
    return await _ranked(
        session, principal, title_terms, body_terms, title=title, limit=limit, with_published=True
    )


async def merge_candidates(
    session: AsyncSession, principal: Principal, proposal_id: UUID, *, limit: int
) -> list[SimilarProposal]:
    """The office at review (rule 8): submitted or filed proposals of the same series (plenary
    session, or year) as this one, most similar first. 404 for a proposal the caller cannot see."""
    found = await repository.indexed(session, principal, proposal_id)
    if found is None:
        raise ProposalNotFound()
    proposal, row = found
    if row is not None:
        title_terms, body_terms, series = row.title_terms.split(), row.body_terms.split(), row.series
    else:  # submitted a moment ago, not yet indexed by the consumer: segmented here
        title_terms, body_terms = segmenter.document_terms(
            proposal.title, [proposal.situation, *proposal.suggestions]
        )
        submitted = proposal.submitted_at
        if submitted is None:  # a draft has no series and no candidates
            return []
        session_id = await proposals.session_of(session, proposal.org_id, submitted)
        series = series_of(proposal.filing_series, proposal.kind, submitted, session_id)
    return await _ranked(
        session,
        principal,
        title_terms,
        body_terms,
        title=proposal.title,
        limit=limit,
        exclude=proposal.id,
        series=series,
        statuses=repository.MERGEABLE,
    )


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str,
    status: Status | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Proposal], str | None]:
    """The office's full-text search over titles and bodies (Chinese, segmented as indexed)."""
    q = q.strip()
    if not q:
        return [], None  # only spaces: nothing asked for (an empty ILIKE would match everything)
    every_term = segmenter.tsquery_all(segmenter.terms(q))
    rows = await repository.search(
        session,
        principal,
        every_term=every_term or None,
        q=q,
        status=status,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return page_of(rows, limit)
