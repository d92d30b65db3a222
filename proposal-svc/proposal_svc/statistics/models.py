"""What the statistics learn from member-svc besides the member records (proposals.members): the
organizations with their parents (a city guides its counties, DOMAIN.md §1), and the names of the
sectors and committees a table is broken down by."""

from uuid import UUID

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from proposal_svc.models import Base


class OrganizationLink(Base):
    """An organization and the parent that guides it, as member-svc announced it."""

    __tablename__ = "organizations"
    __table_args__ = (Index("ix_organizations_parent", "parent_id"),)

    org_id: Mapped[UUID] = mapped_column(primary_key=True)
    parent_id: Mapped[UUID | None]
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(30))


class SectorName(Base):
    __tablename__ = "sectors"

    sector_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)


class CommitteeName(Base):
    __tablename__ = "committees"

    committee_id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(Text)
