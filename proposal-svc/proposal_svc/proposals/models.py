from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from proposal_svc.models import Base
from proposal_svc.proposals.domain import number_label


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_org_status", "org_id", "status", "created_at"),
        Index("ix_proposals_first_proposer", "first_proposer_id", "created_at"),
        # A number is given once per organization and series (the guarantee behind the counter).
        UniqueConstraint("org_id", "filing_series", "filing_number"),
        Index("ix_proposals_key_supervisors", "key_supervisor_ids", postgresql_using="gin"),
        Index("ix_proposals_org_submitted", "org_id", "submitted_at"),  # the office's list (0016)
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
    # In signing order, loaded with the proposal (one more SELECT per page); the proposal row's lock
    # guards them: every change of a proposer locks its proposal first (the scanner too).
    proposers: Mapped[list["ProposalProposer"]] = relationship(
        order_by="ProposalProposer.position", lazy="selectin", cascade="all, delete-orphan"
    )
    # Filed (立案): the number within its series (see domain.filing_series), gap-free per series.
    filing_series: Mapped[str | None] = mapped_column(String(60))
    filing_number: Mapped[int | None]
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Not filed (rules 6, 7): the reason, the disposition, and the opinion report it became (issue 12).
    not_filed_reason: Mapped[str | None] = mapped_column(Text)
    not_filed_disposition: Mapped[str | None] = mapped_column(String(20))
    opinion_report_id: Mapped[UUID | None]
    # Merged (rule 8) into a filed proposal, which took its proposers.
    merged_into_id: Mapped[UUID | None] = mapped_column(ForeignKey("proposals.id"))
    # Key proposal (rule 19): the approving meeting and the supervising leaders.
    is_key: Mapped[bool] = mapped_column(default=False, server_default=false())
    key_meeting: Mapped[str | None] = mapped_column(String(200))
    key_meeting_on: Mapped[date | None] = mapped_column(Date)
    key_supervisor_ids: Mapped[list[UUID] | None] = mapped_column(ARRAY(Uuid))

    @property
    def number(self) -> str | None:
        """The human number, e.g. 第0123号, once filed."""
        return number_label(self.filing_number) if self.filing_number is not None else None


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
    actor_id: Mapped[UUID | None]  # None: the system (a deadline scanner concluded it)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The fields a step corrected, before and after (the staff's audit trail; migration 0012).
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class NumberCounter(Base):
    """The last filing number given in an organization's series; taken and raised in the filing's
    own transaction, so a filing that rolls back gives its number back (no gap)."""

    __tablename__ = "proposal_number_counters"

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_number: Mapped[int]


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
