"""What one proposal's index row holds: its segmented text, built the same way by the consumer,
the migration's backfill and the re-index command."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from proposal_svc.proposals.domain import Kind, filing_series
from proposal_svc.similar import segmenter


def row_values(
    *,
    proposal_id: UUID,
    org_id: UUID,
    title: str,
    situation: str,
    suggestions: Sequence[str],
    series: str,
    version: int,
    now: datetime,
) -> dict[str, Any]:
    title_terms, body_terms = segmenter.document_terms(title, [situation, *suggestions])
    return {
        "proposal_id": proposal_id,
        "org_id": org_id,
        "series": series,
        "title": title,
        "title_terms": " ".join(title_terms),
        "body_terms": " ".join(body_terms),
        "document": segmenter.tsvector_literal(title_terms, body_terms),
        "version": version,
        "indexed_at": now,
    }


def series_of(filing: str | None, kind: str | None, submitted_at: datetime, session_id: UUID | None) -> str:
    """The filed proposal's own series; a submitted one's as filing would derive it."""
    if filing:
        return filing
    return filing_series(Kind(kind) if kind else None, submitted_at, session_id)
