"""The backfill of the similar-proposal index: every proposal submitted (and not since returned to a
draft) gets its row. Run by migration 0014 on the migration's connection, and by
`python -m proposal_svc.similar reindex` after the dictionary or the stop words change."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from proposal_svc.similar.indexing import row_values, series_of

# Each submitted proposal with the plenary session whose window holds its submission (the latest
# opened, as proposals.repository.session_of picks it).
_SOURCE = text(
    """
    SELECT p.id, p.org_id, p.title, p.situation, p.suggestions, p.kind, p.submitted_at,
           p.filing_series, p.version,
           (SELECT w.session_id FROM session_windows w
             WHERE w.org_id = p.org_id AND w.opens_at <= p.submitted_at AND w.closes_at >= p.submitted_at
             ORDER BY w.opens_at DESC, w.session_id LIMIT 1) AS session_id
      FROM proposals p
     WHERE p.status NOT IN ('draft', 'deleted') AND p.submitted_at IS NOT NULL
    """
)
_UPSERT = text(
    """
    INSERT INTO proposal_texts
        (proposal_id, org_id, series, title, title_terms, body_terms, document, version, indexed_at)
    VALUES (:proposal_id, :org_id, :series, :title, :title_terms, :body_terms, CAST(:document AS tsvector),
            :version, :indexed_at)
    ON CONFLICT (proposal_id) DO UPDATE SET
        org_id = excluded.org_id, series = excluded.series, title = excluded.title,
        title_terms = excluded.title_terms, body_terms = excluded.body_terms,
        document = excluded.document, version = excluded.version, indexed_at = excluded.indexed_at
    """
)


def backfill_sync(connection: Connection, *, now: datetime | None = None) -> int:
    """Indexes every submitted proposal anew; the number indexed."""
    at: datetime = now or connection.execute(text("SELECT now()")).scalar_one()
    rows: list[dict[str, Any]] = []
    for p in connection.execute(_SOURCE).mappings():
        suggestions = p["suggestions"] if isinstance(p["suggestions"], list) else []
        rows.append(
            row_values(
                proposal_id=p["id"],
                org_id=p["org_id"],
                title=p["title"],
                situation=p["situation"],
                suggestions=[str(s) for s in suggestions],
                series=series_of(p["filing_series"], p["kind"], p["submitted_at"], p["session_id"]),
                version=p["version"],
                now=at,
            )
        )
    for start in range(0, len(rows), 500):
        connection.execute(_UPSERT, rows[start : start + 500])
    return len(rows)
