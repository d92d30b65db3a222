"""Roster import jobs: the rows waiting to be imported, progress, and the report of rejected rows."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from member_svc.db import Base

# queued → running → done | failed; running → running when a restarted process resumes it.
IMPORT_STATUSES = ("queued", "running", "done", "failed")
UNFINISHED = ("queued", "running")


class RosterImport(Base):
    """One upload of a roster into a term, imported in the background."""

    __tablename__ = "roster_imports"
    __table_args__ = (
        Index("ix_roster_imports_status", "status"),
        Index("ix_roster_imports_org_created", "org_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    term_id: Mapped[UUID] = mapped_column(ForeignKey("terms.id"))
    actor_id: Mapped[UUID]
    mode: Mapped[str] = mapped_column(String(20))  # all_or_nothing | valid_only
    create_missing: Mapped[bool]
    # Rows of members already in the term: updated to what the row says (else rejected).
    update_existing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20))
    total_rows: Mapped[int]
    processed_rows: Mapped[int] = mapped_column(default=0)
    valid_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    rejected_rows: Mapped[int] = mapped_column(default=0)
    updated_rows: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    # The uploaded file, kept until the job has read it (reading it is the job's, not the request's).
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The roster columns of each row (nothing else of the file is kept); cleared once finished.
    rows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB, deferred=True)
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    created_sectors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_committees: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # internal | interrupted | what was wrong with the file (errors.UNREADABLE), with its parameters
    failure: Mapped[str | None] = mapped_column(String(40))
    failure_params: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
