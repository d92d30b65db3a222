"""Attachments (metadata and, by default, their bytes), organization authors of proposals (rules 2,
3) and the plenary's dates in the session projection (rule 3).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "proposals", sa.Column("author_kind", sa.String(30), nullable=False, server_default="member")
    )
    op.add_column("proposals", sa.Column("author_name", sa.Text(), nullable=True))
    # Known once the next PlenarySessionScheduledV1 arrives (member-svc republishes on any change).
    op.add_column("session_windows", sa.Column("opens_on", sa.Date(), nullable=True))
    op.add_column("session_windows", sa.Column("closes_on", sa.Date(), nullable=True))
    op.create_table(
        "attachment_blobs",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attachment_blobs")),
    )
    # Stored as they come: PDFs, images and Office files are compressed already.
    op.execute("ALTER TABLE attachment_blobs ALTER COLUMN content SET STORAGE EXTERNAL")
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("owner_type", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index("ix_attachments_owner", "attachments", ["owner_type", "owner_id", "uploaded_at"])


def downgrade() -> None:
    op.drop_index("ix_attachments_owner", table_name="attachments")
    op.drop_table("attachments")
    op.drop_table("attachment_blobs")
    op.drop_column("session_windows", "closes_on")
    op.drop_column("session_windows", "opens_on")
    op.drop_column("proposals", "author_name")
    op.drop_column("proposals", "author_kind")
