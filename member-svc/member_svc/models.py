"""member-svc's tables (SQLAlchemy 2 typed mappings) and its metadata, messaging tables included."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cppcc_common.db import make_metadata
from cppcc_common.idempotency import add_idempotency_table
from cppcc_common.messaging_schema import add_messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)


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


class RefreshToken(Base):
    """A refresh token, stored only as its SHA-256; rotation keeps the family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_person_id", "person_id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("people.id"))
    family_id: Mapped[UUID]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    """An Ed25519 key that signs access tokens; the private half is encrypted at rest."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Tables of the other contexts register on the same metadata.
from member_svc.directory import models as _directory_models  # noqa: E402,F401
from member_svc.duty import models as _duty_models  # noqa: E402,F401
from member_svc.identity import models as _identity_models  # noqa: E402,F401
from member_svc.roster import models as _roster_models  # noqa: E402,F401
