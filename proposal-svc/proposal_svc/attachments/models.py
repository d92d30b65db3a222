from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cppcc_common.attachments_store import add_blob_table
from proposal_svc.models import Base


class Attachment(Base):
    """An attachment's metadata: whose it is (owner type and id), what it is for, the name to show,
    the checked type, size and SHA-256, where its bytes are (`storage_key`), who added it and when."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_type", "owner_id", "uploaded_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    org_id: Mapped[UUID]
    owner_type: Mapped[str] = mapped_column(String(20))  # proposal | reply
    owner_id: Mapped[UUID]
    purpose: Mapped[str] = mapped_column(String(20))  # material | seal
    file_name: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # hex
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[UUID]
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The bytes of an attachment in the service's own database (`store.DatabaseStore`): the shared table.
BLOBS = add_blob_table(Base.metadata)
