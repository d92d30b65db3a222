"""The publication context's tables: each proposer's consent, the publication window of a replied
proposal (a deadline row), and the published copy."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class PublicationConsent(Base):
    """A proposer's answer to publication (rule 20): given or refused, changed until published."""

    __tablename__ = "publication_consents"

    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    consent: Mapped[bool]
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicationWindow(Base):
    """A replied proposal's publication window (rule 20), counted from the reply that made it
    `replied` (again after re-handling). The row is the deadline (DESIGN.md §9): the scanner claims
    it at `closes_at` while `settled_at` is empty; publishing settles it too."""

    __tablename__ = "publication_windows"
    __table_args__ = (
        Index("ix_publication_windows_open", "closes_at", postgresql_where=text("settled_at IS NULL")),
    )

    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    org_id: Mapped[UUID]
    replied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_on: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool]
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))  # published | closed


class Publication(Base):
    """The published copy of a proposal and its replies (rule 20): a snapshot taken when published,
    with contact details removed; withdrawn by the office with a reason, it is no longer public."""

    __tablename__ = "publications"
    __table_args__ = (
        Index(
            "ix_publications_public",
            "org_id",
            "published_at",
            "proposal_id",
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    org_id: Mapped[UUID]
    number: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    situation: Mapped[str] = mapped_column(Text)
    suggestions: Mapped[list[str]] = mapped_column(JSONB)
    byline: Mapped[str | None] = mapped_column(Text)
    replies: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[UUID | None]
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[UUID | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
