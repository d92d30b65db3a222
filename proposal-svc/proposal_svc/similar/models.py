"""The similar-proposal index: one row per submitted proposal, its segmented text as a weighted
`tsvector` (GIN) and its title for trigram similarity (pg_trgm, GIN). Status and visibility are
not copied here: every read joins the live `proposals` row and filters it with the proposals
context's `readable(principal)` (rule 28), so a status change never leaves the index stale."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class ProposalText(Base):
    __tablename__ = "proposal_texts"
    __table_args__ = (
        Index("ix_proposal_texts_document", "document", postgresql_using="gin"),
        Index(
            "ix_proposal_texts_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
        Index("ix_proposal_texts_org_series", "org_id", "series"),
    )

    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    org_id: Mapped[UUID]
    # The filing series its submission falls in (proposals.domain.filing_series): merge candidates
    # are of the same plenary session, or of the same year for ordinary proposals.
    series: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(Text)
    # The segmented terms, space-separated (what the tsvector was built from; kept for a re-index).
    title_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(TSVECTOR)
    # The proposal's version whose text this is: an older submission's event never overwrites a newer.
    version: Mapped[int]
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
