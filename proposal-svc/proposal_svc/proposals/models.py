from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    first_proposer_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    # In signing order, loaded with the proposal (one more SELECT per page); the proposal row's lock
    # guards them: every change of a proposer locks its proposal first (the scanner too).
    proposers: Mapped[list["ProposalProposer"]] = relationship(
        order_by="ProposalProposer.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ProposalProposer(Base):
    """A proposer of a proposal (rule 4): the first proposer (position 0, confirmed from the start)
    or a co-signer, who counts only once `confirmed` before `respond_by`. A proposer merged in
    from another proposal (rule 8) keeps `merged_from_id`."""

    __tablename__ = "proposal_proposers"
    __table_args__ = (
        Index("ix_proposal_proposers_person", "person_id", "status"),
        # The co-sign deadline scanner's claim: only open invitations, by deadline (migration 0005).
        Index(
            "ix_proposal_proposers_open_invitations",
            "respond_by",
            postgresql_where=text("status = 'invited' AND respond_by IS NOT NULL"),
        ),
    )

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
    """Proposal windows of plenary sessions, projected from member-svc's organization events."""

    __tablename__ = "session_windows"
    __table_args__ = (Index("ix_session_windows_org", "org_id", "opens_at"),)

    session_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
