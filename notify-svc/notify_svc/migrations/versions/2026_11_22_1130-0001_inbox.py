"""Recipients projection and inbox items; messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from cppcc_common.messaging_schema import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables_v1()
    op.create_table(
        "recipients",
        sa.Column("person_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("org_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("roles", sa.ARRAY(sa.String(20)), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(20)), nullable=False),
        sa.Column("unit_id", UUID(as_uuid=True)),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_recipients_org", "recipients", ["org_id"])
    op.create_table(
        "inbox_items",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("org_id", UUID(as_uuid=True), nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("object_type", sa.String(40)),
        sa.Column("object_id", UUID(as_uuid=True)),
        sa.Column("source_event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS),
        sa.UniqueConstraint("person_id", "source_event_id", "category", name="uq_inbox_items_event"),
    )
    op.create_index("ix_inbox_items_person_created", "inbox_items", ["person_id", "created_at"])
    op.create_index(
        "ix_inbox_items_unread", "inbox_items", ["person_id"], postgresql_where=sa.text("read_at IS NULL")
    )


def downgrade() -> None:
    op.drop_table("inbox_items")
    op.drop_table("recipients")
    drop_messaging_tables_v1()
