from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_org_status", "org_id", "status", "created_at"),
        Index("ix_proposals_first_proposer", "first_proposer_id", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    situation: Mapped[str] = mapped_column(Text)
    suggestions: Mapped[list[str]] = mapped_column(JSONB)
    suggested_unit: Mapped[str | None] = mapped_column(String(100))
    # Who proposes (rules 2, 3): a member, or an organization (its name) through the first proposer.
    author_kind: Mapped[str] = mapped_column(String(30), default="member", server_default="member")
    author_name: Mapped[str | None] = mapped_column(Text)
    first_proposer_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)


class ProposalProposer(Base):
    """A proposer of a proposal (rule 4): the first proposer (position 0, confirmed from the start)
    or a co-signer, who counts only once `confirmed` before `respond_by`. A proposer merged in
    from another proposal (rule 8) keeps `merged_from_id`."""

    __tablename__ = "proposal_proposers"
    __table_args__ = (Index("ix_proposal_proposers_person", "person_id", "status"),)

    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # first | cosigner
    position: Mapped[int]  # signing order: 0 is the first proposer
    status: Mapped[str] = mapped_column(String(20))  # invited | confirmed | declined | expired
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    respond_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_from_id: Mapped[UUID | None]


class ProposalHistory(Base):
    """Every state change: who, when, from, to, why (the audit trail and the proposer's timeline)."""

    __tablename__ = "proposal_history"
    __table_args__ = (Index("ix_proposal_history_proposal", "proposal_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    proposal_id: Mapped[UUID] = mapped_column(ForeignKey("proposals.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[UUID]
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProposalPolicyRow(Base):
    """An organization's overrides of the proposal policy defaults."""

    __tablename__ = "proposal_policies"

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)


class SessionWindowRow(Base):
    """Plenary sessions, projected from member-svc's organization events: the session-proposal
    window (rule 5) and the days the plenary sits (rule 3; unknown for rows kept before 0007)."""

    __tablename__ = "session_windows"
    __table_args__ = (Index("ix_session_windows_org", "org_id", "opens_at"),)

    session_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
