"""The tables every context of member-svc reads: organizations and people.

`Base` and `metadata` live in `member_svc.db` (re-exported here); `member_svc.tables` registers
every context's tables on that metadata.
"""

from datetime import datetime
from uuid import UUID

from sqlalchemy import ARRAY, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from member_svc.db import Base, metadata

__all__ = ["Base", "Organization", "Person", "metadata"]


class Organization(Base):
    """A CPPCC committee at one level: the tenant."""

    __tablename__ = "organizations"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))  # national | provincial | municipal | county
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Person(Base):
    """A person with one account; may hold several roles."""

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_org_id", "org_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    unit_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(default=1)
