"""Every query of the similar-proposal index. Who sees a suggestion is the proposals context's
`readable(principal)` (rule 28) — plus, for a member, what is published for everyone."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, and_, cast, false, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from cppcc_common.auth import Principal
from proposal_svc.handling.models import Reply, Unit
from proposal_svc.proposals.domain import Status
from proposal_svc.proposals.models import Proposal
from proposal_svc.proposals.repository import readable
from proposal_svc.publication.models import Publication
from proposal_svc.publication.repository import public
from proposal_svc.similar.models import ProposalText

# How many candidates the GIN index hands to the re-ranking (domain.score) at most.
CANDIDATES = 60
# A proposal's text is final from submission on; a draft (new or returned) is not suggested.
NOT_INDEXED = (Status.DRAFT, Status.DELETED)
# Merge candidates (rule 8): proposals still at review or filed, neither merged nor closed.
MERGEABLE = (Status.SUBMITTED, Status.FILED)


@dataclass(frozen=True)
class Candidate:
    proposal_id: UUID
    status: str
    title: str
    number: int | None
    title_terms: str
    body_terms: str
    title_similarity: float
    readable: bool  # the caller reads the proposal itself; else only its published copy


async def upsert(session: AsyncSession, values: dict[str, Any]) -> None:
    """Writes a proposal's index row; an older version's text never replaces a newer one."""
    stmt = insert(ProposalText).values(**{**values, "document": cast(values["document"], TSVECTOR)})
    updated = {c: stmt.excluded[c] for c in values if c != "proposal_id"}
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ProposalText.proposal_id],
            set_=updated,
            where=ProposalText.version <= stmt.excluded.version,
        )
    )


def _matches(query: str, title: str) -> ColumnElement[bool]:
    """A candidate shares a term with the query (GIN on the tsvector) or enough of its title's
    trigrams (GIN on the title, pg_trgm's `%`)."""
    return or_(
        ProposalText.document.bool_op("@@")(cast(query, TSQUERY)),
        ProposalText.title.bool_op("%")(title),
    )


async def candidates(
    session: AsyncSession,
    principal: Principal,
    *,
    query: str,
    title: str,
    exclude: UUID | None = None,
    series: str | None = None,
    statuses: Sequence[str] | None = None,
    with_published: bool = False,
) -> list[Candidate]:
    """The caller's organization's indexed proposals sharing a term or the title's trigrams with the
    query, visible to the caller (rule 28), best first by PostgreSQL's rank, at most CANDIDATES."""
    reads = readable(principal)
    published = and_(Publication.proposal_id.is_not(None), public()) if with_published else false()
    rank = func.ts_rank(ProposalText.document, cast(query, TSQUERY), 1)
    title_similarity = func.similarity(ProposalText.title, title) if title else literal(0.0)
    stmt = (
        select(
            Proposal.id,
            Proposal.status,
            Proposal.title,
            Proposal.filing_number,
            ProposalText.title_terms,
            ProposalText.body_terms,
            title_similarity.label("title_similarity"),
            reads.label("reads"),
        )
        .join(Proposal, Proposal.id == ProposalText.proposal_id)
        .outerjoin(Publication, Publication.proposal_id == Proposal.id)
        .where(
            ProposalText.org_id == principal.org,
            Proposal.org_id == principal.org,
            Proposal.status.not_in(NOT_INDEXED),
            _matches(query, title) if title else ProposalText.document.bool_op("@@")(cast(query, TSQUERY)),
            or_(reads, published),
        )
        .order_by((rank + title_similarity).desc(), Proposal.id)
        .limit(CANDIDATES)
    )
    if exclude is not None:
        stmt = stmt.where(Proposal.id != exclude)
    if series is not None:
        stmt = stmt.where(ProposalText.series == series)
    if statuses is not None:
        stmt = stmt.where(Proposal.status.in_(statuses))
    rows: Sequence[Row[Any]] = (await session.execute(stmt)).all()
    return [
        Candidate(
            proposal_id=r.id,
            status=r.status,
            title=r.title,
            number=r.filing_number,
            title_terms=r.title_terms,
            body_terms=r.body_terms,
            title_similarity=float(r.title_similarity),
            readable=bool(r.reads),
        )
        for r in rows
    ]


async def indexed(
    session: AsyncSession, principal: Principal, proposal_id: UUID
) -> tuple[Proposal, ProposalText | None] | None:
    """The proposal and its index row (None before the consumer indexed it), if the caller may
    read the proposal (rule 28); None when not."""
    stmt = (
        select(Proposal, ProposalText)
        .outerjoin(ProposalText, ProposalText.proposal_id == Proposal.id)
        .where(Proposal.id == proposal_id, readable(principal))
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def replies_of(session: AsyncSession, proposal_ids: Sequence[UUID]) -> dict[UUID, list[Any]]:
    """The current replies the proposals got (class, unit, letter, when): the latest of each unit's
    part (a re-handled part's second reply supersedes its first), oldest first."""
    if not proposal_ids:
        return {}
    stmt = (
        select(
            Reply.proposal_id,
            Reply.assignment_id,
            Reply.result_class,
            Reply.letter,
            Reply.replied_at,
            Unit.name,
        )
        .outerjoin(Unit, Unit.unit_id == Reply.unit_id)
        .where(Reply.proposal_id.in_(proposal_ids))
        .order_by(Reply.replied_at, Reply.id)
    )
    latest: dict[UUID, Any] = {}
    for row in (await session.execute(stmt)).all():
        latest.pop(row.assignment_id, None)  # re-inserted last: the order stays by reply time
        latest[row.assignment_id] = row
    found: dict[UUID, list[Any]] = {}
    for row in latest.values():
        found.setdefault(row.proposal_id, []).append(row)
    return found


async def publications_of(session: AsyncSession, proposal_ids: Sequence[UUID]) -> dict[UUID, Publication]:
    """The public copies (contact details removed) of those proposals that are published."""
    if not proposal_ids:
        return {}
    stmt = select(Publication).where(Publication.proposal_id.in_(proposal_ids), public())
    return {p.proposal_id: p for p in (await session.execute(stmt)).scalars()}


async def source_of(session: AsyncSession, proposal_id: UUID) -> Proposal | None:
    """The proposal as it is now (the consumer indexes the text it holds)."""
    return await session.get(Proposal, proposal_id)


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_matches(every_term: str | None, q: str) -> ColumnElement[bool]:
    """The office's full-text condition on an index row: every term of the query (a `tsquery_all`
    literal; GIN on the tsvector), or the query itself in the title (pg_trgm's GIN serves ILIKE).
    The search below and the office's list (statistics) both use it."""
    matches: ColumnElement[bool] = ProposalText.title.ilike(_like_pattern(q), escape="\\")
    if every_term:
        matches = or_(ProposalText.document.bool_op("@@")(cast(every_term, TSQUERY)), matches)
    return matches


async def search(
    session: AsyncSession,
    principal: Principal,
    *,
    every_term: str | None,
    q: str,
    status: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Proposal]:
    """The office's full-text search, newest first like the staff list: the proposals holding every
    term of the query (GIN on the tsvector) or the query itself in their title (pg_trgm's GIN
    serves ILIKE), that the caller may read (rule 28), never drafts."""
    query = (
        select(Proposal)
        .join(ProposalText, ProposalText.proposal_id == Proposal.id)
        .where(ProposalText.org_id == principal.org, readable(principal), text_matches(every_term, q))
        .where(Proposal.status.not_in(NOT_INDEXED))
    )
    if status is not None:
        query = query.where(Proposal.status == status)
    if after is not None:
        query = query.where(tuple_(Proposal.created_at, Proposal.id) < tuple_(*after))
    query = query.order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
